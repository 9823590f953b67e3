// The small read interface through which the core sees a durable log: the storage engine's partition log and
// the in-memory log both serve it. Writes never go through here; they leave the core in Ready.
import type { Entry, Snapshot, SnapshotMeta } from "./types.ts";

export interface BatchMeta {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
}

export interface LogReader {
  /** The compaction mark: the log holds offsets after meta.lastOffset. A fresh log's mark is (-1, 0). */
  snapshotMeta(): SnapshotMeta;
  /** The snapshot at the mark (empty data for a partition, whose mark is its log start offset - 1). */
  snapshot(): Snapshot;
  /** The last offset held, or the mark's lastOffset when the log is empty. */
  lastOffset(): number;
  lastEpoch(): number;
  /** The batch holding offset, for offsets after the mark up to lastOffset(); undefined otherwise. */
  batchAt(offset: number): BatchMeta | undefined;
  /** The first offset held whose batch has this epoch; undefined when no such batch is held. */
  firstOffsetOfEpoch(epoch: number): number | undefined;
  /**
   * Whole batches from fromOffset (a batch's base offset) on, stopping before bytesMax would be passed, but
   * always at least one batch when fromOffset ≤ lastOffset().
   */
  entries(fromOffset: number, bytesMax: number): readonly Entry[];
}

/** Binary search over batches sorted by offset: the index of the batch holding offset, or -1. */
export function findBatchIndex(batches: readonly BatchMeta[], offset: number): number {
  let low = 0;
  let high = batches.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const batch = batches[middle]!;
    if (offset < batch.baseOffset) high = middle - 1;
    else if (offset > batch.lastOffset) low = middle + 1;
    else return middle;
  }
  return -1;
}

/** Index of the first batch with epoch ≥ epoch in batches with non-decreasing epochs. */
export function findEpochIndex(batches: readonly BatchMeta[], epoch: number): number {
  let low = 0;
  let high = batches.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (batches[middle]!.epoch < epoch) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Appends whole entries from `from` to `out` while bytes stay within bytesMax (always at least one). */
export function collectEntries(
  batches: readonly Entry[],
  startIndex: number,
  bytesMax: number,
  out: Entry[],
  bytesSoFar: number,
): number {
  let bytes = bytesSoFar;
  for (let index = startIndex; index < batches.length; index++) {
    const entry = batches[index]!;
    if (out.length > 0 && bytes + entry.byteSize > bytesMax) break;
    out.push(entry);
    bytes += entry.byteSize;
  }
  return bytes;
}
