// Per-topic settings of a partition log, with Kafka's names in the comments and Kafka's defaults.

import { assert } from "../base/assert.ts";
import {
  flushIntervalMsDefault,
  indexIntervalBytesDefault,
  retentionBytesDefault,
  retentionMsDefault,
  segmentBytesDefault,
  segmentBytesMax,
  segmentMsDefault,
} from "./limits.ts";

/**
 * When appends reach the disk. "every": each append is fdatasync'ed before it is acknowledged (group commit
 * shares one sync among concurrent appends; our default). "interval": synced every flushIntervalMs (Kafka's
 * flush.ms). "never": left to the OS and to segment rolls (Kafka's default; replication gives durability).
 */
export type FlushPolicy = "every" | "interval" | "never";

export interface LogConfig {
  /** segment.bytes */
  segmentBytes: number;
  /** segment.ms */
  segmentMs: number;
  /** index.interval.bytes */
  indexIntervalBytes: number;
  /** retention.ms; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes; -1 means no limit. */
  retentionBytes: number;
  flushPolicy: FlushPolicy;
  /** flush.ms, used when flushPolicy is "interval". */
  flushIntervalMs: number;
}

export const logConfigDefault: LogConfig = {
  segmentBytes: segmentBytesDefault,
  segmentMs: segmentMsDefault,
  indexIntervalBytes: indexIntervalBytesDefault,
  retentionMs: retentionMsDefault,
  retentionBytes: retentionBytesDefault,
  flushPolicy: "every",
  flushIntervalMs: flushIntervalMsDefault,
};

export function logConfigOf(overrides: Partial<LogConfig> = {}): LogConfig {
  const config = { ...logConfigDefault, ...overrides };
  assert(
    config.segmentBytes >= 61 && config.segmentBytes <= segmentBytesMax,
    `segmentBytes ${config.segmentBytes}`,
  );
  assert(config.segmentMs > 0, `segmentMs ${config.segmentMs}`);
  assert(config.indexIntervalBytes > 0, `indexIntervalBytes ${config.indexIntervalBytes}`);
  assert(config.flushIntervalMs > 0, `flushIntervalMs ${config.flushIntervalMs}`);
  return config;
}
