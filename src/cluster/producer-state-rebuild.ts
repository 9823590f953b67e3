// Replays a partition log's batch headers (records untouched) into an idempotent-producer table: how the table
// catches up from the latest producer snapshot to the log end when a replica opens or its log is truncated
// (producer-state-log.ts), and how each appended batch is recorded as the log grows.

import { type BatchHeader, isControlBatch } from "../protocol/records/batch-header.ts";
import type { PartitionLog } from "../storage/index.ts";
import { batchesFrom } from "./log-walk.ts";
import { type ProducerStateTable, producerBatchOf } from "./producer-state.ts";

/** Records one stored batch if an idempotent producer wrote it; returns whether it did. */
export function recordBatchHeader(table: ProducerStateTable, header: BatchHeader): boolean {
  if (header.producerId < 0n || isControlBatch(header.attributes)) return false;
  const baseOffset = Number(header.baseOffset);
  table.record(producerBatchOf(header), {
    baseOffset,
    lastOffset: baseOffset + header.lastOffsetDelta,
    timestampMs: Number(header.maxTimestamp),
  });
  return true;
}

/**
 * Replays every batch from the one holding `fromOffset` (≥ the log start) to the log end; returns how many were
 * an idempotent producer's. `table` must hold nothing from that batch on (the table records forward only).
 */
export function rebuildProducerState(
  log: PartitionLog,
  table: ProducerStateTable,
  fromOffset: number,
): number {
  let replayed = 0;
  for (const { header } of batchesFrom(log, fromOffset, log.logEndOffset)) {
    if (recordBatchHeader(table, header)) replayed++;
  }
  return replayed;
}
