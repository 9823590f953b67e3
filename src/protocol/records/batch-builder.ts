// Builds a complete magic-2 batch from records and batch fields: offsets deltas, base and max timestamps,
// record count, the (optionally compressed) records, and the CRC-32C written last over attributes..end.
// Used by producers in tests, by the broker for control batches, by legacy up-conversion, and by recompression
// to a topic's compression.type (batch-recompress.ts).

import { assert } from "../../base/assert.ts";
import { compress } from "../compression/index.ts";
import { ByteWriter } from "../primitives/byte-writer.ts";
import {
  batchHeaderBytes,
  batchLengthPrefixBytes,
  batchOffsets,
  CompressionCodec,
  controlMask,
  TimestampType,
  timestampTypeMask,
  transactionalMask,
  writeBatchCrc,
} from "./batch-header.ts";
import { type RecordHeader, writeRecord } from "./record.ts";

export interface RecordInput {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch; -1 means none (records up-converted from magic 0). */
  timestamp: number;
  /** Defaults to the record's index; explicit deltas keep the gaps of a compacted or converted log. */
  offsetDelta?: number;
}

export interface BatchFields {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  timestampType?: TimestampType;
  compression?: CompressionCodec;
  /** The codec's level (compression.<codec>.level); absent means the codec's default. */
  compressionLevel?: number;
  /** Only for a batch without records (Kafka writes such batches to keep producer state). */
  lastOffsetDelta?: number;
  /** Under LogAppendTime the broker's time, written as maxTimestamp; records then read it back. */
  logAppendTime?: number;
}

export function buildBatch(records: readonly RecordInput[], fields: BatchFields = {}): Uint8Array {
  const baseTimestamp = records[0]?.timestamp ?? -1;
  const writer = new ByteWriter(batchHeaderBytes + 64 * records.length);
  let lastOffsetDelta = fields.lastOffsetDelta ?? 0;
  let maxTimestamp = -1;
  records.forEach((record, index) => {
    const offsetDelta = record.offsetDelta ?? index;
    assert(index === 0 || offsetDelta > lastOffsetDelta, "record offsets must increase within a batch");
    writeRecord(writer, {
      timestampDelta: record.timestamp - baseTimestamp,
      offsetDelta,
      key: record.key,
      value: record.value,
      headers: record.headers ?? [],
    });
    lastOffsetDelta = offsetDelta;
    maxTimestamp = Math.max(maxTimestamp, record.timestamp);
  });
  const compression = fields.compression ?? CompressionCodec.None;
  const payload = compress(compression, writer.written(), { level: fields.compressionLevel });
  const timestampType = fields.timestampType ?? TimestampType.CreateTime;
  if (timestampType === TimestampType.LogAppendTime) {
    assert(fields.logAppendTime !== undefined, "LogAppendTime batches need logAppendTime");
    maxTimestamp = fields.logAppendTime;
  }
  return assembleBatch(payload, fields, {
    attributes: attributesOf(compression, timestampType, fields),
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    recordCount: records.length,
  });
}

function attributesOf(
  compression: CompressionCodec,
  timestampType: TimestampType,
  fields: BatchFields,
): number {
  return (
    compression |
    (timestampType === TimestampType.LogAppendTime ? timestampTypeMask : 0) |
    (fields.transactional ? transactionalMask : 0) |
    (fields.control ? controlMask : 0)
  );
}

interface Derived {
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  recordCount: number;
}

function assembleBatch(payload: Uint8Array, fields: BatchFields, derived: Derived): Uint8Array {
  const size = batchHeaderBytes + payload.length;
  const batch = new Uint8Array(size);
  const view = new DataView(batch.buffer);
  view.setBigInt64(batchOffsets.baseOffset, fields.baseOffset ?? 0n);
  view.setInt32(batchOffsets.batchLength, size - batchLengthPrefixBytes);
  view.setInt32(batchOffsets.partitionLeaderEpoch, fields.partitionLeaderEpoch ?? -1);
  view.setInt8(batchOffsets.magic, 2);
  view.setInt16(batchOffsets.attributes, derived.attributes);
  view.setInt32(batchOffsets.lastOffsetDelta, derived.lastOffsetDelta);
  view.setBigInt64(batchOffsets.baseTimestamp, BigInt(derived.baseTimestamp));
  view.setBigInt64(batchOffsets.maxTimestamp, BigInt(derived.maxTimestamp));
  view.setBigInt64(batchOffsets.producerId, fields.producerId ?? -1n);
  view.setInt16(batchOffsets.producerEpoch, fields.producerEpoch ?? -1);
  view.setInt32(batchOffsets.baseSequence, fields.baseSequence ?? -1);
  view.setInt32(batchOffsets.recordCount, derived.recordCount);
  batch.set(payload, batchHeaderBytes);
  writeBatchCrc(batch, 0, size);
  return batch;
}
