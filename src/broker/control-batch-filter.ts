// Fetch leaves control batches out of what consumers get. Chronik's partitions hold a LeaderChange control
// batch at every leader election (the Raft log is the Kafka log, DESIGN.md decision 1), but Apache Kafka keeps
// those only in its metadata log, so clients never meet them in data partitions — and some (kafka-python 2.0)
// do not skip control batches and would hand them to applications as records. Offsets simply skip the gap, as
// after compaction. Without transactions there are no other control batches; transaction markers, once they
// exist, must stay in responses for READ_COMMITTED consumers.

import { batchOffsets, batchSizeAt, isControlBatch } from "../protocol/records/batch-header.ts";

/**
 * `records` without its control batches, and the offset after the last batch read. Copies only when a control
 * batch is present (rare: leader changes); otherwise returns `records` itself.
 */
export function withoutControlBatches(records: Uint8Array): {
  records: Uint8Array;
  nextOffset: number | null;
} {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const kept: Array<{ start: number; end: number }> = [];
  let stripped = false;
  let nextOffset: number | null = null;
  for (let position = 0; position + batchOffsets.records <= records.length; ) {
    const size = batchSizeAt(records, position);
    if (size <= 0 || position + size > records.length) break;
    const attributes = view.getInt16(position + batchOffsets.attributes);
    const baseOffset = Number(view.getBigInt64(position + batchOffsets.baseOffset));
    nextOffset = baseOffset + view.getInt32(position + batchOffsets.lastOffsetDelta) + 1;
    if (isControlBatch(attributes)) stripped = true;
    else kept.push({ start: position, end: position + size });
    position += size;
  }
  if (!stripped) return { records, nextOffset };
  const out = new Uint8Array(kept.reduce((sum, span) => sum + span.end - span.start, 0));
  let at = 0;
  for (const span of kept) {
    out.set(records.subarray(span.start, span.end), at);
    at += span.end - span.start;
  }
  return { records: out, nextOffset };
}
