// Whole-batch helpers of the partition log: validating the bytes handed to append, and cutting a read at
// the last whole batch that fits.

import { assert } from "../base/assert.ts";
import { readInt32 } from "../protocol/primitives/big-endian.ts";
import {
  type BatchSpan,
  batchHeaderBytes,
  batchOffsets,
  batchSizeAt,
  scanBatches,
} from "../protocol/records/batch-header.ts";
import type { Segment } from "./segment.ts";
import { batchInfoAt } from "./segment-scan.ts";
import { InvalidBatchError } from "./storage-error.ts";

export interface ReadResult {
  /** Whole batches exactly as stored; empty at the end of the log or at maxOffset. */
  bytes: Uint8Array;
  /** The offset to read next. */
  nextOffset: number;
}

/**
 * Reads whole batches from `position`: up to maxBytes, never past `endPosition`, and at least one unless
 * `minOneBatch` is false (then null when the first batch is larger than maxBytes, as when nothing is there).
 */
export function readWholeBatches(
  segment: Segment,
  position: number,
  endPosition: number,
  options: { maxBytes: number; minOneBatch: boolean },
): ReadResult | null {
  const available = endPosition - position;
  if (available < batchHeaderBytes) return null;
  let bytes = segment.readBytes(position, Math.min(Math.max(options.maxBytes, batchHeaderBytes), available));
  const firstSize = batchSizeAt(bytes, 0);
  if (firstSize > available) return null;
  if (firstSize > options.maxBytes && !options.minOneBatch) return null;
  if (firstSize > bytes.length) bytes = segment.readBytes(position, firstSize);
  let end = 0;
  let nextOffset = -1;
  while (end + batchHeaderBytes <= bytes.length) {
    const size = batchSizeAt(bytes, end);
    if (end + size > bytes.length) break;
    nextOffset = batchInfoAt(bytes, end, 0).lastOffset + 1;
    end += size;
  }
  assert(end > 0 && nextOffset >= 0, `no whole batch at ${segment.logPath}:${position}`);
  return { bytes: end === bytes.length ? bytes : bytes.subarray(0, end), nextOffset };
}

export function validSpans(bytes: Uint8Array): BatchSpan[] {
  const scanned = scanBatches(bytes, { verifyCrc: false });
  if (scanned.problem !== null) {
    const problem = scanned.problem;
    throw new InvalidBatchError(`${problem.kind} batch at byte ${problem.position}: ${problem.reason}`);
  }
  if (scanned.spans.length === 0) throw new InvalidBatchError("no batches to append");
  for (const span of scanned.spans) {
    if (lastOffsetDeltaAt(bytes, span.position) < 0) {
      throw new InvalidBatchError(`batch at byte ${span.position} has a negative lastOffsetDelta`);
    }
  }
  return scanned.spans;
}

export function lastOffsetDeltaAt(bytes: Uint8Array, position: number): number {
  return readInt32(bytes, position + batchOffsets.lastOffsetDelta);
}
