// Test helper: valid magic-2 batches (61-byte header + opaque payload) with a deterministic payload, and a
// seeded PRNG. The real batch builder lives in protocol/; storage never looks inside the records.

import { batchHeaderBytes, batchOffsets, writeBatchCrc } from "../../src/protocol/records/batch-header.ts";

export interface BatchSpec {
  recordCount?: number;
  payloadBytes?: number;
  timestampMs?: number;
  /** Seeds the payload bytes, so the same spec always gives the same bytes. */
  seed?: number;
}

export function makeBatch(spec: BatchSpec = {}): Uint8Array {
  const recordCount = spec.recordCount ?? 1;
  const payloadBytes = spec.payloadBytes ?? 100;
  const timestampMs = BigInt(spec.timestampMs ?? 1_700_000_000_000);
  const bytes = new Uint8Array(batchHeaderBytes + payloadBytes);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(batchOffsets.baseOffset, 0n);
  view.setInt32(batchOffsets.batchLength, bytes.length - 12);
  view.setInt32(batchOffsets.partitionLeaderEpoch, -1);
  view.setInt8(batchOffsets.magic, 2);
  view.setInt16(batchOffsets.attributes, 0);
  view.setInt32(batchOffsets.lastOffsetDelta, recordCount - 1);
  view.setBigInt64(batchOffsets.baseTimestamp, timestampMs);
  view.setBigInt64(batchOffsets.maxTimestamp, timestampMs);
  view.setBigInt64(batchOffsets.producerId, -1n);
  view.setInt16(batchOffsets.producerEpoch, -1);
  view.setInt32(batchOffsets.baseSequence, -1);
  view.setInt32(batchOffsets.recordCount, recordCount);
  const random = prng(spec.seed ?? 1);
  for (let i = batchHeaderBytes; i < bytes.length; i++) bytes[i] = random() & 0xff;
  writeBatchCrc(bytes, 0, bytes.length);
  return bytes;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** mulberry32: a small seeded PRNG returning uint32 values. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniform integer in [low, high]. */
export function randomInt(random: () => number, low: number, high: number): number {
  return low + (random() % (high - low + 1));
}

/** The baseOffset stamped in the batch at `position`. */
export function baseOffsetOf(bytes: Uint8Array, position = 0): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(position + batchOffsets.baseOffset));
}

/** The n-th batch of a crash-test run: size, record count and payload all follow from n, which it carries. */
export function makeNumberedBatch(n: number): Uint8Array {
  const bytes = makeBatch({ recordCount: 1 + (n % 4), payloadBytes: 8 + ((n * 7919) % 2000), seed: n });
  new DataView(bytes.buffer).setBigInt64(batchHeaderBytes, BigInt(n));
  writeBatchCrc(bytes, 0, bytes.length);
  return bytes;
}

/** The n a numbered batch carries. */
export function numberOfBatch(bytes: Uint8Array, position = 0): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(position + batchHeaderBytes));
}
