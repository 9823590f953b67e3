// Rebuilds a partition's idempotent-producer table from its log when the replica opens, so a batch retried across
// a broker restart is still recognised and not written twice. It replays the batch headers (records untouched)
// from the start of the active segment: Kafka snapshots producer state at each roll and replays from the latest
// snapshot; until Chronik writes such snapshots, a producer whose last five batches all lie before the active
// segment is forgotten, and its next batch is accepted as a new producer's.

import { isControlBatch, readBatchHeader, scanBatches } from "../protocol/records/batch-header.ts";
import type { PartitionLog } from "../storage/index.ts";
import { lastSequenceOf, type ProducerStateTable } from "./producer-state.ts";

/** Bytes read per step while replaying. */
const replayReadBytes = 4 * 1024 * 1024;

/** Replays [start of the active segment, log end) into `table`; returns how many batches were replayed. */
export function rebuildProducerState(log: PartitionLog, table: ProducerStateTable): number {
  const segmentBases = log.segmentBaseOffsets();
  let offset = Math.max(log.logStartOffset, segmentBases.at(-1) ?? log.logStartOffset);
  let replayed = 0;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: replayReadBytes });
    if (read.bytes.length === 0) break;
    for (const span of scanBatches(read.bytes, { verifyCrc: false }).spans) {
      const header = readBatchHeader(read.bytes, span.position);
      const baseOffset = Number(header.baseOffset);
      if (header.producerId < 0n || isControlBatch(header.attributes) || baseOffset < offset) continue;
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
    offset = read.nextOffset;
  }
  return replayed;
}
