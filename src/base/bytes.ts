// Byte helpers that mean the same whatever the typed array's class. Bun hands socket reads over as Buffers,
// and the log reads into Buffers: Buffer.prototype.slice is a view (Node's legacy meaning) where
// Uint8Array.prototype.slice copies, so `bytes.slice()` on bytes of unknown origin may copy nothing at all.

/** A copy of `bytes` in memory of its own: a plain Uint8Array that pins nothing it was cut from. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * `length` bytes of memory of their own, not zeroed (Bun's allocUnsafeSlow), for a caller that overwrites every
 * one of them before use: zeroing a large buffer first costs CPU for nothing (~11% of the broker's user time
 * at full 1 KiB produce load when the frame splitter did it; bench/RESULTS.md). A plain Uint8Array over that
 * memory, not the Buffer, so that slice() copies.
 */
export function uninitializedBytes(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
