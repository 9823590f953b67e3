// Reads Kafka's primitive types from a byte slice. Every length and count is checked against the bytes that
// remain before anything is allocated or looped over, so hostile input costs at most its own size.
// Field names passed in are used only to word a ProtocolError; they cost nothing on the good path.

import { ProtocolError } from "../protocol-error.ts";
import {
  readFloat64,
  readInt8,
  readInt16,
  readInt32,
  readInt64,
  readUint16,
  readUint32,
} from "./big-endian.ts";

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** A varint of a 32-bit value has at most 5 bytes; a 64-bit one at most 10 (7 payload bits per byte). */
const varintBytesMax = 5;
const varlongBytesMax = 10;

/** Decodes a zigzag varlong held as two 32-bit halves; values beyond ±2^53 are refused, not rounded. */
function zigzagToSafeInteger(high: number, low: number, field: string): number {
  if (high < 0x20_0000) {
    // Below 2^53 the unsigned value is exact as a double. Zigzag: even is non-negative, odd negative.
    const unsigned = high * 0x1_0000_0000 + low;
    return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
  }
  const unsigned = (BigInt(high) << 32n) | BigInt(low);
  const value = unsigned & 1n ? -((unsigned + 1n) >> 1n) : unsigned >> 1n;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ProtocolError(`varlong ${value} outside the safe integer range`, [field]);
  }
  return Number(value);
}

export class ByteReader {
  // No DataView: one per request costs more than reading the few fixed-width fields by hand (big-endian.ts).
  readonly bytes: Uint8Array;
  offset: number;
  private readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `count` more bytes are there. */
  need(count: number, field: string): void {
    if (count > this.end - this.offset) {
      throw new ProtocolError(`needs ${count} bytes, ${this.end - this.offset} remain`, [field]);
    }
  }

  int8(field = "int8"): number {
    this.need(1, field);
    return readInt8(this.bytes, this.offset++);
  }

  uint8(field = "uint8"): number {
    this.need(1, field);
    return this.bytes[this.offset++]!;
  }

  bool(field = "bool"): boolean {
    return this.int8(field) !== 0;
  }

  int16(field = "int16"): number {
    this.need(2, field);
    const value = readInt16(this.bytes, this.offset);
    this.offset += 2;
    return value;
  }

  uint16(field = "uint16"): number {
    this.need(2, field);
    const value = readUint16(this.bytes, this.offset);
    this.offset += 2;
    return value;
  }

  int32(field = "int32"): number {
    this.need(4, field);
    const value = readInt32(this.bytes, this.offset);
    this.offset += 4;
    return value;
  }

  uint32(field = "uint32"): number {
    this.need(4, field);
    const value = readUint32(this.bytes, this.offset);
    this.offset += 4;
    return value;
  }

  int64(field = "int64"): bigint {
    this.need(8, field);
    const value = readInt64(this.bytes, this.offset);
    this.offset += 8;
    return value;
  }

  float64(field = "float64"): number {
    this.need(8, field);
    const value = readFloat64(this.bytes, this.offset);
    this.offset += 8;
    return value;
  }

  /** A Kafka UUID, returned in Kafka's own text form: 22 characters of unpadded base64url. */
  uuid(field = "uuid"): string {
    this.need(16, field);
    const value = this.bytes.subarray(this.offset, this.offset + 16).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
    this.offset += 16;
    return value;
  }

  /** Unsigned LEB128 of at most 32 bits (lengths, counts and tags in flexible versions). */
  unsignedVarint(field = "varint"): number {
    let value = 0;
    for (let index = 0; index < varintBytesMax; index++) {
      if (this.offset >= this.end) throw new ProtocolError("varint runs past the end", [field]);
      const byte = this.bytes[this.offset++]!;
      value |= (byte & 0x7f) << (7 * index);
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new ProtocolError(`varint longer than ${varintBytesMax} bytes`, [field]);
  }

  /** Zigzag-encoded signed 32-bit varint (record fields). */
  varint(field = "varint"): number {
    const raw = this.unsignedVarint(field);
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zigzag-encoded signed 64-bit varint, as a number: record fields never exceed 2^53 in practice. */
  varlong(field = "varlong"): number {
    let low = 0;
    let high = 0;
    for (let index = 0; index < varlongBytesMax; index++) {
      if (this.offset >= this.end) throw new ProtocolError("varlong runs past the end", [field]);
      const byte = this.bytes[this.offset++]!;
      if (index < 4) low |= (byte & 0x7f) << (7 * index);
      else if (index === 4) {
        low |= (byte & 0x0f) << 28;
        high |= (byte & 0x7f) >>> 4;
      } else high |= (byte & 0x7f) << (7 * index - 32);
      if ((byte & 0x80) === 0) return zigzagToSafeInteger(high >>> 0, low >>> 0, field);
    }
    throw new ProtocolError(`varlong longer than ${varlongBytesMax} bytes`, [field]);
  }

  /** `count` raw bytes as a view into the input (no copy). */
  rawBytes(count: number, field = "bytes"): Uint8Array {
    if (count < 0) throw new ProtocolError(`negative length ${count}`, [field]);
    this.need(count, field);
    const value = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return value;
  }

  private utf8(length: number, field: string): string {
    this.need(length, field);
    const start = this.offset;
    this.offset += length;
    try {
      return textDecoder.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw new ProtocolError("string is not valid UTF-8", [field]);
    }
  }

  /** int16 length; -1 means null. */
  nullableString(field = "string"): string | null {
    const length = this.int16(field);
    if (length === -1) return null;
    if (length < 0) throw new ProtocolError(`negative string length ${length}`, [field]);
    return this.utf8(length, field);
  }

  string(field = "string"): string {
    const value = this.nullableString(field);
    if (value === null) throw new ProtocolError("null string where null is not allowed", [field]);
    return value;
  }

  /** Unsigned varint of length + 1; 0 means null. */
  nullableCompactString(field = "string"): string | null {
    const lengthPlusOne = this.unsignedVarint(field);
    if (lengthPlusOne === 0) return null;
    return this.utf8(lengthPlusOne - 1, field);
  }

  compactString(field = "string"): string {
    const value = this.nullableCompactString(field);
    if (value === null) throw new ProtocolError("null string where null is not allowed", [field]);
    return value;
  }

  /** int32 length; -1 means null. The result is a view into the input. */
  nullableBytes(field = "bytes"): Uint8Array | null {
    const length = this.int32(field);
    if (length === -1) return null;
    return this.rawBytes(length, field);
  }

  bytesField(field = "bytes"): Uint8Array {
    const value = this.nullableBytes(field);
    if (value === null) throw new ProtocolError("null bytes where null is not allowed", [field]);
    return value;
  }

  nullableCompactBytes(field = "bytes"): Uint8Array | null {
    const lengthPlusOne = this.unsignedVarint(field);
    if (lengthPlusOne === 0) return null;
    return this.rawBytes(lengthPlusOne - 1, field);
  }

  compactBytes(field = "bytes"): Uint8Array {
    const value = this.nullableCompactBytes(field);
    if (value === null) throw new ProtocolError("null bytes where null is not allowed", [field]);
    return value;
  }

  /**
   * An int32 array count; -1 means null. Each element takes at least `elementBytesMin` bytes, so a count
   * the remaining bytes cannot hold is refused before the caller allocates or loops.
   */
  nullableArrayLength(elementBytesMin: number, field = "array"): number | null {
    const count = this.int32(field);
    if (count === -1) return null;
    return this.checkCount(count, elementBytesMin, field);
  }

  arrayLength(elementBytesMin: number, field = "array"): number {
    const count = this.nullableArrayLength(elementBytesMin, field);
    if (count === null) throw new ProtocolError("null array where null is not allowed", [field]);
    return count;
  }

  /** Unsigned varint of count + 1; 0 means null. */
  nullableCompactArrayLength(elementBytesMin: number, field = "array"): number | null {
    const countPlusOne = this.unsignedVarint(field);
    if (countPlusOne === 0) return null;
    return this.checkCount(countPlusOne - 1, elementBytesMin, field);
  }

  compactArrayLength(elementBytesMin: number, field = "array"): number {
    const count = this.nullableCompactArrayLength(elementBytesMin, field);
    if (count === null) throw new ProtocolError("null array where null is not allowed", [field]);
    return count;
  }

  private checkCount(count: number, elementBytesMin: number, field: string): number {
    if (count < 0) throw new ProtocolError(`negative count ${count}`, [field]);
    if (count * Math.max(elementBytesMin, 1) > this.end - this.offset) {
      throw new ProtocolError(`count ${count} cannot fit in the ${this.end - this.offset} bytes left`, [
        field,
      ]);
    }
    return count;
  }
}
