// Walks a partition log's batches in offset order, a bounded read at a time, headers read and records untouched:
// for the rare passes over stored data (producer-state rebuild, timestamp look-ups).

import { type BatchHeader, readBatchHeader, scanBatches } from "../protocol/records/batch-header.ts";
import type { PartitionLog } from "../storage/index.ts";

/** Bytes read per step. */
const walkReadBytes = 4 * 1024 * 1024;

/** Every whole batch from the one holding `fromOffset` up to (not past) `untilOffset`. */
export function* batchesFrom(
  log: PartitionLog,
  fromOffset: number,
  untilOffset: number,
): Generator<{ header: BatchHeader; bytes: Uint8Array }> {
  let next = fromOffset;
  while (next < untilOffset) {
    const read = log.read(next, { maxBytes: walkReadBytes, maxOffset: untilOffset });
    if (read.bytes.length === 0) return;
    for (const span of scanBatches(read.bytes, { verifyCrc: false }).spans) {
      const bytes = read.bytes.subarray(span.position, span.position + span.size);
      yield { header: readBatchHeader(bytes), bytes };
    }
    next = read.nextOffset;
  }
}
