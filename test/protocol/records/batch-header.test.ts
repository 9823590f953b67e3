// Proves the batch header is read at Kafka's offsets, stamping offset and leader epoch leaves the CRC valid,
// and scanBatches stops at the first truncated or corrupt batch, reporting what came before.

import { describe, expect, test } from "bun:test";
import {
  batchCrcMatches,
  batchHeaderBytes,
  batchOffsets,
  CompressionCodec,
  compressionOf,
  isControlBatch,
  readBatchHeader,
  scanBatches,
  stampBatch,
  writeBatchCrc,
} from "../../../src/protocol/records/batch-header.ts";

/** A magic-2 batch with an opaque payload: enough for header-level tests. */
function makeBatch(payloadBytes: number, attributes = 0): Uint8Array {
  const size = batchHeaderBytes + payloadBytes;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setInt32(batchOffsets.batchLength, size - 12);
  view.setInt8(batchOffsets.magic, 2);
  view.setInt16(batchOffsets.attributes, attributes);
  view.setInt32(batchOffsets.lastOffsetDelta, 4);
  view.setBigInt64(batchOffsets.baseTimestamp, 1_700_000_000_000n);
  view.setBigInt64(batchOffsets.maxTimestamp, 1_700_000_000_004n);
  view.setBigInt64(batchOffsets.producerId, -1n);
  view.setInt16(batchOffsets.producerEpoch, -1);
  view.setInt32(batchOffsets.baseSequence, -1);
  view.setInt32(batchOffsets.recordCount, 5);
  for (let index = batchHeaderBytes; index < size; index++) bytes[index] = index & 0xff;
  writeBatchCrc(bytes, 0, size);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let position = 0;
  for (const part of parts) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}

describe("batch header", () => {
  test("fields come from Kafka's offsets", () => {
    const header = readBatchHeader(makeBatch(10, 0x20 | CompressionCodec.Zstd));
    expect(header.batchLength).toBe(batchHeaderBytes + 10 - 12);
    expect(header.magic).toBe(2);
    expect(header.lastOffsetDelta).toBe(4);
    expect(header.maxTimestamp).toBe(1_700_000_000_004n);
    expect(header.producerId).toBe(-1n);
    expect(header.recordCount).toBe(5);
    expect(compressionOf(header.attributes)).toBe(CompressionCodec.Zstd);
    expect(isControlBatch(header.attributes)).toBe(true);
  });

  test("stamping the base offset and leader epoch keeps the CRC valid; other edits break it", () => {
    const batch = makeBatch(100);
    stampBatch(batch, 0, 123_456_789_012n, 7);
    expect(batchCrcMatches(batch, 0, batch.length)).toBe(true);
    const header = readBatchHeader(batch);
    expect(header.baseOffset).toBe(123_456_789_012n);
    expect(header.partitionLeaderEpoch).toBe(7);
    batch[batchOffsets.attributes + 1]! ^= 0x01;
    expect(batchCrcMatches(batch, 0, batch.length)).toBe(false);
  });
});

describe("scanBatches", () => {
  test("walks batches laid end to end", () => {
    const bytes = concat(makeBatch(0), makeBatch(1000), makeBatch(3));
    const { spans, problem } = scanBatches(bytes, { verifyCrc: true });
    expect(problem).toBeNull();
    expect(spans).toEqual([
      { position: 0, size: 61 },
      { position: 61, size: 1061 },
      { position: 1122, size: 64 },
    ]);
  });

  test("a torn tail is 'truncated' with the whole batches before it", () => {
    const whole = concat(makeBatch(10), makeBatch(10));
    for (const cut of [whole.length - 1, 71 + 30, 71 + 1]) {
      const { spans, problem } = scanBatches(whole.subarray(0, cut), { verifyCrc: true });
      expect(spans).toEqual([{ position: 0, size: 71 }]);
      expect(problem?.kind).toBe("truncated");
      expect(problem?.position).toBe(71);
    }
  });

  test("corruption is found by magic, length or CRC", () => {
    const badMagic = concat(makeBatch(5), makeBatch(5));
    badMagic[66 + batchOffsets.magic] = 1;
    expect(scanBatches(badMagic, { verifyCrc: false }).problem).toMatchObject({
      kind: "corrupt",
      position: 66,
    });

    const badLength = makeBatch(5);
    new DataView(badLength.buffer).setInt32(batchOffsets.batchLength, 10);
    expect(scanBatches(badLength, { verifyCrc: false }).problem?.reason).toContain("below header size");

    const flipped = makeBatch(50);
    flipped[80]! ^= 0xff;
    expect(scanBatches(flipped, { verifyCrc: false }).problem).toBeNull();
    expect(scanBatches(flipped, { verifyCrc: true }).problem?.reason).toBe("CRC-32C mismatch");
  });

  test("a batch count limit is honoured", () => {
    const bytes = concat(makeBatch(1), makeBatch(1), makeBatch(1));
    expect(scanBatches(bytes, { verifyCrc: true, batchCountMax: 2 }).problem?.reason).toBe(
      "more than 2 batches",
    );
  });
});
