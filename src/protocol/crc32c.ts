// CRC-32C (Castagnoli), the checksum of Kafka record batches (magic 2). The native @node-rs/crc32 (SIMD,
// ~6 GB/s here) is used when it loads; otherwise a pure slicing-by-8 table (~1.4 GB/s) gives the same answer.

import { crc32cSoftware } from "./crc32c-software.ts";

type Crc32c = (bytes: Uint8Array) => number;

function loadNative(): Crc32c | null {
  try {
    // A native addon may be missing on an unusual platform; the software path then serves.
    const native = require("@node-rs/crc32") as { crc32c(input: Uint8Array, initial?: number): number };
    if (native.crc32c(new TextEncoder().encode("123456789")) !== 0xe3069283) return null;
    return (bytes) => native.crc32c(bytes) >>> 0;
  } catch {
    return null;
  }
}

const native = loadNative();

/** CRC-32C of `bytes` as an unsigned 32-bit number. */
export const crc32c: Crc32c = native ?? crc32cSoftware;

export const crc32cImplementation: "native" | "software" = native ? "native" : "software";
