// What every decompressor shares: a named ceiling on the bytes it may produce, so that a small hostile payload
// (a "zip bomb") is refused after at most that much work and memory, and one error type for bad payloads.

import { assert } from "../../base/assert.ts";
import { ProtocolError } from "../protocol-error.ts";

export interface DecompressOptions {
  /** Refuse to produce more than this many bytes; the caller derives it from its request or fetch limits. */
  decompressedBytesMax: number;
}

export function assertDecompressLimit(options: DecompressOptions): void {
  assert(
    Number.isSafeInteger(options.decompressedBytesMax) && options.decompressedBytesMax >= 1,
    `decompressedBytesMax must be a positive integer, got ${options.decompressedBytesMax}`,
  );
}

export function exceedsLimitError(codec: string, decompressedBytesMax: number): ProtocolError {
  return new ProtocolError(`decompressed size exceeds decompressedBytesMax ${decompressedBytesMax}`, [codec]);
}

/** Wraps whatever a native decoder threw into a ProtocolError: the payload came from outside. */
export function corruptPayloadError(codec: string, cause: unknown): ProtocolError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ProtocolError(`corrupt compressed payload (${detail})`, [codec]);
}
