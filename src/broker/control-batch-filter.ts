// Fetch leaves control batches out of what consumers get. Chronik's partitions hold a LeaderChange control
// batch at every leader election (the Raft log is the Kafka log, DESIGN.md decision 1), but Apache Kafka keeps
// those only in its metadata log, so clients never meet them in data partitions — and some (kafka-python 2.0)
// do not skip control batches and would hand them to applications as records. Offsets simply skip the gap, as
// after compaction; and the high watermark consumers are told stops short of control batches that end the log
// (PartitionReplica.consumerHighWatermark), since no consumer could step past those. Transaction markers
// (transactional control batches of a producer) stay: a READ_COMMITTED consumer stops dropping an aborted
// transaction's records at its ABORT marker, as in Kafka.

import { readInt16, readInt32, readInt64AsNumber } from "../protocol/primitives/big-endian.ts";
import {
  batchOffsets,
  isControlBatch,
  isTransactionalBatch,
  scanBatches,
} from "../protocol/records/batch-header.ts";

/** A control batch a consumer must see: a COMMIT or ABORT marker, the only transactional control batches. */
function isLeftOut(records: Uint8Array, position: number): boolean {
  const attributes = readInt16(records, position + batchOffsets.attributes);
  return isControlBatch(attributes) && !isTransactionalBatch(attributes);
}

/**
 * `records` without its control batches but transaction markers, and the offset after the last batch read. Copies only when a control
 * batch is present (rare: leader changes); otherwise returns `records` itself.
 */
export function withoutControlBatches(records: Uint8Array): {
  records: Uint8Array;
  nextOffset: number | null;
} {
  const { spans } = scanBatches(records, { verifyCrc: false });
  const last = spans.at(-1);
  const nextOffset =
    last === undefined
      ? null
      : readInt64AsNumber(records, last.position + batchOffsets.baseOffset) +
        readInt32(records, last.position + batchOffsets.lastOffsetDelta) +
        1;
  const kept = spans.filter((span) => !isLeftOut(records, span.position));
  if (kept.length === spans.length) return { records, nextOffset };
  const out = new Uint8Array(kept.reduce((sum, span) => sum + span.size, 0));
  let at = 0;
  for (const span of kept) {
    out.set(records.subarray(span.position, span.position + span.size), at);
    at += span.size;
  }
  return { records: out, nextOffset };
}
