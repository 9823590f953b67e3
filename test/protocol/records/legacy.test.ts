// Proves legacy message sets (magic 0 and 1, plain and compressed) round-trip with offsets, keys, values and
// timestamps, match an independent encoder and decoder (kafkajs), refuse damage with a ProtocolError, and
// convert to magic-2 batches and back keeping offsets, keys, values and (magic 1) timestamps.

import { describe, expect, test } from "bun:test";
import { compress } from "../../../src/protocol/compression/index.ts";
import { ProtocolError } from "../../../src/protocol/protocol-error.ts";
import { buildBatch } from "../../../src/protocol/records/batch-builder.ts";
import {
  CompressionCodec,
  readBatchHeader,
  scanBatches,
} from "../../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../../src/protocol/records/batch-records.ts";
import {
  buildControlBatch,
  ControlRecordType,
  encodeEndTxnMarker,
} from "../../../src/protocol/records/control-record.ts";
import { crc32Ieee } from "../../../src/protocol/records/crc32-ieee.ts";
import {
  decodeMessageSet,
  encodeMessageSet,
  type LegacyMagic,
  type MessageInput,
} from "../../../src/protocol/records/legacy.ts";
import { batchesToMessageSet, messageSetToBatch } from "../../../src/protocol/records/legacy-convert.ts";

const encoder = new TextEncoder();
const limit = { decompressedBytesMax: 1 << 20 };
const legacyCodecs = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
];

function messages(firstOffset: bigint, count: number): MessageInput[] {
  return Array.from({ length: count }, (_, index) => ({
    offset: firstOffset + BigInt(index * 2),
    timestamp: 1_600_000_000_000 + index * 3,
    key: index % 3 === 0 ? null : encoder.encode(`key${index}`),
    value: index % 4 === 2 ? null : encoder.encode(`value ${index} `.repeat(5)),
  }));
}

test("crc32Ieee is the IEEE CRC-32 (the check value, and Bun's)", () => {
  expect(crc32Ieee(encoder.encode("123456789"))).toBe(0xcbf43926);
  const text = encoder.encode("legacy message bytes ".repeat(20));
  expect(crc32Ieee(text)).toBe(Bun.hash.crc32(text));
});

describe.each([0, 1] as LegacyMagic[])("magic %i", (magic) => {
  test.each(legacyCodecs)("codec %i round-trips offsets, keys, values, timestamps", (codec) => {
    const input = messages(500n, 12);
    const decoded = decodeMessageSet(encodeMessageSet(input, { magic, compression: codec }), limit);
    expect(decoded.map((entry) => entry.offset)).toEqual(input.map((message) => message.offset));
    expect(decoded.map((entry) => entry.key)).toEqual(input.map((message) => message.key));
    expect(decoded.map((entry) => entry.value)).toEqual(input.map((message) => message.value));
    expect(decoded.map((entry) => entry.timestamp)).toEqual(
      input.map((message) => (magic === 1 ? message.timestamp : -1)),
    );
    expect(decoded.every((entry) => entry.compression === codec && entry.magic === magic)).toBe(true);
  });

  test("uncompressed bytes equal kafkajs's encoder's", () => {
    const MessageSet = require("kafkajs/src/protocol/messageSet/index.js");
    const entries = [0, 1, 2].map((index) => ({
      key: index === 0 ? null : Buffer.from(`k${index}`),
      value: Buffer.from(`v${index}`),
      timestamp: 1_500_000_000_000 + index,
    }));
    const theirs = MessageSet({ messageVersion: magic, compression: 0, entries }).buffer;
    const ours = encodeMessageSet(
      entries.map((entry) => ({ ...entry, offset: -1n })),
      { magic, compression: CompressionCodec.None },
    );
    expect([...ours]).toEqual([...theirs]);
  });

  test("a damaged message is a ProtocolError (CRC, size, truncation)", () => {
    const bytes = encodeMessageSet(messages(0n, 3), { magic, compression: CompressionCodec.None });
    const flipped = bytes.slice();
    flipped[30]! ^= 1;
    expect(() => decodeMessageSet(flipped, limit)).toThrow(/CRC-32/);
    expect(() => decodeMessageSet(bytes.subarray(0, -2), limit)).toThrow(ProtocolError);
    const hugeSize = bytes.slice();
    new DataView(hugeSize.buffer).setInt32(8, 0x7fff_fff0);
    expect(() => decodeMessageSet(hugeSize, limit)).toThrow(ProtocolError);
  });
});

test("kafkajs decodes our compressed magic-1 set to the same absolute offsets", async () => {
  const decodeSet = require("kafkajs/src/protocol/messageSet/decoder.js");
  const Decoder = require("kafkajs/src/protocol/decoder.js");
  const input = messages(1000n, 5);
  const bytes = encodeMessageSet(input, { magic: 1, compression: CompressionCodec.Gzip });
  const decoded = await decodeSet(new Decoder(Buffer.from(bytes)), bytes.length);
  expect(decoded.map((message: { offset: string }) => BigInt(message.offset))).toEqual(
    input.map((message) => message.offset),
  );
});

/** One magic-1 message with the given attributes and value, CRC included, built by hand. */
function rawMessage(attributes: number, value: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(12 + 4 + 1 + 1 + 8 + 4 + 4 + value.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(8, bytes.length - 12);
  bytes[16] = 1;
  bytes[17] = attributes;
  view.setInt32(26, -1);
  view.setInt32(30, value.length);
  bytes.set(value, 34);
  view.setUint32(12, crc32Ieee(bytes.subarray(16)));
  return bytes;
}

test("a zip bomb in a wrapper is refused, and so is a compressed message inside a wrapper", () => {
  const bomb = encodeMessageSet([{ offset: 0n, timestamp: 0, key: null, value: new Uint8Array(4 << 20) }], {
    magic: 1,
    compression: CompressionCodec.Gzip,
  });
  expect(() => decodeMessageSet(bomb, limit)).toThrow(/decompressedBytesMax/);
  const nested = rawMessage(
    CompressionCodec.Gzip,
    compress(
      CompressionCodec.Gzip,
      encodeMessageSet(messages(0n, 2), {
        magic: 1,
        compression: CompressionCodec.Gzip,
      }),
    ),
  );
  expect(decodeMessageSet(rawMessage(0, encoder.encode("plain")), limit)[0]?.value).toEqual(
    encoder.encode("plain"),
  );
  expect(() => decodeMessageSet(nested, limit)).toThrow(/inner message is compressed/);
});

describe.each([0, 1] as LegacyMagic[])("conversion, magic %i", (magic) => {
  test.each(legacyCodecs)(
    "message set (codec %i) → batch keeps offsets, keys, values, timestamps",
    (codec) => {
      const input = messages(300n, 9);
      const batch = messageSetToBatch(encodeMessageSet(input, { magic, compression: codec }), {
        ...limit,
        offsets: "keep",
      });
      expect(scanBatches(batch, { verifyCrc: true }).problem).toBeNull();
      const header = readBatchHeader(batch);
      expect(header.baseOffset).toBe(300n);
      expect(header.lastOffsetDelta).toBe(16);
      expect(header.attributes & 0x07).toBe(codec);
      const records = readAllRecords(batch, limit);
      expect(records.map((record) => header.baseOffset + BigInt(record.offsetDelta))).toEqual(
        input.map((message) => message.offset),
      );
      expect(records.map((record) => record.key)).toEqual(input.map((message) => message.key));
      expect(records.map((record) => record.value)).toEqual(input.map((message) => message.value));
      expect(records.map((record) => record.timestamp)).toEqual(
        input.map((message) => (magic === 1 ? message.timestamp : -1)),
      );
    },
  );

  test.each([...legacyCodecs, CompressionCodec.Zstd])(
    "batches (codec %i) → message set keeps offsets",
    (codec) => {
      const first = buildBatch(
        messages(0n, 4).map((message) => ({ ...message, headers: [{ key: "dropped", value: null }] })),
        { baseOffset: 10n, compression: codec },
      );
      const marker = buildControlBatch(
        { type: ControlRecordType.Commit, value: encodeEndTxnMarker(0), timestamp: 5 },
        { baseOffset: 14n },
      );
      const second = buildBatch(messages(0n, 3), { baseOffset: 15n, compression: codec });
      const log = new Uint8Array([...first, ...marker, ...second, ...second.subarray(0, 30)]);
      const entries = decodeMessageSet(batchesToMessageSet(log, { ...limit, magic }), limit);
      expect(entries.map((entry) => entry.offset)).toEqual([10n, 11n, 12n, 13n, 15n, 16n, 17n]);
      const expected = [...messages(0n, 4), ...messages(0n, 3)];
      expect(entries.map((entry) => entry.value)).toEqual(expected.map((message) => message.value));
      expect(entries.map((entry) => entry.key)).toEqual(expected.map((message) => message.key));
      expect(entries.map((entry) => entry.timestamp)).toEqual(
        expected.map((message) => (magic === 1 ? message.timestamp : -1)),
      );
      const expectedCodec = codec === CompressionCodec.Zstd ? CompressionCodec.None : codec;
      expect(entries.every((entry) => entry.compression === expectedCodec && entry.magic === magic)).toBe(
        true,
      );
    },
  );
});

test("Produce from kafkajs (uncompressed offsets all -1): offsets are assigned 0..n-1, or refused when kept", () => {
  const MessageSet = require("kafkajs/src/protocol/messageSet/index.js");
  const entries = [0, 1, 2].map((index) => ({
    key: null,
    value: Buffer.from(`v${index}`),
    timestamp: 1000 + index,
  }));
  const bytes = new Uint8Array(MessageSet({ messageVersion: 1, compression: 0, entries }).buffer);
  const batch = messageSetToBatch(bytes, { ...limit, offsets: "assign" });
  expect(readBatchHeader(batch)).toMatchObject({ baseOffset: 0n, lastOffsetDelta: 2, recordCount: 3 });
  expect(readAllRecords(batch, limit).map((record) => [record.offsetDelta, record.timestamp])).toEqual([
    [0, 1000],
    [1, 1001],
    [2, 1002],
  ]);
  expect(() => messageSetToBatch(bytes, { ...limit, offsets: "keep" })).toThrow(/out of order/);
});

test("an empty message set converts to no bytes", () => {
  expect(messageSetToBatch(new Uint8Array(0), { ...limit, offsets: "assign" }).length).toBe(0);
  expect(batchesToMessageSet(new Uint8Array(0), { ...limit, magic: 1 }).length).toBe(0);
});
