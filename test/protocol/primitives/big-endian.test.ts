import { describe, expect, test } from "bun:test";
import {
  readFloat64,
  readInt8,
  readInt16,
  readInt32,
  readInt64,
  readInt64AsNumber,
  readUint16,
  readUint32,
  writeFloat64,
  writeInt16,
  writeInt32,
  writeInt64,
} from "../../../src/protocol/primitives/big-endian.ts";

// DataView is the oracle: every read and write must agree with it byte for byte, at unaligned positions and
// inside a view that does not start at its buffer's beginning.
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state;
  };
}

describe("big-endian", () => {
  const random = seeded(7);
  const backing = new Uint8Array(64);
  for (let i = 0; i < backing.length; i++) backing[i] = random() & 0xff;
  const bytes = backing.subarray(3, 40);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  test("reads agree with DataView at every position", () => {
    for (let at = 0; at + 8 <= bytes.length; at++) {
      expect(readInt8(bytes, at)).toBe(view.getInt8(at));
      expect(readInt16(bytes, at)).toBe(view.getInt16(at));
      expect(readUint16(bytes, at)).toBe(view.getUint16(at));
      expect(readInt32(bytes, at)).toBe(view.getInt32(at));
      expect(readUint32(bytes, at)).toBe(view.getUint32(at));
      expect(readInt64(bytes, at)).toBe(view.getBigInt64(at));
      expect(
        Object.is(readFloat64(bytes, at), view.getFloat64(at)) || Number.isNaN(view.getFloat64(at)),
      ).toBe(true);
    }
  });

  test("int64 as a number is exact within ±2^53", () => {
    const out = new Uint8Array(8);
    for (const value of [
      0n,
      1n,
      -1n,
      4294967295n,
      4294967296n,
      -4294967297n,
      2n ** 53n - 1n,
      -(2n ** 53n) + 1n,
    ]) {
      new DataView(out.buffer).setBigInt64(0, value);
      expect(readInt64AsNumber(out, 0)).toBe(Number(value));
    }
  });

  test("writes agree with DataView, signed and unsigned", () => {
    const ours = new Uint8Array(16);
    const theirs = new Uint8Array(16);
    const theirView = new DataView(theirs.buffer);
    for (const value of [0, 1, -1, 0x7fff, -0x8000, 0x1234, -2]) {
      writeInt16(ours, 1, value);
      theirView.setInt16(1, value);
      expect(ours).toEqual(theirs);
    }
    for (const value of [0, 1, -1, 0x7fff_ffff, -0x8000_0000, 0xffff_ffff, 0x8000_0000, 123456789]) {
      writeInt32(ours, 3, value);
      theirView.setUint32(3, value >>> 0);
      expect(ours).toEqual(theirs);
    }
    for (const value of [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1700000000000n]) {
      writeInt64(ours, 5, value);
      theirView.setBigInt64(5, value);
      expect(ours).toEqual(theirs);
    }
    for (const value of [0, -0, 1.5, -1e300, Number.MIN_VALUE]) {
      writeFloat64(ours, 7, value);
      theirView.setFloat64(7, value);
      expect(ours).toEqual(theirs);
    }
  });

  test("access past either end throws RangeError, as a DataView does", () => {
    const short = new Uint8Array(6);
    expect(() => readInt32(short, 3)).toThrow(RangeError);
    expect(() => readInt16(short, -1)).toThrow(RangeError);
    expect(() => readInt64(short, 0)).toThrow(RangeError);
    expect(() => writeInt32(short, 4, 1)).toThrow(RangeError);
    expect(() => writeInt64(short, 0, 1n)).toThrow(RangeError);
    expect(short).toEqual(new Uint8Array(6));
  });
});
