// Snappy (Kafka codec 2). Java and librdkafka send the xerial framing: a 16-byte header (0x82 "SNAPPY" 0x00,
// int32 version 1, int32 compatible version 1) then [int32 big-endian length][raw snappy block] repeated.
// Some old clients send one raw block. We decode both and encode xerial with 32 KiB blocks, as Java does.
// Each raw block starts with a varint of its uncompressed length, checked against the limit before the
// native `snappy` package inflates it, so a bomb costs nothing.

import { compressSync, uncompressSync } from "snappy";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ProtocolError } from "../protocol-error.ts";
import {
  assertDecompressLimit,
  corruptPayloadError,
  type DecompressOptions,
  exceedsLimitError,
} from "./decompress-limit.ts";

export const xerialMagic = new Uint8Array([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const xerialHeaderBytes = 16;
/** xerial's SnappyOutputStream default, which Kafka's Java producer uses. */
export const xerialBlockBytes = 32 * 1024;

export function isXerialFramed(bytes: Uint8Array): boolean {
  if (bytes.length < xerialHeaderBytes) return false;
  for (let index = 0; index < xerialMagic.length; index++) {
    if (bytes[index] !== xerialMagic[index]) return false;
  }
  return true;
}

export function snappyCompress(bytes: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  let total = xerialHeaderBytes;
  for (let start = 0; start < bytes.length; start += xerialBlockBytes) {
    const block = compressSync(bytes.subarray(start, start + xerialBlockBytes));
    blocks.push(block);
    total += 4 + block.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(xerialMagic, 0);
  view.setInt32(8, 1);
  view.setInt32(12, 1);
  let position = xerialHeaderBytes;
  for (const block of blocks) {
    view.setInt32(position, block.length);
    out.set(block, position + 4);
    position += 4 + block.length;
  }
  return out;
}

export function snappyDecompress(bytes: Uint8Array, options: DecompressOptions): Uint8Array {
  assertDecompressLimit(options);
  if (!isXerialFramed(bytes)) return decompressBlock(bytes, options.decompressedBytesMax);
  const reader = new ByteReader(bytes, xerialHeaderBytes);
  const blocks: Uint8Array[] = [];
  let total = 0;
  while (reader.remaining > 0) {
    const length = reader.int32("snappy.blockLength");
    const block = wrap(() => reader.rawBytes(length, "snappy.block"));
    const inflated = decompressBlock(block, options.decompressedBytesMax - total);
    total += inflated.length;
    blocks.push(inflated);
  }
  return concat(blocks, total);
}

/** A raw block's uncompressed length, the varint that starts it. */
export function rawUncompressedBytes(block: Uint8Array): number {
  return wrap(() => new ByteReader(block).unsignedVarint("snappy.uncompressedLength"));
}

function decompressBlock(block: Uint8Array, bytesMax: number): Uint8Array {
  if (rawUncompressedBytes(block) > bytesMax) throw exceedsLimitError("snappy", bytesMax);
  try {
    return uncompressSync(block, { asBuffer: true }) as Uint8Array;
  } catch (error) {
    throw corruptPayloadError("snappy", error);
  }
}

function wrap<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ProtocolError) throw error.within("snappy");
    throw error;
  }
}

export function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let position = 0;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.length;
  }
  return out;
}
