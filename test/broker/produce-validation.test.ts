// Proves produced records are checked as Kafka's LogValidator checks a client append: one batch per partition
// for v3+, CRC, size, offsets and count, control batches and sequences refused, timestamps bounded with
// per-record errors, LogAppendTime stamped with a valid CRC, old clients' message sets converted, and batches
// re-written in a topic's compression.type when (and only when) it names another codec.

import { describe, expect, test } from "bun:test";
import {
  type ProduceValidationOptions,
  validateProducedRecords,
} from "../../src/broker/produce-validation.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import {
  batchCrcMatches,
  batchOffsets,
  CompressionCodec,
  compressionOf,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
  writeBatchCrc,
} from "../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../src/protocol/records/batch-records.ts";
import { encodeMessageSet } from "../../src/protocol/records/legacy.ts";

const nowMs = 1_700_000_000_000;
const options: ProduceValidationOptions = {
  apiVersion: 9,
  maxMessageBytes: 1_048_588,
  timestampType: TimestampType.CreateTime,
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: 3_600_000,
  nowMs,
  decompressedBytesMax: 16 << 20,
  recompression: null,
  topicName: "t",
  partitionIndex: 0,
};

const text = new TextEncoder();
function records(count: number, timestamp = nowMs) {
  return Array.from({ length: count }, (_, index) => ({
    key: text.encode(`key-${index}`),
    value: text.encode(`value-${index}`),
    timestamp: timestamp + index,
  }));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function produceRecordsOrThrow(bytes: Uint8Array, validationOptions: ProduceValidationOptions) {
  const result = validateProducedRecords(bytes, validationOptions);
  if (!result.ok) throw new Error(`refused: ${result.errorMessage}`);
  return result;
}

function refusal(bytes: Uint8Array | null, overrides: Partial<ProduceValidationOptions> = {}) {
  const result = validateProducedRecords(bytes, { ...options, ...overrides });
  if (result.ok) throw new Error("expected a refusal");
  return result;
}

describe("produce validation", () => {
  test("a good batch passes untouched, compressed or not", () => {
    for (const compression of [CompressionCodec.None, CompressionCodec.Zstd]) {
      const batch = buildBatch(records(5), { compression });
      const copy = batch.slice();
      const result = produceRecordsOrThrow(batch, options);
      expect(result.header.recordCount).toBe(5);
      expect(result.batch).toEqual(copy);
    }
  });

  test("structure: one batch, whole, with a valid CRC, within max.message.bytes", () => {
    const batch = buildBatch(records(3));
    expect(refusal(concat(batch, buildBatch(records(1))))).toMatchObject({
      errorCode: ErrorCode.InvalidRecord,
    });
    expect(refusal(batch.subarray(0, batch.length - 1))).toMatchObject({
      errorCode: ErrorCode.CorruptMessage,
    });
    const flipped = batch.slice();
    flipped[flipped.length - 1]! ^= 0x40;
    expect(refusal(flipped)).toMatchObject({
      errorCode: ErrorCode.CorruptMessage,
      errorMessage: "record batch CRC-32C mismatch",
    });
    expect(refusal(batch, { maxMessageBytes: batch.length - 1 })).toMatchObject({
      errorCode: ErrorCode.MessageTooLarge,
    });
    expect(refusal(null)).toMatchObject({ errorCode: ErrorCode.InvalidRecord });
    const oldMagic = batch.slice();
    oldMagic[batchOffsets.magic] = 1;
    expect(refusal(oldMagic)).toMatchObject({ errorCode: ErrorCode.InvalidRecord });
  });

  test("header rules: control batches, sequences, count and offsets", () => {
    expect(refusal(buildBatch(records(1), { control: true })).errorMessage).toContain("control");
    expect(
      refusal(buildBatch(records(2), { producerId: 7n, producerEpoch: 0, baseSequence: -1 })).errorMessage,
    ).toContain("sequence");
    // A count that disagrees with the offset range, under a CRC that is valid for it.
    const skewed = buildBatch(records(3));
    new DataView(skewed.buffer).setInt32(batchOffsets.recordCount, 2);
    writeBatchCrc(skewed, 0, skewed.length);
    expect(refusal(skewed)).toMatchObject({ errorCode: ErrorCode.InvalidRecord });
    expect(refusal(skewed).errorMessage).toContain("disagrees with record count 2");
  });

  test("timestamps too far ahead are refused with an error per offending record", () => {
    // The limit is now + 1 hour: of records at limit - 1 … limit + 2, the last two are over it.
    const limit = nowMs + 3_600_000;
    const batch = buildBatch(records(4, limit - 1));
    const result = refusal(batch);
    expect(result.errorCode).toBe(ErrorCode.InvalidTimestamp);
    expect(result.recordErrors.map((error) => error.batchIndex)).toEqual([2, 3]);
    const future = limit;
    expect(
      validateProducedRecords(buildBatch(records(2, future + 10)), {
        ...options,
        timestampAfterMaxMs: 10_000_000,
      }).ok,
    ).toBe(true);
    const appendTimeFromProducer = buildBatch(records(1), {
      timestampType: TimestampType.LogAppendTime,
      logAppendTime: nowMs,
    });
    expect(refusal(appendTimeFromProducer).errorCode).toBe(ErrorCode.InvalidTimestamp);
  });

  test("LogAppendTime topics get the broker's clock with a valid CRC", () => {
    const batch = buildBatch(records(3, 5));
    const result = produceRecordsOrThrow(batch, { ...options, timestampType: TimestampType.LogAppendTime });
    expect(timestampTypeOf(result.header.attributes)).toBe(TimestampType.LogAppendTime);
    expect(result.header.maxTimestamp).toBe(BigInt(nowMs));
    expect(batchCrcMatches(result.batch, 0, result.batch.length)).toBe(true);
  });

  test("old clients' message sets become one magic-2 batch", () => {
    const messageSet = encodeMessageSet(
      records(3).map((record, index) => ({ ...record, offset: BigInt(index) })),
      { magic: 1, compression: CompressionCodec.Gzip },
    );
    const result = produceRecordsOrThrow(messageSet, { ...options, apiVersion: 2 });
    const header = readBatchHeader(result.batch);
    expect([header.magic, header.recordCount]).toEqual([2, 3]);
    expect(refusal(messageSet.subarray(0, 10), { apiVersion: 2 }).errorCode).toBe(ErrorCode.CorruptMessage);
  });

  describe("recompression to the topic's compression.type", () => {
    const readBack = (batch: Uint8Array) =>
      readAllRecords(batch, { decompressedBytesMax: 1 << 20 }).map((record) => ({
        key: record.key && new TextDecoder().decode(record.key),
        value: record.value && new TextDecoder().decode(record.value),
        headers: record.headers.map((header) => header.key),
        timestamp: record.timestamp,
      }));
    const withHeaders = records(4).map((record) => ({
      ...record,
      headers: [{ key: "trace", value: text.encode("x") }],
    }));

    test("a batch in another codec is re-written in the topic's, records and producer fields intact", () => {
      const sources = [
        CompressionCodec.None,
        CompressionCodec.Gzip,
        CompressionCodec.Snappy,
        CompressionCodec.Zstd,
      ];
      const targets = [
        { codec: CompressionCodec.Lz4 },
        { codec: CompressionCodec.Gzip, level: 9 },
        { codec: CompressionCodec.Zstd, level: -5 },
        { codec: CompressionCodec.None },
      ];
      for (const source of sources) {
        const idempotent = { producerId: 42n, producerEpoch: 3, baseSequence: 17, compression: source };
        const batch = buildBatch(withHeaders, idempotent);
        const expected = readBack(batch);
        for (const target of targets.filter((candidate) => candidate.codec !== source)) {
          const result = produceRecordsOrThrow(batch, { ...options, recompression: target });
          expect(compressionOf(result.header.attributes)).toBe(target.codec);
          expect(batchCrcMatches(result.batch, 0, result.batch.length)).toBe(true);
          expect(readBack(result.batch)).toEqual(expected);
          expect(result.header).toMatchObject({
            producerId: 42n,
            producerEpoch: 3,
            baseSequence: 17,
            recordCount: 4,
            lastOffsetDelta: 3,
            maxTimestamp: BigInt(nowMs + 3),
          });
        }
      }
    });

    test("a batch already in the topic's codec, or a producer-codec topic, keeps its bytes", () => {
      const batch = buildBatch(records(3), { compression: CompressionCodec.Lz4 });
      expect(
        produceRecordsOrThrow(batch, { ...options, recompression: { codec: CompressionCodec.Lz4 } }).batch,
      ).toBe(batch);
      expect(produceRecordsOrThrow(batch, options).batch).toBe(batch);
    });

    test("under LogAppendTime the re-written batch carries the broker's clock", () => {
      const batch = buildBatch(records(2, 5), { compression: CompressionCodec.Gzip });
      const result = produceRecordsOrThrow(batch, {
        ...options,
        timestampType: TimestampType.LogAppendTime,
        recompression: { codec: CompressionCodec.Zstd },
      });
      expect(timestampTypeOf(result.header.attributes)).toBe(TimestampType.LogAppendTime);
      expect(result.header.maxTimestamp).toBe(BigInt(nowMs));
      expect(readBack(result.batch).map((record) => record.timestamp)).toEqual([nowMs, nowMs]);
    });

    test("a re-written batch over max.message.bytes is refused with Kafka's message", () => {
      const repetitive = [{ key: null, value: new Uint8Array(50_000), timestamp: nowMs }];
      const batch = buildBatch(repetitive, { compression: CompressionCodec.Zstd });
      expect(batch.length).toBeLessThan(1000);
      const result = refusal(batch, {
        maxMessageBytes: 10_000,
        recompression: { codec: CompressionCodec.None },
      });
      expect(result).toMatchObject({ errorCode: ErrorCode.MessageTooLarge });
      expect(result.errorMessage).toMatch(
        /^Message batch size is \d+ bytes in append to partition t-0 which exceeds the maximum configured size of 10000\.$/,
      );
    });

    test("records that do not decode are CORRUPT_MESSAGE, even under a valid CRC", () => {
      const batch = buildBatch(records(3), { compression: CompressionCodec.Gzip });
      batch[batch.length - 5]! ^= 0xff;
      writeBatchCrc(batch, 0, batch.length);
      const result = refusal(batch, { recompression: { codec: CompressionCodec.Lz4 } });
      expect(result.errorCode).toBe(ErrorCode.CorruptMessage);
    });
  });
});

describe("compacted topics", () => {
  const compacted = { ...options, compacted: true };
  test("keyless records are refused with INVALID_RECORD, each named; keyed ones pass, compressed or not", () => {
    const mixed: Array<{ key: Uint8Array | null; value: Uint8Array; timestamp: number }> = records(3);
    mixed[1] = { ...mixed[1]!, key: null };
    for (const compression of [CompressionCodec.None, CompressionCodec.Zstd]) {
      const refused = validateProducedRecords(buildBatch(mixed, { compression }), compacted);
      expect(refused).toMatchObject({ ok: false, errorCode: ErrorCode.InvalidRecord });
      expect(!refused.ok && refused.recordErrors).toEqual([
        {
          batchIndex: 1,
          message: "Compacted topic cannot accept message without key in topic partition t-0",
        },
      ]);
      expect(validateProducedRecords(buildBatch(records(3), { compression }), compacted).ok).toBe(true);
    }
    // The same keyless batch is fine where cleanup.policy is delete.
    expect(validateProducedRecords(buildBatch(mixed), options).ok).toBe(true);
  });
});
