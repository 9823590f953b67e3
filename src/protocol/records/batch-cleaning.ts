// One stored magic-2 batch as the log cleaner sees it (Kafka's MemoryRecords.filterTo): its keyed records, and
// the batch re-written with only the records a pass keeps. The retained records are copied byte for byte —
// offset and timestamp deltas, keys, values and headers — so every offset and timestamp a client reads stays
// what it was. The header keeps its base offset, last offset delta, timestamps, producer id, epoch and base
// sequence: offsets the pass removes become gaps inside the batch, the producer state rebuilt from headers is
// unchanged, and the batch still spans exactly the offsets (the Raft entry) it always did. A batch that loses
// every record stays as its 61-byte header with no records (Kafka keeps such empty batches for a producer's
// last sequence; here every one is kept, so batch boundaries — Raft's entries — never move). A compressed batch
// is compressed again in its own codec; an emptied one is written uncompressed.

import { assert } from "../../base/assert.ts";
import { compress, type DecompressOptions, decompress } from "../compression/index.ts";
import { writeInt16, writeInt32 } from "../primitives/big-endian.ts";
import { ByteReader } from "../primitives/byte-reader.ts";
import {
  batchHeaderBytes,
  batchLengthPrefixBytes,
  batchOffsets,
  CompressionCodec,
  compressionCodecMask,
  compressionOf,
  isControlBatch,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
  writeBatchCrc,
} from "./batch-header.ts";
import { readRecord } from "./record.ts";

export interface CleanedRecord {
  offset: number;
  /** Null only in a batch written before its topic was compacted (AlterConfigs delete → compact). */
  key: Uint8Array | null;
  tombstone: boolean;
  timestampMs: number;
}

interface RecordSpan extends CleanedRecord {
  start: number;
  end: number;
}

/** The records of a data batch with their byte spans in the (decompressed) record bytes; none for control. */
function recordSpans(
  batch: Uint8Array,
  options: DecompressOptions,
): { spans: RecordSpan[]; records: Uint8Array } {
  const header = readBatchHeader(batch);
  if (isControlBatch(header.attributes)) return { spans: [], records: new Uint8Array(0) };
  const records = decompress(compressionOf(header.attributes), batch.subarray(batchHeaderBytes), options);
  const reader = new ByteReader(records);
  const baseOffset = Number(header.baseOffset);
  const baseTimestamp = Number(header.baseTimestamp);
  const override =
    timestampTypeOf(header.attributes) === TimestampType.LogAppendTime ? Number(header.maxTimestamp) : null;
  const spans: RecordSpan[] = [];
  for (let index = 0; index < header.recordCount; index++) {
    const start = reader.offset;
    const record = readRecord(reader, baseTimestamp, override);
    spans.push({
      offset: baseOffset + record.offsetDelta,
      key: record.key,
      tombstone: record.value === null,
      timestampMs: record.timestamp,
      start,
      end: reader.offset,
    });
  }
  return { spans, records };
}

/** Every record of a data batch (the offset map's input); control batches have none the cleaner reads. */
export function recordsOfStoredBatch(batch: Uint8Array, options: DecompressOptions): CleanedRecord[] {
  return recordSpans(batch, options).spans;
}

export interface BatchCleaning {
  /** The batch as it stays: the same bytes when every record is kept. */
  batch: Uint8Array;
  changed: boolean;
  keptRecords: CleanedRecord[];
}

/** The batch with only the records `keep` accepts (control batches are returned as they are). */
export function cleanStoredBatch(
  batch: Uint8Array,
  keep: (record: CleanedRecord) => boolean,
  options: DecompressOptions,
): BatchCleaning {
  const { spans, records } = recordSpans(batch, options);
  const kept = spans.filter((span) => keep(span));
  if (kept.length === spans.length) return { batch, changed: false, keptRecords: kept };
  const attributes = readBatchHeader(batch).attributes;
  const codec = kept.length === 0 ? CompressionCodec.None : compressionOf(attributes);
  let payloadBytes = 0;
  for (const span of kept) payloadBytes += span.end - span.start;
  const plain = new Uint8Array(payloadBytes);
  let at = 0;
  for (const span of kept) {
    plain.set(records.subarray(span.start, span.end), at);
    at += span.end - span.start;
  }
  const payload = compress(codec, plain);
  const out = new Uint8Array(batchHeaderBytes + payload.length);
  out.set(batch.subarray(0, batchHeaderBytes));
  out.set(payload, batchHeaderBytes);
  writeInt32(out, batchOffsets.batchLength, out.length - batchLengthPrefixBytes);
  writeInt16(out, batchOffsets.attributes, (attributes & ~compressionCodecMask) | codec);
  writeInt32(out, batchOffsets.recordCount, kept.length);
  writeBatchCrc(out, 0, out.length);
  assert(
    readBatchHeader(out).lastOffsetDelta === readBatchHeader(batch).lastOffsetDelta,
    "a cleaned batch spans the offsets it did",
  );
  return { batch: out, changed: true, keptRecords: kept };
}
