// Replays a partition log's batch headers (records untouched, but for transaction markers) into an
// idempotent-producer table: how the table catches up from the latest producer snapshot to the log end when a
// replica opens or its log is truncated (producer-state-log.ts), and how each appended batch is recorded as the
// log grows. Transactional batches open their producer's transaction; COMMIT and ABORT markers end it.

import { type BatchHeader, isControlBatch, isTransactionalBatch } from "../protocol/records/batch-header.ts";
import { ControlRecordType, readControlBatch } from "../protocol/records/control-record.ts";
import type { PartitionLog } from "../storage/index.ts";
import { batchesFrom } from "./log-walk.ts";
import { type CompletedTransaction, type ProducerStateTable, producerBatchOf } from "./producer-state.ts";

/** A marker batch holds one tiny record. */
const markerBatchBytesMax = 64 * 1024;

/** The marker a control batch holds (COMMIT or ABORT), or null for any other control batch. */
export function markerOfBatch(bytes: Uint8Array, header: BatchHeader): boolean | null {
  if (header.producerId < 0n || !isTransactionalBatch(header.attributes)) return null;
  const [record] = readControlBatch(bytes, { decompressedBytesMax: markerBatchBytesMax });
  if (record?.type === ControlRecordType.Commit) return true;
  if (record?.type === ControlRecordType.Abort) return false;
  return null;
}

/**
 * Records one stored batch if a producer wrote it; returns whether one did. A marker ending a transaction
 * passes that transaction to `onCompleted`.
 */
export function recordBatchHeader(
  table: ProducerStateTable,
  header: BatchHeader,
  bytes?: Uint8Array,
  onCompleted?: (completed: CompletedTransaction) => void,
): boolean {
  if (header.producerId < 0n) return false;
  const baseOffset = Number(header.baseOffset);
  if (isControlBatch(header.attributes)) {
    const commit = bytes === undefined ? null : markerOfBatch(bytes, header);
    if (commit === null) return false;
    const completed = table.recordMarker({
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      commit,
      offset: baseOffset,
      timestampMs: Number(header.maxTimestamp),
    });
    if (completed !== null) onCompleted?.(completed);
    return true;
  }
  table.record(
    producerBatchOf(header),
    {
      baseOffset,
      lastOffset: baseOffset + header.lastOffsetDelta,
      timestampMs: Number(header.maxTimestamp),
    },
    { transactional: isTransactionalBatch(header.attributes) },
  );
  return true;
}

/**
 * Replays every batch from the one holding `fromOffset` (≥ the log start) to the log end; returns how many were
 * a producer's. `table` must hold nothing from that batch on (the table records forward only).
 */
export function rebuildProducerState(
  log: PartitionLog,
  table: ProducerStateTable,
  fromOffset: number,
  onCompleted?: (completed: CompletedTransaction) => void,
): number {
  let replayed = 0;
  for (const { header, bytes } of batchesFrom(log, fromOffset, log.logEndOffset)) {
    if (recordBatchHeader(table, header, bytes, onCompleted)) replayed++;
  }
  return replayed;
}
