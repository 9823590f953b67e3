// Proves that malformed batches — truncated records, a wrong or hostile recordCount, hostile varints,
// corrupt or bomb-sized compressed payloads, random damage — end in a ProtocolError and never another error.

import { expect, test } from "bun:test";
import { ProtocolError } from "../../../src/protocol/protocol-error.ts";
import { buildBatch, type RecordInput } from "../../../src/protocol/records/batch-builder.ts";
import {
  batchHeaderBytes,
  batchOffsets,
  CompressionCodec,
  writeBatchCrc,
} from "../../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../../src/protocol/records/batch-records.ts";
import { expectProtocolError } from "../../support/expect-protocol-error.ts";

const encoder = new TextEncoder();
const limit = { decompressedBytesMax: 1 << 20 };

function records(count: number): RecordInput[] {
  return Array.from({ length: count }, (_, index) => ({
    key: encoder.encode(`k${index}`),
    value: encoder.encode(`value ${index}`),
    headers: [{ key: "h", value: encoder.encode("x") }],
    timestamp: 1000 + index,
  }));
}

/** A batch whose records section is `payload`, with header fields consistent and the CRC recomputed. */
function withPayload(payload: Uint8Array, recordCount: number, attributes = 0): Uint8Array {
  const batch = new Uint8Array(batchHeaderBytes + payload.length);
  batch.set(buildBatch([]).subarray(0, batchHeaderBytes));
  const view = new DataView(batch.buffer);
  view.setInt32(batchOffsets.batchLength, batch.length - 12);
  view.setInt16(batchOffsets.attributes, attributes);
  view.setInt32(batchOffsets.recordCount, recordCount);
  batch.set(payload, batchHeaderBytes);
  writeBatchCrc(batch, 0, batch.length);
  return batch;
}

const goodPayload = buildBatch(records(3)).subarray(batchHeaderBytes);

test("a record cut short is refused", () => {
  expectProtocolError(() => readAllRecords(withPayload(goodPayload.subarray(0, -3), 3), limit));
});

test("a recordCount above or below the records present is refused", () => {
  expectProtocolError(() => readAllRecords(withPayload(goodPayload, 4), limit));
  expectProtocolError(() => readAllRecords(withPayload(goodPayload, 2), limit), /follow the last/);
  expectProtocolError(() => readAllRecords(withPayload(goodPayload, -1), limit), /negative/);
});

test("a hostile recordCount is refused before any record is read", () => {
  // Refused by batchRecords itself (no iteration), from the bytes the payload has.
  expectProtocolError(() => readAllRecords(withPayload(goodPayload, 0x7fff_ffff), limit), /cannot fit/);
});

test("hostile varints: overlong, oversized lengths and counts", () => {
  const overlong = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
  expectProtocolError(() => readAllRecords(withPayload(overlong, 1), limit), /longer than/);
  // length 8, attributes, timestampDelta, offsetDelta, key length 2^30 (zigzag), ...
  const hugeKey = new Uint8Array([16, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0, 0, 0, 0, 0]);
  expectProtocolError(() => readAllRecords(withPayload(hugeKey, 1), limit));
  // key null, value null, header count 2^30.
  const hugeHeaders = new Uint8Array([18, 0, 0, 0, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0, 0, 0, 0, 0]);
  expectProtocolError(() => readAllRecords(withPayload(hugeHeaders, 1), limit), /header count/);
  const negativeKey = new Uint8Array([8, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  expectProtocolError(() => readAllRecords(withPayload(negativeKey, 1), limit));
  const lengthMismatch = new Uint8Array([14, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  expectProtocolError(() => readAllRecords(withPayload(lengthMismatch, 1), limit), /disagrees/);
});

test("a batchLength that disagrees with the bytes given is refused", () => {
  const batch = buildBatch(records(2));
  expectProtocolError(() => readAllRecords(batch.subarray(0, -1), limit), /batchLength/);
  expectProtocolError(() => readAllRecords(batch.subarray(0, 40), limit));
});

test("corrupt compressed payloads and bombs are refused", () => {
  for (const codec of [
    CompressionCodec.Gzip,
    CompressionCodec.Snappy,
    CompressionCodec.Lz4,
    CompressionCodec.Zstd,
  ]) {
    const compressed = buildBatch(records(20), { compression: codec }).subarray(batchHeaderBytes);
    expectProtocolError(() => readAllRecords(withPayload(compressed.subarray(0, -5), 20, codec), limit));
    const junk = new Uint8Array(64).fill(0x41);
    expectProtocolError(() => readAllRecords(withPayload(junk, 20, codec), limit));
    const bomb = buildBatch([{ key: null, value: new Uint8Array(4 << 20), timestamp: 0 }], {
      compression: codec,
    });
    expect(bomb.length).toBeLessThan(1 << 20);
    expectProtocolError(() => readAllRecords(bomb, limit), /decompressedBytesMax/);
  }
});

test("random damage to a batch ends in a ProtocolError or in records, never in another error", () => {
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const originals = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Lz4].map((codec) =>
    buildBatch(records(10), { compression: codec }),
  );
  let refused = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const original = originals[trial % originals.length]!;
    const damaged = original.slice();
    for (let flips = 1 + (random() % 3); flips > 0; flips--) {
      const at = batchOffsets.recordCount + (random() % (damaged.length - batchOffsets.recordCount));
      damaged[at] = random() & 0xff;
    }
    try {
      readAllRecords(damaged, limit);
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      refused++;
    }
  }
  expect(refused).toBeGreaterThan(1000);
});
