// Writes Kafka's primitive types into a growable buffer. Encoding is of values we built ourselves, so a value
// out of its type's range is a bug (assert), not bad input.

import { assert } from "../../base/assert.ts";
import { writeFloat64, writeInt16, writeInt32, writeInt64 } from "./big-endian.ts";

const textEncoder = new TextEncoder();

const initialCapacityBytes = 256;

export class ByteWriter {
  // No DataView: making one for a fresh small array costs more than the array (see big-endian.ts).
  private buffer: Uint8Array;
  offset = 0;

  constructor(capacityBytes = initialCapacityBytes) {
    this.buffer = new Uint8Array(Math.max(capacityBytes, 16));
  }

  /** The bytes written so far, as a view (valid until the next write). */
  written(): Uint8Array {
    return this.buffer.subarray(0, this.offset);
  }

  /** The bytes written so far, copied into a buffer of their own. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.offset);
  }

  /** Makes room for `count` more bytes. */
  reserve(count: number): void {
    const needed = this.offset + count;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.offset));
    this.buffer = grown;
  }

  int8(value: number): void {
    this.reserve(1);
    this.buffer[this.offset++] = value;
  }

  uint8(value: number): void {
    this.reserve(1);
    this.buffer[this.offset++] = value;
  }

  bool(value: boolean): void {
    this.int8(value ? 1 : 0);
  }

  int16(value: number): void {
    this.reserve(2);
    writeInt16(this.buffer, this.offset, value);
    this.offset += 2;
  }

  uint16(value: number): void {
    this.reserve(2);
    writeInt16(this.buffer, this.offset, value);
    this.offset += 2;
  }

  int32(value: number): void {
    this.reserve(4);
    writeInt32(this.buffer, this.offset, value);
    this.offset += 4;
  }

  uint32(value: number): void {
    this.reserve(4);
    writeInt32(this.buffer, this.offset, value);
    this.offset += 4;
  }

  int64(value: bigint): void {
    this.reserve(8);
    writeInt64(this.buffer, this.offset, value);
    this.offset += 8;
  }

  float64(value: number): void {
    this.reserve(8);
    writeFloat64(this.buffer, this.offset, value);
    this.offset += 8;
  }

  /** A Kafka UUID given in its text form (22 characters of unpadded base64url). */
  uuid(value: string): void {
    const bytes = Uint8Array.fromBase64(value, { alphabet: "base64url" });
    assert(bytes.length === 16, `uuid must be 16 bytes, got ${bytes.length}`);
    this.rawBytes(bytes);
  }

  unsignedVarint(value: number): void {
    assert(value >= 0 && value <= 0xffff_ffff && Number.isInteger(value), `uvarint out of range: ${value}`);
    this.reserve(5);
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buffer[this.offset++] = value;
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(value: number): void {
    assert(value >= -0x8000_0000 && value <= 0x7fff_ffff && Number.isInteger(value), `varint: ${value}`);
    this.unsignedVarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** Zigzag-encoded signed 64-bit varint from a safe integer. */
  varlong(value: number): void {
    assert(Number.isSafeInteger(value), `varlong out of safe range: ${value}`);
    this.reserve(10);
    if (Math.abs(value) >= 2 ** 52) {
      // Zigzag doubles the magnitude, which a double cannot hold exactly past 2^53: take the BigInt path.
      let unsigned = value >= 0 ? BigInt(value) << 1n : (-BigInt(value) << 1n) - 1n;
      while (unsigned >= 0x80n) {
        this.buffer[this.offset++] = Number(unsigned & 0x7fn) | 0x80;
        unsigned >>= 7n;
      }
      this.buffer[this.offset++] = Number(unsigned);
      return;
    }
    let unsigned = value >= 0 ? value * 2 : -value * 2 - 1;
    while (unsigned >= 0x80) {
      this.buffer[this.offset++] = (unsigned % 0x80) | 0x80;
      unsigned = Math.floor(unsigned / 0x80);
    }
    this.buffer[this.offset++] = unsigned;
  }

  rawBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  nullableString(value: string | null): void {
    if (value === null) {
      this.int16(-1);
      return;
    }
    const bytes = textEncoder.encode(value);
    assert(bytes.length <= 0x7fff, `string of ${bytes.length} bytes exceeds int16 length`);
    this.int16(bytes.length);
    this.rawBytes(bytes);
  }

  nullableCompactString(value: string | null): void {
    if (value === null) {
      this.unsignedVarint(0);
      return;
    }
    const bytes = textEncoder.encode(value);
    this.unsignedVarint(bytes.length + 1);
    this.rawBytes(bytes);
  }

  nullableBytes(value: Uint8Array | null): void {
    if (value === null) {
      this.int32(-1);
      return;
    }
    this.int32(value.length);
    this.rawBytes(value);
  }

  nullableCompactBytes(value: Uint8Array | null): void {
    if (value === null) {
      this.unsignedVarint(0);
      return;
    }
    this.unsignedVarint(value.length + 1);
    this.rawBytes(value);
  }

  /** int32 count, -1 for null. */
  arrayLength(count: number | null): void {
    this.int32(count === null ? -1 : count);
  }

  /** Unsigned varint of count + 1, 0 for null. */
  compactArrayLength(count: number | null): void {
    this.unsignedVarint(count === null ? 0 : count + 1);
  }

  /** Writes `value` as big-endian int32 at an earlier position (size prefixes, lengths known afterwards). */
  patchInt32(position: number, value: number): void {
    assert(position + 4 <= this.offset, "patch past the written bytes");
    writeInt32(this.buffer, position, value);
  }
}
