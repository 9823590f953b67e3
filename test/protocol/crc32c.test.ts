// Proves the CRC-32C in use gives the Castagnoli check values, and that the native and software
// implementations agree on every length and alignment.

import { expect, test } from "bun:test";
import { crc32c } from "../../src/protocol/crc32c.ts";
import { crc32cSoftware } from "../../src/protocol/crc32c-software.ts";

test("standard check values", () => {
  const check = new TextEncoder().encode("123456789");
  expect(crc32c(check)).toBe(0xe3069283);
  expect(crc32cSoftware(check)).toBe(0xe3069283);
  expect(crc32cSoftware(new Uint8Array(32))).toBe(0x8a9136aa);
  expect(crc32cSoftware(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  expect(crc32cSoftware(new Uint8Array(0))).toBe(0);
});

test("native and software agree across lengths and offsets", () => {
  const data = new Uint8Array(4096);
  let seed = 12345;
  for (let index = 0; index < data.length; index++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[index] = seed >>> 24;
  }
  for (let start = 0; start < 9; start++) {
    for (const length of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4000]) {
      const slice = data.subarray(start, start + length);
      expect(crc32c(slice)).toBe(crc32cSoftware(slice));
    }
  }
});
