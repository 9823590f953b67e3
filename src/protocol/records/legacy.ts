// Legacy message sets (magic 0 and 1), which Produce v0–v2 carry and Fetch v0–v3 return. Each message:
//   offset int64 · messageSize int32 · crc uint32 (IEEE CRC-32 of magic..end) · magic int8 · attributes int8 ·
//   [timestamp int64, magic 1 only] · key bytes (int32 length, -1 null) · value bytes
// A compressed message is a wrapper whose value is a compressed inner message set. Inner offsets are absolute
// in magic 0; in magic 1 they are relative, and the wrapper carries the offset of the last inner message.

import { assert } from "../../base/assert.ts";
import { compress, type DecompressOptions, decompress } from "../compression/index.ts";
import { lz4Compress, lz4Decompress } from "../compression/lz4.ts";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ByteWriter } from "../primitives/byte-writer.ts";
import { ProtocolError } from "../protocol-error.ts";
import { CompressionCodec, TimestampType } from "./batch-header.ts";
import { crc32Ieee } from "./crc32-ieee.ts";

export type LegacyMagic = 0 | 1;

/** A message as the client sees it after unwrapping (deep iteration). */
export interface LegacyEntry {
  offset: bigint;
  magic: LegacyMagic;
  /** -1 in magic 0, which has no timestamps. */
  timestamp: number;
  timestampType: TimestampType;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** The codec of the wrapper this message came in, None when it was not wrapped. */
  compression: CompressionCodec;
}

/** A message as written, before wrappers are opened (shallow iteration). */
export interface LegacyMessage {
  offset: bigint;
  magic: LegacyMagic;
  attributes: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

const logOverheadBytes = 12;
const attributeCodecMask = 0x07;
const attributeTimestampTypeMask = 0x08;
/** crc, magic, attributes and the key and value lengths: the least a message (magic 0) can be. */
const messageBytesMin = 14;

function readMessage(reader: ByteReader): LegacyMessage {
  const offset = reader.int64("offset");
  const size = reader.int32("messageSize");
  if (size < messageBytesMin) throw new ProtocolError(`message size ${size} too small`, ["message"]);
  const body = reader.rawBytes(size, "message");
  const inner = new ByteReader(body);
  const crc = inner.uint32("crc");
  if (crc32Ieee(body.subarray(4)) !== crc) throw new ProtocolError("CRC-32 mismatch", ["message"]);
  const magic = inner.int8("magic");
  if (magic !== 0 && magic !== 1) throw new ProtocolError(`magic ${magic}, expected 0 or 1`, ["message"]);
  const attributes = inner.int8("attributes");
  const timestamp = magic === 1 ? Number(inner.int64("timestamp")) : -1;
  const key = inner.nullableBytes("key");
  const value = inner.nullableBytes("value");
  if (inner.remaining !== 0) throw new ProtocolError(`${inner.remaining} bytes after value`, ["message"]);
  return { offset, magic, attributes, timestamp, key, value };
}

/** The messages laid end to end in `bytes`, without unwrapping; a partial message is a ProtocolError. */
export function readMessagesShallow(bytes: Uint8Array): LegacyMessage[] {
  const reader = new ByteReader(bytes);
  const messages: LegacyMessage[] = [];
  while (reader.remaining > 0) {
    if (reader.remaining < logOverheadBytes) {
      throw new ProtocolError(`${reader.remaining} bytes, less than a message header`, ["messageSet"]);
    }
    messages.push(readMessage(reader));
  }
  return messages;
}

/** Every message in the set, wrappers unwrapped; all inflating together stays within the limit. */
export function decodeMessageSet(bytes: Uint8Array, options: DecompressOptions): LegacyEntry[] {
  const entries: LegacyEntry[] = [];
  let inflatedBytes = 0;
  for (const message of readMessagesShallow(bytes)) {
    const codec = message.attributes & attributeCodecMask;
    if (codec === CompressionCodec.None) {
      entries.push(entryOf(message, message.offset, message.timestamp, CompressionCodec.None));
      continue;
    }
    const inner = inflate(message, codec, options.decompressedBytesMax - inflatedBytes);
    inflatedBytes += inner.length;
    entries.push(...unwrap(message, codec, readMessagesShallow(inner)));
  }
  return entries;
}

function inflate(wrapper: LegacyMessage, codec: number, bytesMax: number): Uint8Array {
  if (wrapper.value === null) throw new ProtocolError("compressed wrapper with null value", ["message"]);
  if (codec > CompressionCodec.Lz4)
    throw new ProtocolError(`codec ${codec} not allowed in magic 0/1`, ["message"]);
  if (bytesMax < 1) throw new ProtocolError("decompressedBytesMax reached", ["message"]);
  if (codec === CompressionCodec.Lz4) {
    // KAFKA-3160: magic-0 writers computed the LZ4 header checksum wrongly, so it is not checked.
    return lz4Decompress(wrapper.value, {
      decompressedBytesMax: bytesMax,
      ignoreHeaderChecksum: wrapper.magic === 0,
    });
  }
  return decompress(codec, wrapper.value, { decompressedBytesMax: bytesMax });
}

function unwrap(wrapper: LegacyMessage, codec: CompressionCodec, inner: LegacyMessage[]): LegacyEntry[] {
  const lastRelative = inner.at(-1)?.offset ?? 0n;
  const logAppendTime = (wrapper.attributes & attributeTimestampTypeMask) !== 0;
  return inner.map((message) => {
    if ((message.attributes & attributeCodecMask) !== 0 || message.magic !== wrapper.magic) {
      throw new ProtocolError("inner message is compressed or differs in magic from its wrapper", [
        "message",
      ]);
    }
    const offset = wrapper.magic === 1 ? wrapper.offset - lastRelative + message.offset : message.offset;
    const timestamp = logAppendTime ? wrapper.timestamp : message.timestamp;
    return { ...entryOf(message, offset, timestamp, codec), timestampType: timestampTypeOfMessage(wrapper) };
  });
}

function entryOf(
  message: LegacyMessage,
  offset: bigint,
  timestamp: number,
  codec: CompressionCodec,
): LegacyEntry {
  return {
    offset,
    magic: message.magic,
    timestamp,
    timestampType: timestampTypeOfMessage(message),
    key: message.key,
    value: message.value,
    compression: codec,
  };
}

function timestampTypeOfMessage(message: LegacyMessage): TimestampType {
  return message.magic === 1 && (message.attributes & attributeTimestampTypeMask) !== 0
    ? TimestampType.LogAppendTime
    : TimestampType.CreateTime;
}

export interface MessageInput {
  offset: bigint;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export interface MessageSetOptions {
  magic: LegacyMagic;
  compression: CompressionCodec;
  timestampType?: TimestampType;
}

/** Writes messages as a message set; compressed, they go into one wrapper whose offset is the last one's. */
export function encodeMessageSet(messages: readonly MessageInput[], options: MessageSetOptions): Uint8Array {
  assert(options.compression <= CompressionCodec.Lz4, "magic 0/1 cannot carry zstd");
  const writer = new ByteWriter(64 * messages.length + 64);
  const logAppendTime = options.magic === 1 && options.timestampType === TimestampType.LogAppendTime;
  const timestampBits = logAppendTime ? attributeTimestampTypeMask : 0;
  if (options.compression === CompressionCodec.None) {
    for (const message of messages) writeMessage(writer, options.magic, timestampBits, message);
    return writer.finish();
  }
  const first = messages[0];
  const last = messages.at(-1);
  if (first === undefined || last === undefined) return new Uint8Array(0);
  const inner = new ByteWriter(64 * messages.length);
  for (const message of messages) {
    const offset = options.magic === 1 ? message.offset - first.offset : message.offset;
    writeMessage(inner, options.magic, timestampBits, { ...message, offset });
  }
  const value = compressLegacy(options.compression, options.magic, inner.written());
  const timestamp = messages.reduce((max, message) => Math.max(max, message.timestamp), -1);
  writeMessage(writer, options.magic, timestampBits | options.compression, {
    offset: last.offset,
    timestamp,
    key: null,
    value,
  });
  return writer.finish();
}

function compressLegacy(codec: CompressionCodec, magic: LegacyMagic, bytes: Uint8Array): Uint8Array {
  if (codec === CompressionCodec.Lz4) return lz4Compress(bytes, { brokenHeaderChecksum: magic === 0 });
  return compress(codec, bytes);
}

function writeMessage(
  writer: ByteWriter,
  magic: LegacyMagic,
  attributes: number,
  message: MessageInput,
): void {
  writer.int64(message.offset);
  const sizeAt = writer.offset;
  writer.int32(0);
  const crcAt = writer.offset;
  writer.uint32(0);
  writer.int8(magic);
  writer.int8(attributes);
  if (magic === 1) writer.int64(BigInt(message.timestamp));
  writer.nullableBytes(message.key);
  writer.nullableBytes(message.value);
  writer.patchInt32(sizeAt, writer.offset - crcAt);
  writer.patchInt32(crcAt, crc32Ieee(writer.written().subarray(crcAt + 4)) | 0);
}
