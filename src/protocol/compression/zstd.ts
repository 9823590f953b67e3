// Zstandard (Kafka codec 4, magic 2 only). Compression is Bun's built-in zstd, at level 3 (Kafka's default)
// unless a topic's compression.zstd.level says otherwise.
// Decompression first walks the frames here (RFC 8878: frame header, block headers to the last block),
// because node:zlib returns what it has for a cut-off stream instead of failing. Then:
//  - when every frame declares its content size and their sum is within the limit, Bun.zstdDecompressSync
//    (~50% faster); it sizes its output from the declared size and fails if a frame holds more (measured:
//    a 64 MiB frame declaring 1000 bytes fails in 0.1 ms), and the length is checked afterwards;
//  - otherwise (streaming writers such as Java's zstd-jni omit the size) node:zlib with `maxOutputLength`,
//    which stops inflating at the limit.
// Both are pure computations on bytes — no clock, no I/O — so they are allowed inside protocol/.

import { constants, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { assert } from "../../base/assert.ts";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ProtocolError } from "../protocol-error.ts";
import {
  assertDecompressLimit,
  corruptPayloadError,
  type DecompressOptions,
  exceedsLimitError,
} from "./decompress-limit.ts";
import { zlibError } from "./gzip.ts";

const frameMagic = 0xfd2fb528;
const skippableMagicMask = 0xfffffff0;
const skippableMagic = 0x184d2a50;
const dictionaryIdBytes = [0, 1, 2, 4] as const;
const contentSizeBytes = [0, 2, 4, 8] as const;

/** Kafka's default zstd level (ZstdCompression.DEFAULT_LEVEL), and its range (zstd's own). */
export const zstdLevelDefault = 3;
const zstdLevelMin = -131072;
const zstdLevelMax = 22;

/**
 * Bun's zstd takes levels 1 to 22 and writes the content size into the frame (which the fast decompression
 * path above uses); zstd's negative "fast" levels, and 0 (its own default), go through node:zlib instead.
 */
export function zstdCompress(bytes: Uint8Array, level = zstdLevelDefault): Uint8Array {
  assert(Number.isInteger(level) && level >= zstdLevelMin && level <= zstdLevelMax, `zstd level ${level}`);
  if (level >= 1) return Bun.zstdCompressSync(bytes as Uint8Array<ArrayBuffer>, { level: level as 3 });
  return zstdCompressSync(bytes, { params: { [constants.ZSTD_c_compressionLevel]: level } });
}

export function zstdDecompress(bytes: Uint8Array, options: DecompressOptions): Uint8Array {
  assertDecompressLimit(options);
  const declaredBytes = walkFrames(bytes);
  if (declaredBytes !== null && declaredBytes > options.decompressedBytesMax) {
    throw exceedsLimitError("zstd", options.decompressedBytesMax);
  }
  if (declaredBytes !== null) return decompressDeclared(bytes, declaredBytes);
  try {
    return zstdDecompressSync(bytes, { maxOutputLength: options.decompressedBytesMax });
  } catch (error) {
    throw zlibError("zstd", error, options.decompressedBytesMax);
  }
}

function decompressDeclared(bytes: Uint8Array, declaredBytes: number): Uint8Array {
  let output: Uint8Array;
  try {
    output = Bun.zstdDecompressSync(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw corruptPayloadError("zstd", error);
  }
  if (output.length !== declaredBytes) {
    throw new ProtocolError(`frames declare ${declaredBytes} bytes but hold ${output.length}`, ["zstd"]);
  }
  return output;
}

/**
 * Walks every frame's structure (not its contents); throws unless all frames end where they should.
 * Returns the sum of the frames' declared content sizes, or null when a frame does not declare one.
 */
export function walkFrames(bytes: Uint8Array): number | null {
  try {
    const reader = new ByteReader(bytes);
    if (reader.remaining === 0) throw new ProtocolError("empty payload", ["frame"]);
    let declaredBytes: number | null = 0;
    while (reader.remaining > 0) {
      const magic = littleEndian(reader.rawBytes(4, "magic"), 4);
      if ((magic & skippableMagicMask) >>> 0 === skippableMagic) {
        reader.rawBytes(littleEndian(reader.rawBytes(4, "skippableSize"), 4), "skippableFrame");
        continue;
      }
      if (magic !== frameMagic) throw new ProtocolError(`bad frame magic 0x${magic.toString(16)}`, ["frame"]);
      const header = readFrameHeader(reader);
      skipBlocks(reader, header.hasChecksum);
      declaredBytes =
        declaredBytes === null || header.contentBytes === null ? null : declaredBytes + header.contentBytes;
    }
    return declaredBytes;
  } catch (error) {
    if (error instanceof ProtocolError) throw error.within("zstd");
    throw error;
  }
}

function readFrameHeader(reader: ByteReader): { hasChecksum: boolean; contentBytes: number | null } {
  const descriptor = reader.uint8("frameHeaderDescriptor");
  if (descriptor & 0x08) throw new ProtocolError("reserved bit set in frame header", ["frame"]);
  const singleSegment = (descriptor & 0x20) !== 0;
  const sizeFlag = (descriptor >> 6) as 0 | 1 | 2 | 3;
  reader.rawBytes(
    (singleSegment ? 0 : 1) + dictionaryIdBytes[(descriptor & 0x03) as 0 | 1 | 2 | 3],
    "frameHeader",
  );
  const sizeBytes = sizeFlag === 0 && singleSegment ? 1 : contentSizeBytes[sizeFlag];
  const size = sizeBytes === 0 ? null : littleEndian(reader.rawBytes(sizeBytes, "contentSize"), sizeBytes);
  return {
    hasChecksum: (descriptor & 0x04) !== 0,
    contentBytes: size !== null && sizeBytes === 2 ? size + 256 : size,
  };
}

function skipBlocks(reader: ByteReader, hasChecksum: boolean): void {
  for (;;) {
    const word = littleEndian(reader.rawBytes(3, "blockHeader"), 3);
    const blockType = (word >> 1) & 0x03;
    if (blockType === 3) throw new ProtocolError("reserved block type", ["block"]);
    reader.rawBytes(blockType === 1 ? 1 : word >>> 3, "block");
    if (word & 0x01) break;
  }
  if (hasChecksum) reader.rawBytes(4, "contentChecksum");
}

/** Unsigned little-endian integer of `count` bytes (up to 8; beyond 2^53 it loses precision, still huge). */
function littleEndian(bytes: Uint8Array, count: number): number {
  let value = 0;
  for (let index = count - 1; index >= 0; index--) value = value * 256 + bytes[index]!;
  return value;
}
