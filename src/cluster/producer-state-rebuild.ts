// Rebuilds a partition's idempotent-producer table from its log when the replica opens, so a batch retried across
// a broker restart is still recognised and not written twice. It replays the batch headers (records untouched)
// from the start of the active segment: Kafka snapshots producer state at each roll and replays from the latest
// snapshot; until Chronik writes such snapshots, a producer whose last five batches all lie before the active
// segment is forgotten, and its next batch is accepted as a new producer's.

import { isControlBatch } from "../protocol/records/batch-header.ts";
import type { PartitionLog } from "../storage/index.ts";
import { batchesFrom } from "./log-walk.ts";
import { lastSequenceOf, type ProducerStateTable } from "./producer-state.ts";

/** Replays [start of the active segment, log end) into `table`; returns how many batches were replayed. */
export function rebuildProducerState(log: PartitionLog, table: ProducerStateTable): number {
  const from = Math.max(log.logStartOffset, log.segmentBaseOffsets().at(-1) ?? log.logStartOffset);
  let replayed = 0;
  for (const { header } of batchesFrom(log, from, log.logEndOffset)) {
    const baseOffset = Number(header.baseOffset);
    if (header.producerId < 0n || isControlBatch(header.attributes) || baseOffset < from) continue;
    table.record(
      {
        producerId: header.producerId,
        producerEpoch: header.producerEpoch,
        baseSequence: header.baseSequence,
        lastSequence: lastSequenceOf(header.baseSequence, header.lastOffsetDelta),
      },
      {
        baseOffset,
        lastOffset: baseOffset + header.lastOffsetDelta,
        timestampMs: Number(header.maxTimestamp),
      },
    );
    replayed++;
  }
  return replayed;
}
