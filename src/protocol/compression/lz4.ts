// LZ4 (Kafka codec 3) in the standard LZ4 frame format, which Kafka's Java client and librdkafka use.
// The frame is written and walked here; lz4-napi supplies only the block codec. Decoding inflates block by
// block, telling the block decoder the most it may produce (the block maximum, or what is left under the
// limit), so a bomb stops at the limit. Block-wise decoding measured ~7× faster than lz4-napi's
// decompressFrameSync on 1 MiB of JSON-like records (≈2 GB/s against ≈270 MB/s).
//
// KAFKA-3160: Kafka before 0.10 computed the header checksum over the magic number too. Java still reads
// magic-0 messages ignoring that checksum and writes them with the broken one; `brokenHeaderChecksum`
// and `ignoreHeaderChecksum` reproduce both sides for legacy message sets.

import { compressSync, uncompressSync } from "lz4-napi";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ProtocolError } from "../protocol-error.ts";
import {
  assertDecompressLimit,
  corruptPayloadError,
  type DecompressOptions,
  exceedsLimitError,
} from "./decompress-limit.ts";
import { concat } from "./snappy.ts";
import { xxhash32 } from "./xxhash32.ts";

const frameMagic = 0x184d2204;
const flagVersionMask = 0xc0;
const flagVersion = 0x40;
const flagBlockIndependence = 0x20;
const flagBlockChecksum = 0x10;
const flagContentSize = 0x08;
const flagContentChecksum = 0x04;
const flagDictionaryId = 0x01;
const blockUncompressedBit = 0x8000_0000;
/** Magic, FLG, BD and header checksum: what our frames start with (no content size, no dictionary). */
const frameHeaderBytes = 7;
const javaBlockBytes = 64 * 1024;
const javaBlockDescriptor = 0x40;

export interface Lz4DecompressOptions extends DecompressOptions {
  ignoreHeaderChecksum?: boolean;
}

/**
 * A frame as Kafka's Java client writes it (KafkaLZ4BlockOutputStream): FLG 0x60 (version 1, independent
 * blocks, no checksums), BD 0x40 (64 KiB blocks), blocks stored raw when compressing does not shrink them.
 * 64 KiB blocks keep the buffer every consumer allocates per batch small (a 4 MiB maximum would cost 4 MiB).
 */
export function lz4Compress(bytes: Uint8Array, options: { brokenHeaderChecksum?: boolean } = {}): Uint8Array {
  const blocks: Uint8Array[] = [];
  let total = frameHeaderBytes + 4;
  for (let start = 0; start < bytes.length; start += javaBlockBytes) {
    const raw = bytes.subarray(start, start + javaBlockBytes);
    // compressSync prefixes the block with its uncompressed size (4 bytes little-endian); drop that.
    const packed = compressSync(raw as Buffer).subarray(4);
    const stored = packed.length < raw.length ? packed : raw;
    const block = new Uint8Array(4 + stored.length);
    const word = stored === raw ? (raw.length | blockUncompressedBit) >>> 0 : stored.length;
    new DataView(block.buffer).setUint32(0, word, true);
    block.set(stored, 4);
    blocks.push(block);
    total += block.length;
  }
  const frame = new Uint8Array(total);
  new DataView(frame.buffer).setUint32(0, frameMagic, true);
  frame[4] = flagVersion | flagBlockIndependence;
  frame[5] = javaBlockDescriptor;
  // KAFKA-3160: the broken checksum also covered the 4 magic bytes.
  const covered = options.brokenHeaderChecksum ? frame.subarray(0, 6) : frame.subarray(4, 6);
  frame[6] = (xxhash32(covered) >>> 8) & 0xff;
  let position = frameHeaderBytes;
  for (const block of blocks) {
    frame.set(block, position);
    position += block.length;
  }
  return frame; // the last 4 bytes stay zero: the end mark
}

export function lz4Decompress(bytes: Uint8Array, options: Lz4DecompressOptions): Uint8Array {
  assertDecompressLimit(options);
  try {
    return decodeFrame(new ByteReader(bytes), options);
  } catch (error) {
    if (error instanceof ProtocolError) throw error.path[0] === "lz4" ? error : error.within("lz4");
    throw corruptPayloadError("lz4", error);
  }
}

function decodeFrame(reader: ByteReader, options: Lz4DecompressOptions): Uint8Array {
  const blockBytesMax = readFrameHeader(reader, options);
  const flags = reader.bytes[4]!;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const word = littleEndianUint32(reader.rawBytes(4, "blockSize"));
    if (word === 0) break;
    const blockBytes = word & ~blockUncompressedBit;
    if (blockBytes > blockBytesMax) {
      throw new ProtocolError(`block of ${blockBytes} bytes exceeds the frame's ${blockBytesMax}`, ["lz4"]);
    }
    const block = reader.rawBytes(blockBytes, "block");
    if (flags & flagBlockChecksum) reader.rawBytes(4, "blockChecksum");
    const room = options.decompressedBytesMax - total;
    const inflated =
      word & blockUncompressedBit
        ? block
        : inflateBlock(
            block,
            Math.min(blockBytesMax, room),
            room < blockBytesMax ? options.decompressedBytesMax : null,
          );
    if (inflated.length > room) throw exceedsLimitError("lz4", options.decompressedBytesMax);
    chunks.push(inflated);
    total += inflated.length;
  }
  if (flags & flagContentChecksum) reader.need(4, "contentChecksum");
  return concat(chunks, total);
}

/** Checks magic, flags and header checksum; returns the frame's block maximum in bytes. */
function readFrameHeader(reader: ByteReader, options: Lz4DecompressOptions): number {
  const magic = littleEndianUint32(reader.rawBytes(4, "magic"));
  if (magic !== frameMagic) throw new ProtocolError(`bad frame magic 0x${magic.toString(16)}`, ["lz4"]);
  const flags = reader.uint8("flags");
  const blockDescriptor = reader.uint8("blockDescriptor");
  if ((flags & flagVersionMask) !== flagVersion || (flags & 0x02) !== 0 || (flags & flagDictionaryId) !== 0) {
    throw new ProtocolError(`unsupported frame flags 0x${flags.toString(16)}`, ["lz4"]);
  }
  if ((flags & flagBlockIndependence) === 0) {
    throw new ProtocolError("dependent blocks are unsupported (as in Kafka)", ["lz4"]);
  }
  const sizeCode = (blockDescriptor >> 4) & 0x07;
  if (sizeCode < 4 || (blockDescriptor & 0x8f) !== 0) {
    throw new ProtocolError(`bad block descriptor 0x${blockDescriptor.toString(16)}`, ["lz4"]);
  }
  if (flags & flagContentSize) reader.rawBytes(8, "contentSize");
  const descriptorEnd = reader.offset;
  const headerChecksum = reader.uint8("headerChecksum");
  const expected = (xxhash32(reader.bytes.subarray(4, descriptorEnd)) >>> 8) & 0xff;
  if (!options.ignoreHeaderChecksum && headerChecksum !== expected) {
    throw new ProtocolError("frame header checksum mismatch", ["lz4"]);
  }
  return 1 << (8 + 2 * sizeCode);
}

/** `limitedBy` is the decompressedBytesMax when it, not the block maximum, set `outputBytesMax`. */
function inflateBlock(block: Uint8Array, outputBytesMax: number, limitedBy: number | null): Uint8Array {
  // lz4-napi's block decoder takes a 4-byte little-endian size prefix: the most it may produce.
  const prefixed = new Uint8Array(4 + block.length);
  new DataView(prefixed.buffer).setUint32(0, outputBytesMax, true);
  prefixed.set(block, 4);
  try {
    return uncompressSync(prefixed);
  } catch (error) {
    // "output is too small" under a ceiling below the block maximum: the limit, not corruption, stopped it.
    if (limitedBy !== null && /too small/.test(String(error))) throw exceedsLimitError("lz4", limitedBy);
    throw corruptPayloadError("lz4", error);
  }
}

function littleEndianUint32(bytes: Uint8Array): number {
  return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
}
