// Proves records survive builder → iterator for every codec (keys, null keys and values, headers, gaps in
// offsets, empty batches), that the header fields and CRC-32C the builder derives are right, that stamping
// keeps the CRC valid, and that our bytes equal those of an independent encoder (kafkajs).

import { describe, expect, test } from "bun:test";
import { crc32cSoftware } from "../../../src/protocol/crc32c-software.ts";
import { buildBatch, type RecordInput } from "../../../src/protocol/records/batch-builder.ts";
import {
  CompressionCodec,
  compressionOf,
  readBatchHeader,
  scanBatches,
  stampBatch,
  TimestampType,
  timestampTypeOf,
} from "../../../src/protocol/records/batch-header.ts";
import { batchRecords, readAllRecords } from "../../../src/protocol/records/batch-records.ts";

const encoder = new TextEncoder();
const limit = { decompressedBytesMax: 16 << 20 };
const codecs = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
];

function sampleRecords(count: number): RecordInput[] {
  return Array.from({ length: count }, (_, index) => ({
    key: index % 4 === 0 ? null : encoder.encode(`key-${index}`),
    value: index % 5 === 3 ? null : encoder.encode(JSON.stringify({ index, text: "x".repeat(index % 50) })),
    headers:
      index % 3 === 0
        ? [
            { key: "trace", value: encoder.encode(`t-${index}`) },
            { key: "ünïcode", value: null },
          ]
        : [],
    timestamp: 1_700_000_000_000 + ((index * 37) % 101) - 50,
  }));
}

describe.each(codecs)("codec %i", (codec) => {
  test("records and derived header fields round-trip", () => {
    const inputs = sampleRecords(200);
    const batch = buildBatch(inputs, {
      baseOffset: 1000n,
      partitionLeaderEpoch: 7,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 99,
      transactional: true,
      compression: codec,
    });
    const header = readBatchHeader(batch);
    expect(header).toMatchObject({
      baseOffset: 1000n,
      batchLength: batch.length - 12,
      partitionLeaderEpoch: 7,
      magic: 2,
      lastOffsetDelta: 199,
      baseTimestamp: BigInt(inputs[0]!.timestamp),
      maxTimestamp: BigInt(Math.max(...inputs.map((input) => input.timestamp))),
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 99,
      recordCount: 200,
    });
    expect(compressionOf(header.attributes)).toBe(codec);
    expect(header.attributes & 0x10).toBe(0x10);
    expect(scanBatches(batch, { verifyCrc: true }).problem).toBeNull();
    const records = readAllRecords(batch, limit);
    expect(records.length).toBe(200);
    records.forEach((record, index) => {
      const input = inputs[index]!;
      expect(record.offsetDelta).toBe(index);
      expect(record.timestamp).toBe(input.timestamp);
      expect(record.key).toEqual(input.key);
      expect(record.value).toEqual(input.value);
      expect(record.headers).toEqual([...(input.headers ?? [])]);
    });
  });

  test("stamping baseOffset and leader epoch keeps the CRC valid", () => {
    const batch = buildBatch(sampleRecords(5), { compression: codec });
    stampBatch(batch, 0, 123_456_789_012n, 31);
    expect(scanBatches(batch, { verifyCrc: true }).problem).toBeNull();
    expect(readBatchHeader(batch).baseOffset).toBe(123_456_789_012n);
    batch[batch.length - 1]! ^= 1;
    expect(scanBatches(batch, { verifyCrc: true }).problem?.kind).toBe("corrupt");
  });
});

test("keys and values of an uncompressed batch are views into it, not copies", () => {
  const batch = buildBatch(sampleRecords(3));
  const [, record] = readAllRecords(batch, limit);
  expect(record!.key!.buffer).toBe(batch.buffer);
  expect(record!.value!.buffer).toBe(batch.buffer);
});

test("explicit offset deltas keep gaps; an empty batch carries its lastOffsetDelta", () => {
  const gapped = buildBatch(
    [0, 5, 9].map((offsetDelta) => ({ key: null, value: encoder.encode("v"), timestamp: 10, offsetDelta })),
  );
  expect(readBatchHeader(gapped).lastOffsetDelta).toBe(9);
  expect(readAllRecords(gapped, limit).map((record) => record.offsetDelta)).toEqual([0, 5, 9]);
  const empty = buildBatch([], { baseOffset: 50n, lastOffsetDelta: 4 });
  expect(readBatchHeader(empty)).toMatchObject({ recordCount: 0, lastOffsetDelta: 4, baseTimestamp: -1n });
  expect(empty.length).toBe(61);
  expect(readAllRecords(empty, limit)).toEqual([]);
  expect(scanBatches(empty, { verifyCrc: true }).problem).toBeNull();
});

test("under LogAppendTime every record reads the batch's maxTimestamp", () => {
  const batch = buildBatch(sampleRecords(4), {
    timestampType: TimestampType.LogAppendTime,
    logAppendTime: 5555,
  });
  const { header } = batchRecords(batch, limit);
  expect(timestampTypeOf(header.attributes)).toBe(TimestampType.LogAppendTime);
  expect(readAllRecords(batch, limit).map((record) => record.timestamp)).toEqual([5555, 5555, 5555, 5555]);
});

test("golden bytes: one record (key 'k', value 'v', one header) laid out by hand from the spec", () => {
  const batch = buildBatch(
    [
      {
        key: encoder.encode("k"),
        value: encoder.encode("v"),
        headers: [{ key: "h", value: null }],
        timestamp: 1000,
      },
    ],
    { baseOffset: 5n, partitionLeaderEpoch: 2 },
  );
  // biome-ignore format: one line per field, as in the spec
  const expected = [
    0, 0, 0, 0, 0, 0, 0, 5,         // baseOffset 5
    0, 0, 0, 61,                    // batchLength: 73 bytes in all, minus 12
    0, 0, 0, 2,                     // partitionLeaderEpoch 2
    2,                              // magic
    -1, -1, -1, -1,                 // crc (checked below)
    0, 0,                           // attributes: no compression, CreateTime, not transactional, not control
    0, 0, 0, 0,                     // lastOffsetDelta 0
    0, 0, 0, 0, 0, 0, 3, 0xe8,      // baseTimestamp 1000
    0, 0, 0, 0, 0, 0, 3, 0xe8,      // maxTimestamp 1000
    -1, -1, -1, -1, -1, -1, -1, -1, // producerId -1
    -1, -1,                         // producerEpoch -1
    -1, -1, -1, -1,                 // baseSequence -1
    0, 0, 0, 1,                     // recordCount 1
    22,                             // record length 11 (zigzag 22)
    0,                              // record attributes
    0,                              // timestampDelta 0
    0,                              // offsetDelta 0
    2, 0x6b,                        // key length 1, "k"
    2, 0x76,                        // value length 1, "v"
    2,                              // one header
    2, 0x68,                        // header key length 1, "h"
    1,                              // header value null (zigzag -1)
  ].map((byte) => byte & 0xff);
  const actual = [...batch];
  expect([...actual.slice(0, 17), ...actual.slice(21)]).toEqual([
    ...expected.slice(0, 17),
    ...expected.slice(21),
  ]);
  const crc = new DataView(batch.buffer).getUint32(17);
  expect(crc).toBe(crc32cSoftware(batch.subarray(21)));
});

test("bytes equal an independent encoder's (kafkajs RecordBatch v0) and kafkajs decodes ours", async () => {
  const kafkajsBatch = require("kafkajs/src/protocol/recordBatch/v0/index.js").RecordBatch;
  const kafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");
  const kafkajsDecodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js");
  const Decoder = require("kafkajs/src/protocol/decoder.js");
  const Long = require("kafkajs/src/utils/long.js");
  const base = 1_700_000_000_000;
  const inputs = [0, 1, 2].map((index) => ({
    key: Buffer.from(`key-${index}`),
    value: Buffer.from(`value-${index}`.repeat(index + 1)),
    headers: index === 1 ? { app: Buffer.from("chronik") } : {},
    timestamp: base + index * 10,
  }));
  const theirs = await kafkajsBatch({
    firstOffset: Long.fromInt(77),
    firstTimestamp: base,
    maxTimestamp: base + 20,
    lastOffsetDelta: 2,
    producerId: Long.fromValue(-1),
    producerEpoch: 0,
    firstSequence: 0,
    partitionLeaderEpoch: 0,
    records: inputs.map((input, offsetDelta) =>
      kafkajsRecord({ offsetDelta, timestampDelta: input.timestamp - base, ...input }),
    ),
  });
  const ours = buildBatch(
    inputs.map((input) => ({
      key: input.key,
      value: input.value,
      headers: Object.entries(input.headers).map(([key, value]) => ({ key, value })),
      timestamp: input.timestamp,
    })),
    { baseOffset: 77n, partitionLeaderEpoch: 0, producerEpoch: 0, baseSequence: 0 },
  );
  expect([...ours]).toEqual([...theirs.buffer]);
  const decoded = await kafkajsDecodeBatch(new Decoder(Buffer.from(ours)));
  expect(decoded.records.map((record: { value: Buffer }) => record.value.toString())).toEqual(
    inputs.map((input) => input.value.toString()),
  );
});
