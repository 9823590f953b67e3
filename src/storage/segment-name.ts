// File names of a partition directory: segments are named by their base offset in 20 digits, as in Kafka.

import { assert } from "../base/assert.ts";

export const logFileSuffix = ".log";
export const offsetIndexFileSuffix = ".index";
export const timeIndexFileSuffix = ".timeindex";
export const checkpointFileName = "log-checkpoint";
export const leaderEpochFileName = "leader-epoch-checkpoint";
/** What the batch headers' leader epochs mean (log-format.ts). */
export const logFormatFileName = "log-format";
export const temporaryFileSuffix = ".tmp";

const offsetDigits = 20;

export function segmentFileStem(baseOffset: number): string {
  assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, `segment base offset ${baseOffset}`);
  return String(baseOffset).padStart(offsetDigits, "0");
}

export function logFileName(baseOffset: number): string {
  return segmentFileStem(baseOffset) + logFileSuffix;
}

export function offsetIndexFileName(baseOffset: number): string {
  return segmentFileStem(baseOffset) + offsetIndexFileSuffix;
}

export function timeIndexFileName(baseOffset: number): string {
  return segmentFileStem(baseOffset) + timeIndexFileSuffix;
}

/** The base offset a segment log file is named for, or null if the name is not a segment's. */
export function parseLogFileName(name: string): number | null {
  return parseOffsetFileName(name, logFileSuffix);
}

/** The offset in a `<20-digit offset><suffix>` file name, or null if the name is not one of those. */
export function parseOffsetFileName(name: string, suffix: string): number | null {
  if (!name.endsWith(suffix)) return null;
  const stem = name.slice(0, -suffix.length);
  if (stem.length !== offsetDigits || !/^[0-9]+$/.test(stem)) return null;
  const offset = Number(stem);
  return Number.isSafeInteger(offset) ? offset : null;
}

/** `<topic>-<partition>`, Kafka's partition directory name. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf("-");
  if (dash <= 0) return null;
  const partitionText = name.slice(dash + 1);
  if (!/^[0-9]+$/.test(partitionText)) return null;
  return { topic: name.slice(0, dash), partition: Number(partitionText) };
}
