// xxHash32, needed for the one-byte header checksum of an LZ4 frame descriptor (a few bytes long).
// Written out in full so the frame code does not depend on a runtime hash; inputs here are tiny.

const prime1 = 0x9e3779b1;
const prime2 = 0x85ebca77;
const prime3 = 0xc2b2ae3d;
const prime4 = 0x27d4eb2f;
const prime5 = 0x165667b1;

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function round(accumulator: number, lane: number): number {
  return Math.imul(rotl((accumulator + Math.imul(lane, prime2)) | 0, 13), prime1);
}

function lane(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

export function xxhash32(bytes: Uint8Array, seed = 0): number {
  let position = 0;
  let hash: number;
  if (bytes.length >= 16) {
    let v1 = (seed + prime1 + prime2) | 0;
    let v2 = (seed + prime2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - prime1) | 0;
    for (; position + 16 <= bytes.length; position += 16) {
      v1 = round(v1, lane(bytes, position));
      v2 = round(v2, lane(bytes, position + 4));
      v3 = round(v3, lane(bytes, position + 8));
      v4 = round(v4, lane(bytes, position + 12));
    }
    hash = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    hash = (seed + prime5) | 0;
  }
  hash = (hash + bytes.length) | 0;
  for (; position + 4 <= bytes.length; position += 4) {
    hash = Math.imul(rotl((hash + Math.imul(lane(bytes, position), prime3)) | 0, 17), prime4);
  }
  for (; position < bytes.length; position++) {
    hash = Math.imul(rotl((hash + Math.imul(bytes[position]!, prime5)) | 0, 11), prime1);
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, prime2);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, prime3);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
