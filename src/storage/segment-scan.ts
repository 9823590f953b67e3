// Walking the batches of a segment file in bounded chunks: recovery verifies lengths, magic and CRC; reads
// seek from an index entry to the batch holding an offset. Never buffers a whole segment.

import { readInt8, readInt32, readInt64AsNumber } from "../protocol/primitives/big-endian.ts";
import {
  batchHeaderBytes,
  batchLengthPrefixBytes,
  batchOffsets,
  batchSizeAt,
  scanBatches,
} from "../protocol/records/batch-header.ts";
import { batchBytesMax, scanChunkBytes, seekChunkBytes } from "./limits.ts";
import { readFully, type StorageFs } from "./storage-fs.ts";

/** What the log needs from a batch header, with offsets as numbers. */
export interface BatchInfo {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  leaderEpoch: number;
  maxTimestampMs: number;
  magic: number;
}

export interface ScanProblem {
  kind: "truncated" | "corrupt";
  position: number;
  reason: string;
}

export function batchInfoAt(bytes: Uint8Array, at: number, filePosition: number): BatchInfo {
  const baseOffset = readInt64AsNumber(bytes, at + batchOffsets.baseOffset);
  return {
    position: filePosition,
    size: readInt32(bytes, at + batchOffsets.batchLength) + batchLengthPrefixBytes,
    baseOffset,
    lastOffset: baseOffset + readInt32(bytes, at + batchOffsets.lastOffsetDelta),
    leaderEpoch: readInt32(bytes, at + batchOffsets.partitionLeaderEpoch),
    maxTimestampMs: readInt64AsNumber(bytes, at + batchOffsets.maxTimestamp),
    magic: readInt8(bytes, at + batchOffsets.magic),
  };
}

/**
 * Verifies the batches of the file from position 0 to `fileBytes`, calling `onBatch` for each good one (it
 * may reject a batch, e.g. for an offset out of sequence). Returns the bytes of good batches and the first
 * problem, if any.
 */
export function scanSegmentFile(
  storageFs: StorageFs,
  fd: number,
  fileBytes: number,
  onBatch: (batch: BatchInfo) => string | null,
): { validBytes: number; problem: ScanProblem | null } {
  let position = 0;
  let chunkBytes = scanChunkBytes;
  const buffer = new Uint8Array(scanChunkBytes);
  while (position < fileBytes) {
    const left = fileBytes - position;
    const want = Math.min(chunkBytes, left);
    const chunk = want <= buffer.length ? buffer.subarray(0, want) : new Uint8Array(want);
    const got = readFully(storageFs, fd, chunk, position);
    const scanned = scanBatches(chunk.subarray(0, got), { verifyCrc: true });
    let consumed = 0;
    for (const span of scanned.spans) {
      const info = batchInfoAt(chunk, span.position, position + span.position);
      const rejection = onBatch(info);
      if (rejection !== null) {
        return {
          validBytes: position + consumed,
          problem: { kind: "corrupt", position: info.position, reason: rejection },
        };
      }
      consumed += span.size;
    }
    position += consumed;
    chunkBytes = scanChunkBytes;
    const problem = scanned.problem;
    if (problem === null) continue;
    if (problem.kind === "corrupt" || got === left) {
      return { validBytes: position, problem: { ...problem, position } };
    }
    if (consumed > 0) continue;
    // One batch larger than the chunk: read it whole, within the batch limit.
    const size = batchSizeAt(chunk, 0);
    if (size > batchBytesMax) {
      return {
        validBytes: position,
        problem: { kind: "corrupt", position, reason: `batch of ${size} bytes` },
      };
    }
    chunkBytes = size;
  }
  return { validBytes: position, problem: null };
}

/**
 * From the batch boundary `position`, finds the first batch whose last offset is ≥ `offset`, reading headers
 * only. Returns null if no batch before `endPosition` reaches it.
 */
export function seekBatch(
  storageFs: StorageFs,
  fd: number,
  range: { position: number; endPosition: number },
  offset: number,
): BatchInfo | null {
  const chunk = new Uint8Array(seekChunkBytes);
  let chunkStart = -1;
  let chunkBytes = 0;
  let position = range.position;
  while (position < range.endPosition) {
    if (position < chunkStart || position + batchHeaderBytes > chunkStart + chunkBytes) {
      chunkStart = position;
      chunkBytes = readFully(
        storageFs,
        fd,
        chunk.subarray(0, Math.min(chunk.length, range.endPosition - position)),
        position,
      );
      if (chunkBytes < batchHeaderBytes) return null;
    }
    const info = batchInfoAt(chunk, position - chunkStart, position);
    if (info.size < batchHeaderBytes) return null;
    if (info.lastOffset >= offset) return info;
    position += info.size;
  }
  return null;
}

/** Reads the header of the batch at `position`, or null if fewer than a header's bytes are there. */
export function readBatchInfo(storageFs: StorageFs, fd: number, position: number): BatchInfo | null {
  const header = new Uint8Array(batchHeaderBytes);
  if (readFully(storageFs, fd, header, position) < batchHeaderBytes) return null;
  return batchInfoAt(header, 0, position);
}

/** Whether the file holds only zero bytes from `from` to `to` (zeros written ahead of the last batch). */
export function isZeroFilled(storageFs: StorageFs, fd: number, from: number, to: number): boolean {
  const buffer = new Uint8Array(Math.min(scanChunkBytes, Math.max(0, to - from)));
  for (let position = from; position < to; position += buffer.length) {
    const chunk = buffer.subarray(0, Math.min(buffer.length, to - position));
    const got = readFully(storageFs, fd, chunk, position);
    for (let i = 0; i < got; i++) if (chunk[i] !== 0) return false;
  }
  return true;
}
