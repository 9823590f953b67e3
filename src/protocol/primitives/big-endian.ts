// Big-endian integers read from and written into byte arrays by hand, for the per-request paths.
//
// Why not a DataView: a DataView needs the array's ArrayBuffer, and a small Uint8Array fresh from
// `new Uint8Array(n)` (a response being encoded) has none until one is made for it — a malloc and a copy
// that cost ~0.7 µs, ten times the typed array itself; a view over a socket chunk costs ~0.1 µs more per
// read site. Produce did this five or six times per request. Here only the 64-bit values go through one
// shared 8-byte view. Out-of-range positions throw RangeError, as a DataView's would.

const scratchBuffer = new ArrayBuffer(8);
const scratchBytes = new Uint8Array(scratchBuffer);
const scratchView = new DataView(scratchBuffer);

function checkBounds(bytes: Uint8Array, at: number, width: number): void {
  if (!(at >= 0 && at + width <= bytes.length)) {
    throw new RangeError(`${width}-byte access at ${at} is outside ${bytes.length} bytes`);
  }
}

export function readInt8(bytes: Uint8Array, at: number): number {
  checkBounds(bytes, at, 1);
  return (bytes[at]! << 24) >> 24;
}

export function readInt16(bytes: Uint8Array, at: number): number {
  checkBounds(bytes, at, 2);
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16)) >> 16;
}

export function readUint16(bytes: Uint8Array, at: number): number {
  checkBounds(bytes, at, 2);
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function readInt32(bytes: Uint8Array, at: number): number {
  checkBounds(bytes, at, 4);
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

export function readUint32(bytes: Uint8Array, at: number): number {
  return readInt32(bytes, at) >>> 0;
}

/** An int64 as a number: exact while the value lies within ±2^53; callers check Number.isSafeInteger. */
export function readInt64AsNumber(bytes: Uint8Array, at: number): number {
  return readInt32(bytes, at) * 0x1_0000_0000 + readUint32(bytes, at + 4);
}

function toScratch(bytes: Uint8Array, at: number): void {
  checkBounds(bytes, at, 8);
  for (let i = 0; i < 8; i++) scratchBytes[i] = bytes[at + i]!;
}

function fromScratch(bytes: Uint8Array, at: number): void {
  checkBounds(bytes, at, 8);
  for (let i = 0; i < 8; i++) bytes[at + i] = scratchBytes[i]!;
}

export function readInt64(bytes: Uint8Array, at: number): bigint {
  toScratch(bytes, at);
  return scratchView.getBigInt64(0);
}

export function readFloat64(bytes: Uint8Array, at: number): number {
  toScratch(bytes, at);
  return scratchView.getFloat64(0);
}

// Typed-array stores keep the low 8 bits of a number, so shifting is all the writes need, signed or not.

export function writeInt16(bytes: Uint8Array, at: number, value: number): void {
  checkBounds(bytes, at, 2);
  bytes[at] = value >> 8;
  bytes[at + 1] = value;
}

export function writeInt32(bytes: Uint8Array, at: number, value: number): void {
  checkBounds(bytes, at, 4);
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

export function writeInt64(bytes: Uint8Array, at: number, value: bigint): void {
  scratchView.setBigInt64(0, value);
  fromScratch(bytes, at);
}

export function writeFloat64(bytes: Uint8Array, at: number, value: number): void {
  scratchView.setFloat64(0, value);
  fromScratch(bytes, at);
}
