// Proves every Kafka primitive round-trips through ByteWriter and ByteReader with the spec's byte layout, and
// that hostile lengths, counts and varints are refused with a ProtocolError before any allocation.

import { describe, expect, test } from "bun:test";
import { ByteReader } from "../../../src/protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../../../src/protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../../../src/protocol/protocol-error.ts";

function bytesOf(write: (writer: ByteWriter) => void): Uint8Array {
  const writer = new ByteWriter(4);
  write(writer);
  return writer.finish();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

describe("wire layout", () => {
  test("fixed-width integers are big-endian", () => {
    expect(hex(bytesOf((w) => w.int16(-2)))).toBe("fffe");
    expect(hex(bytesOf((w) => w.int32(0x01020304)))).toBe("01020304");
    expect(hex(bytesOf((w) => w.int64(-1n)))).toBe("ffffffffffffffff");
    expect(hex(bytesOf((w) => w.uint32(0xfffffffe)))).toBe("fffffffe");
  });

  test("varints: unsigned LEB128 and zigzag", () => {
    expect(hex(bytesOf((w) => w.unsignedVarint(300)))).toBe("ac02");
    expect(hex(bytesOf((w) => w.varint(-1)))).toBe("01");
    expect(hex(bytesOf((w) => w.varint(1)))).toBe("02");
    expect(hex(bytesOf((w) => w.varint(-2147483648)))).toBe("ffffffff0f");
    expect(hex(bytesOf((w) => w.varlong(-1)))).toBe("01");
  });

  test("strings: int16 length or compact length + 1, null as -1 or 0", () => {
    expect(hex(bytesOf((w) => w.nullableString("ab")))).toBe("00026162");
    expect(hex(bytesOf((w) => w.nullableString(null)))).toBe("ffff");
    expect(hex(bytesOf((w) => w.nullableCompactString("ab")))).toBe("036162");
    expect(hex(bytesOf((w) => w.nullableCompactString(null)))).toBe("00");
    expect(hex(bytesOf((w) => w.compactArrayLength(null)))).toBe("00");
  });

  test("uuid in Kafka's base64url text form", () => {
    const id = "AAECAwQFBgcICQoLDA0ODw";
    const bytes = bytesOf((w) => w.uuid(id));
    expect(hex(bytes)).toBe("000102030405060708090a0b0c0d0e0f");
    expect(new ByteReader(bytes).uuid()).toBe(id);
  });
});

describe("round trips", () => {
  test("every primitive reads back what was written", () => {
    const varlongs = [
      0,
      1,
      -1,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 52,
      -(2 ** 52) - 1,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    const bytes = bytesOf((w) => {
      w.int8(-5);
      w.bool(true);
      w.int16(-300);
      w.uint16(65535);
      w.int32(-70000);
      w.int64(-(2n ** 63n));
      w.float64(3.25);
      for (const value of [0, 127, 128, 16383, 16384, 2 ** 32 - 1]) w.unsignedVarint(value);
      for (const value of [0, -1, 1, 2 ** 31 - 1, -(2 ** 31)]) w.varint(value);
      for (const value of varlongs) w.varlong(value);
      w.nullableString("héllo");
      w.nullableCompactString("");
      w.nullableBytes(new Uint8Array([1, 2]));
      w.nullableCompactBytes(null);
    });
    const r = new ByteReader(bytes);
    expect([r.int8(), r.bool(), r.int16(), r.uint16(), r.int32(), r.int64(), r.float64()]).toEqual([
      -5,
      true,
      -300,
      65535,
      -70000,
      -(2n ** 63n),
      3.25,
    ]);
    expect([0, 1, 2, 3, 4, 5].map(() => r.unsignedVarint())).toEqual([
      0,
      127,
      128,
      16383,
      16384,
      2 ** 32 - 1,
    ]);
    expect([0, 1, 2, 3, 4].map(() => r.varint())).toEqual([0, -1, 1, 2 ** 31 - 1, -(2 ** 31)]);
    expect(varlongs.map(() => r.varlong())).toEqual(varlongs);
    expect(r.string()).toBe("héllo");
    expect(r.compactString()).toBe("");
    expect([...r.bytesField()]).toEqual([1, 2]);
    expect(r.nullableCompactBytes()).toBeNull();
    expect(r.remaining).toBe(0);
  });
});

describe("hostile input", () => {
  function refuses(bytes: number[], read: (reader: ByteReader) => unknown, reason: string | RegExp): void {
    const reader = new ByteReader(new Uint8Array(bytes));
    let caught: unknown;
    try {
      read(reader);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).message).toMatch(reason);
  }

  test("lengths and counts beyond the remaining bytes", () => {
    refuses(
      [0x7f, 0xff, 0xff, 0xff, 1, 2],
      (r) => r.arrayLength(1, "topics"),
      /topics: count 2147483647 cannot fit/,
    );
    refuses([0x00, 0x05, 0x61], (r) => r.string("name"), /name: needs 5 bytes, 1 remain/);
    refuses([0x80, 0x80, 0x80, 0x80, 0x08], (r) => r.compactBytes("value"), /needs 2147483647 bytes/);
    refuses([0x00, 0x00, 0x00, 0x02, 0, 0], (r) => r.arrayLength(4, "partitions"), /count 2 cannot fit/);
  });

  test("negative lengths other than null, and null where not nullable", () => {
    refuses([0xff, 0xfe], (r) => r.nullableString("s"), /negative string length -2/);
    refuses([0xff, 0xff, 0xff, 0xfe], (r) => r.nullableBytes("b"), /negative length -2/);
    refuses([0xff, 0xff, 0xff, 0xfd], (r) => r.nullableArrayLength(1, "a"), /negative count -3/);
    refuses([0xff, 0xff], (r) => r.string("topic"), /topic: null string where null is not allowed/);
    refuses([0x00], (r) => r.compactArrayLength(1, "arr"), /null array/);
  });

  test("varints that never end or run past the end", () => {
    refuses([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], (r) => r.unsignedVarint("tag"), /longer than 5 bytes/);
    refuses([0x80, 0x80], (r) => r.unsignedVarint("tag"), /runs past the end/);
    refuses(new Array(11).fill(0xff), (r) => r.varlong("ts"), /longer than 10 bytes/);
    // zigzag 2^54: the value 2^53 does not fit a safe integer and must not be rounded.
    refuses(
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
      (r) => r.varlong("ts"),
      /outside the safe integer range/,
    );
  });

  test("invalid UTF-8", () => {
    refuses([0x00, 0x02, 0xc3, 0x28], (r) => r.string("clientId"), /not valid UTF-8/);
  });

  test("a reader bounded by `end` does not read past it", () => {
    const reader = new ByteReader(new Uint8Array([0, 0, 0, 1, 9, 9, 9, 9]), 0, 4);
    expect(reader.int32()).toBe(1);
    expect(() => reader.int8()).toThrow(ProtocolError);
  });
});
