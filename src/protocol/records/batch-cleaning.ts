// One stored magic-2 batch as the log cleaner sees it (Kafka's MemoryRecords.filterTo): its keyed records, and
// the batch re-written with only the records a pass keeps. The retained records are copied byte for byte —
// offset and timestamp deltas, keys, values and headers — so every offset and timestamp a client reads stays
// what it was. The header keeps its base offset, last offset delta, timestamps, producer id, epoch and base
// sequence: offsets the pass removes become gaps inside the batch, the producer state rebuilt from headers is
// unchanged, and the batch still spans exactly the offsets (the Raft entry) it always did. A batch that loses
// every record stays as its 61-byte header with no records (Kafka keeps such empty batches for a producer's
// last sequence; here every one is kept, so batch boundaries — Raft's entries — never move). A compressed batch
// is compressed again in its own codec; an emptied one is written uncompressed. Tombstones carry KIP-534's
// delete horizon: the first pass that keeps one stamps its batch with now + delete.retention.ms, and a later
// pass past that time removes them — so a consumer reading from the start always has delete.retention.ms after
// a tombstone was first cleaned to see it, however old the tombstone was then.

import { assert } from "../../base/assert.ts";
import { compress, type DecompressOptions, decompress } from "../compression/index.ts";
import { writeInt16, writeInt32, writeInt64 } from "../primitives/big-endian.ts";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ByteWriter } from "../primitives/byte-writer.ts";
import {
  batchHeaderBytes,
  batchLengthPrefixBytes,
  batchOffsets,
  CompressionCodec,
  compressionCodecMask,
  compressionOf,
  deleteHorizonMask,
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
  /** The batch as it stays: the same bytes when every record is kept and no delete horizon is stamped. */
  batch: Uint8Array;
  changed: boolean;
  keptRecords: CleanedRecord[];
  /** The batch's delete horizon after cleaning (stamped now, or from an earlier pass), or null. */
  deleteHorizonMs: number | null;
}

/** KIP-534: the time after which a cleaned batch's tombstones may go, or null if no pass has stamped one. */
export function deleteHorizonOf(batch: Uint8Array): number | null {
  const header = readBatchHeader(batch);
  return (header.attributes & deleteHorizonMask) === 0 ? null : Number(header.baseTimestamp);
}

/**
 * The batch with only the records `keep` accepts (control batches are returned as they are). A batch that
 * keeps a tombstone and has no delete horizon yet gets `stampHorizonMs` as one (KIP-534, as Kafka's cleaner
 * does on the first pass that keeps it): its baseTimestamp becomes the horizon, flagged in the attributes, and
 * each record's timestamp delta is re-written against it, so every record still reads the timestamp it had.
 */
export function cleanStoredBatch(
  batch: Uint8Array,
  keep: (record: CleanedRecord, deleteHorizonMs: number | null) => boolean,
  options: DecompressOptions & { stampHorizonMs: number },
): BatchCleaning {
  const horizon = deleteHorizonOf(batch);
  const { spans, records } = recordSpans(batch, options);
  const kept = spans.filter((span) => keep(span, horizon));
  const stamp = horizon === null && kept.some((span) => span.tombstone);
  if (kept.length === spans.length && !stamp) {
    return { batch, changed: false, keptRecords: kept, deleteHorizonMs: horizon };
  }
  const header = readBatchHeader(batch);
  const codec = kept.length === 0 ? CompressionCodec.None : compressionOf(header.attributes);
  const rebase =
    stamp && timestampTypeOf(header.attributes) === TimestampType.CreateTime ? options.stampHorizonMs : null;
  const plain = keptRecordBytes(records, kept, rebase);
  const payload = compress(codec, plain);
  const out = new Uint8Array(batchHeaderBytes + payload.length);
  out.set(batch.subarray(0, batchHeaderBytes));
  out.set(payload, batchHeaderBytes);
  writeInt32(out, batchOffsets.batchLength, out.length - batchLengthPrefixBytes);
  let attributes = (header.attributes & ~compressionCodecMask) | codec;
  if (stamp) {
    attributes |= deleteHorizonMask;
    writeInt64(out, batchOffsets.baseTimestamp, BigInt(options.stampHorizonMs));
  }
  writeInt16(out, batchOffsets.attributes, attributes);
  writeInt32(out, batchOffsets.recordCount, kept.length);
  writeBatchCrc(out, 0, out.length);
  assert(
    readBatchHeader(out).lastOffsetDelta === header.lastOffsetDelta,
    "a cleaned batch spans the offsets it did",
  );
  return {
    batch: out,
    changed: true,
    keptRecords: kept,
    deleteHorizonMs: stamp ? options.stampHorizonMs : horizon,
  };
}

/**
 * The kept records' bytes, copied as they are — or, with `rebaseTimestampMs`, each with its timestamp delta
 * re-written against that new base (its length prefix changes with it).
 */
function keptRecordBytes(records: Uint8Array, kept: readonly RecordSpan[], rebaseTimestampMs: number | null) {
  if (rebaseTimestampMs === null) {
    let total = 0;
    for (const span of kept) total += span.end - span.start;
    const plain = new Uint8Array(total);
    let at = 0;
    for (const span of kept) {
      plain.set(records.subarray(span.start, span.end), at);
      at += span.end - span.start;
    }
    return plain;
  }
  const writer = new ByteWriter();
  for (const span of kept) {
    const reader = new ByteReader(records, span.start, span.end);
    reader.varint("record.length");
    const attributes = reader.int8("record.attributes");
    reader.varlong("record.timestampDelta");
    const rest = records.subarray(reader.offset, span.end);
    const body = new ByteWriter(rest.length + 16);
    body.int8(attributes);
    body.varlong(span.timestampMs - rebaseTimestampMs);
    body.rawBytes(rest);
    const bodyBytes = body.finish();
    writer.varint(bodyBytes.length);
    writer.rawBytes(bodyBytes);
  }
  return writer.finish();
}
