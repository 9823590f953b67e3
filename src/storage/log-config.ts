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
  /** What the log cleaner does with the log (cleaner-decisions.ts); null: cleanup.policy has no "compact". */
  compaction: CompactionConfig | null;
}

/** The topic configs of cleanup.policy=compact (Kafka's names in the comments). */
export interface CompactionConfig {
  /** delete.retention.ms: how long a tombstone stays once it is the latest record of its key. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: a segment whose newest record is younger than this is not cleaned. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty segment older than this is cleaned whatever the dirty ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: clean once dirty bytes are this share of the cleanable bytes. */
  minCleanableDirtyRatio: number;
}

export const compactionConfigDefault: CompactionConfig = {
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
};

export const logConfigDefault: LogConfig = {
  segmentBytes: segmentBytesDefault,
  segmentMs: segmentMsDefault,
  indexIntervalBytes: indexIntervalBytesDefault,
  retentionMs: retentionMsDefault,
  retentionBytes: retentionBytesDefault,
  flushPolicy: "every",
  flushIntervalMs: flushIntervalMsDefault,
  compaction: null,
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
