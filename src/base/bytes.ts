// Byte helpers that mean the same whatever the typed array's class. Bun hands socket reads over as Buffers,
// and the log reads into Buffers: Buffer.prototype.slice is a view (Node's legacy meaning) where
// Uint8Array.prototype.slice copies, so `bytes.slice()` on bytes of unknown origin may copy nothing at all.

/** A copy of `bytes` in memory of its own: a plain Uint8Array that pins nothing it was cut from. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
