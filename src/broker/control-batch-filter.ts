// Fetch leaves control batches out of what consumers get. Chronik's partitions hold a LeaderChange control
// batch at every leader election (the Raft log is the Kafka log, DESIGN.md decision 1), but Apache Kafka keeps
// those only in its metadata log, so clients never meet them in data partitions — and some (kafka-python 2.0)
// do not skip control batches and would hand them to applications as records. Offsets simply skip the gap, as
// after compaction; and the high watermark consumers are told stops short of control batches that end the log
// (PartitionReplica.consumerHighWatermark), since no consumer could step past those. Without transactions there
// are no other control batches; transaction markers, once they exist, must stay in responses for
// READ_COMMITTED consumers.

import { readInt16, readInt32, readInt64AsNumber } from "../protocol/primitives/big-endian.ts";
import { batchOffsets, isControlBatch, scanBatches } from "../protocol/records/batch-header.ts";

/**
 * `records` without its control batches, and the offset after the last batch read. Copies only when a control
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
  const kept = spans.filter(
    (span) => !isControlBatch(readInt16(records, span.position + batchOffsets.attributes)),
  );
  if (kept.length === spans.length) return { records, nextOffset };
  const out = new Uint8Array(kept.reduce((sum, span) => sum + span.size, 0));
  let at = 0;
  for (const span of kept) {
    out.set(records.subarray(span.position, span.position + span.size), at);
    at += span.size;
  }
  return { records: out, nextOffset };
}
