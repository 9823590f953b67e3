// The 61-byte header of a Kafka record batch (magic 2), read and stamped in place without touching records.
// Layout (big-endian), from Kafka's DefaultRecordBatch:
//   0 baseOffset int64 · 8 batchLength int32 (bytes after this field) · 12 partitionLeaderEpoch int32 ·
//   16 magic int8 · 17 crc uint32 (CRC-32C of byte 21 to the end) · 21 attributes int16 ·
//   23 lastOffsetDelta int32 · 27 baseTimestamp int64 · 35 maxTimestamp int64 · 43 producerId int64 ·
//   51 producerEpoch int16 · 53 baseSequence int32 · 57 recordCount int32 · 61 records.
// baseOffset and partitionLeaderEpoch lie outside the CRC, so the broker stamps them without recomputing it.

import { crc32c } from "../crc32c.ts";
import {
  readInt8,
  readInt16,
  readInt32,
  readInt64,
  readUint32,
  writeInt32,
  writeInt64,
} from "../primitives/big-endian.ts";
import { ProtocolError } from "../protocol-error.ts";

export const batchOffsets = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
  records: 61,
} as const;

/** Bytes of the header, and the least a magic-2 batch can be. */
export const batchHeaderBytes = 61;
/** baseOffset + batchLength: what precedes the bytes that batchLength counts. */
export const batchLengthPrefixBytes = 12;
/** Bytes the header needs to tell the batch's size and magic (through the magic byte). */
export const batchSizeProbeBytes = 17;

export const compressionCodecMask = 0x07;
export const timestampTypeMask = 0x08;
export const transactionalMask = 0x10;
export const controlMask = 0x20;
export const deleteHorizonMask = 0x40;

export enum CompressionCodec {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

export interface BatchHeader {
  baseOffset: bigint;
  /** Bytes after the batchLength field; the whole batch is batchLength + 12 bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Reads the header of the batch at `position`; the caller has checked that 61 bytes are there. */
export function readBatchHeader(bytes: Uint8Array, position = 0): BatchHeader {
  if (bytes.length - position < batchHeaderBytes) {
    throw new ProtocolError(
      `batch header needs ${batchHeaderBytes} bytes, ${bytes.length - position} remain`,
    );
  }
  return {
    baseOffset: readInt64(bytes, position + batchOffsets.baseOffset),
    batchLength: readInt32(bytes, position + batchOffsets.batchLength),
    partitionLeaderEpoch: readInt32(bytes, position + batchOffsets.partitionLeaderEpoch),
    magic: readInt8(bytes, position + batchOffsets.magic),
    crc: readUint32(bytes, position + batchOffsets.crc),
    attributes: readInt16(bytes, position + batchOffsets.attributes),
    lastOffsetDelta: readInt32(bytes, position + batchOffsets.lastOffsetDelta),
    baseTimestamp: readInt64(bytes, position + batchOffsets.baseTimestamp),
    maxTimestamp: readInt64(bytes, position + batchOffsets.maxTimestamp),
    producerId: readInt64(bytes, position + batchOffsets.producerId),
    producerEpoch: readInt16(bytes, position + batchOffsets.producerEpoch),
    baseSequence: readInt32(bytes, position + batchOffsets.baseSequence),
    recordCount: readInt32(bytes, position + batchOffsets.recordCount),
  };
}

export function compressionOf(attributes: number): CompressionCodec {
  return attributes & compressionCodecMask;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & controlMask) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & transactionalMask) !== 0;
}

export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & timestampTypeMask ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

/** Whole size in bytes of the batch (any magic) at `position`, from its length field. */
export function batchSizeAt(bytes: Uint8Array, position: number): number {
  return readInt32(bytes, position + batchOffsets.batchLength) + batchLengthPrefixBytes;
}

/** CRC-32C over attributes..end of the batch at `position` spanning `size` bytes. */
export function computeBatchCrc(bytes: Uint8Array, position: number, size: number): number {
  return crc32c(bytes.subarray(position + batchOffsets.attributes, position + size));
}

export function batchCrcMatches(bytes: Uint8Array, position: number, size: number): boolean {
  return readUint32(bytes, position + batchOffsets.crc) === computeBatchCrc(bytes, position, size);
}

/** Writes a fresh CRC into the batch after its covered bytes changed (building batches, LogAppendTime). */
export function writeBatchCrc(bytes: Uint8Array, position: number, size: number): void {
  writeInt32(bytes, position + batchOffsets.crc, computeBatchCrc(bytes, position, size));
}

/** Stamps the offset and leader epoch the log gives a batch; neither is covered by the CRC. */
export function stampBatch(
  bytes: Uint8Array,
  position: number,
  baseOffset: bigint,
  leaderEpoch: number,
): void {
  writeInt64(bytes, position + batchOffsets.baseOffset, baseOffset);
  writeInt32(bytes, position + batchOffsets.partitionLeaderEpoch, leaderEpoch);
}

export type BatchProblem =
  | { kind: "truncated"; position: number; reason: string }
  | { kind: "corrupt"; position: number; reason: string };

export interface BatchSpan {
  position: number;
  size: number;
}

/**
 * Walks the magic-2 batches laid end to end in `bytes`, checking each length, magic and (when asked) CRC.
 * Stops at the first problem and reports it with the spans that came before; used by produce validation
 * and by log recovery, which truncates at the first bad batch.
 */
export function scanBatches(
  bytes: Uint8Array,
  options: { verifyCrc: boolean; batchCountMax?: number },
): { spans: BatchSpan[]; problem: BatchProblem | null } {
  const spans: BatchSpan[] = [];
  const batchCountMax = options.batchCountMax ?? Number.POSITIVE_INFINITY;
  let position = 0;
  while (position < bytes.length) {
    const left = bytes.length - position;
    if (left < batchHeaderBytes) {
      return { spans, problem: { kind: "truncated", position, reason: `${left} bytes, less than a header` } };
    }
    const size = readInt32(bytes, position + batchOffsets.batchLength) + batchLengthPrefixBytes;
    const magic = readInt8(bytes, position + batchOffsets.magic);
    if (magic !== 2) {
      return { spans, problem: { kind: "corrupt", position, reason: `magic ${magic}, expected 2` } };
    }
    if (size < batchHeaderBytes) {
      return {
        spans,
        problem: { kind: "corrupt", position, reason: `batch length ${size} below header size` },
      };
    }
    if (size > left) {
      return {
        spans,
        problem: { kind: "truncated", position, reason: `batch of ${size} bytes, ${left} remain` },
      };
    }
    if (options.verifyCrc && !batchCrcMatches(bytes, position, size)) {
      return { spans, problem: { kind: "corrupt", position, reason: "CRC-32C mismatch" } };
    }
    if (spans.length >= batchCountMax) {
      return { spans, problem: { kind: "corrupt", position, reason: `more than ${batchCountMax} batches` } };
    }
    spans.push({ position, size });
    position += size;
  }
  return { spans, problem: null };
}
