// Protocol Buffers wire format, just what the Raft codec needs, on plain numbers: varints of integers below
// 2^54 (offsets, terms and sizes stay below 2^53; zigzag doubles them), zigzag for sint64, length-delimited
// fields, and skipping unknown fields. A writer fills one buffer allocated at its exact final size; a reader
// reports malformed input by throwing WireError, which the codec turns into a refusal.
import { assert } from "../../base/assert.ts";

export const wireVarint = 0;
export const wireFixed64 = 1;
export const wireLengthDelimited = 2;
export const wireFixed32 = 5;

/** Malformed input; the message names what and where. */
export class WireError extends Error {}

const twoPow32 = 4294967296;
/** Varints the codec writes stay below this (2^54): every value is below 2^53, and zigzag doubles it. */
const varintMax = 2 ** 54;

export function varintSize(value: number): number {
  if (value < 128) return 1;
  if (value < 16384) return 2;
  if (value < 2097152) return 3;
  if (value < 268435456) return 4;
  let size = 5;
  for (let rest = Math.floor(value / 34359738368); rest > 0; rest = Math.floor(rest / 128)) size += 1;
  return size;
}

/** sint64's zigzag on the values offsets take: -1 → 1, n ≥ 0 → 2n. */
export function zigzag(value: number): number {
  // The message is built only on failure: a template in assert's argument would be built on every call.
  if (!(value >= -1 && Number.isSafeInteger(value))) assert(false, `offset ${value} out of range`);
  return value < 0 ? 1 : value * 2;
}

/** Size of a length-delimited field whose content takes `length` bytes (tag of a field number ≤ 15). */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

export class WireWriter {
  readonly bytes: Uint8Array;
  private pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  get position(): number {
    return this.pos;
  }

  /** A tag of a field number ≤ 15: one byte. */
  tag(field: number, wireType: number): void {
    this.bytes[this.pos++] = (field << 3) | wireType;
  }

  varint(value: number): void {
    if (!(value >= 0 && value < varintMax && Number.isInteger(value)))
      assert(false, `varint ${value} out of range`);
    let rest = value;
    while (rest >= twoPow32) {
      this.bytes[this.pos++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    while (rest >= 128) {
      this.bytes[this.pos++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.bytes[this.pos++] = rest;
  }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }
}

export class WireReader {
  /** Whether the last varint read was odd (exact even when the varint is too large for a number to hold). */
  lastVarintOdd = false;
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.byteLength,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's tag: field number in tag >>> 3, wire type in tag & 7. */
  tag(): number {
    const tag = this.varint();
    // Field numbers run from 1 to 2^29 - 1, so a tag fits 32 bits.
    if (tag < 8 || tag > 0xffffffff) throw new WireError(`tag ${tag}`);
    return tag;
  }

  /** A varint as a number; exact below 2^53, and for even values below 2^54 (zigzag of offsets). */
  varint(): number {
    let value = 0;
    let scale = 1;
    if (this.pos < this.end) this.lastVarintOdd = (this.buf[this.pos]! & 1) === 1;
    for (let index = 0; index < 10; index++) {
      if (this.pos >= this.end) throw new WireError("varint runs past the end");
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new WireError("varint longer than 10 bytes");
  }

  /** A length prefix, checked against the end; the content then runs from pos - length to pos. */
  private delimitedLength(): number {
    const length = this.varint();
    if (length > this.end - this.pos) throw new WireError(`length ${length} runs past the end`);
    this.pos += length;
    return length;
  }

  /** A view of a length-delimited field's bytes (no copy). */
  bytes(): Uint8Array {
    const length = this.delimitedLength();
    return this.buf.subarray(this.pos - length, this.pos);
  }

  /** A reader over a length-delimited field (an embedded message). */
  message(): WireReader {
    const length = this.delimitedLength();
    return new WireReader(this.buf, this.pos - length, this.pos);
  }

  /** Skips a field of a number this reader does not know (a newer sender's). */
  skip(wireType: number): void {
    switch (wireType) {
      case wireVarint:
        this.varint();
        return;
      case wireFixed64:
        this.advance(8);
        return;
      case wireLengthDelimited:
        this.delimitedLength();
        return;
      case wireFixed32:
        this.advance(4);
        return;
      default:
        throw new WireError(`wire type ${wireType}`);
    }
  }

  private advance(bytes: number): void {
    if (bytes > this.end - this.pos) throw new WireError("field runs past the end");
    this.pos += bytes;
  }
}
