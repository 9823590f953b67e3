// One record of a magic-2 batch, in Kafka's varint layout (DefaultRecord):
//   length varint · attributes int8 · timestampDelta varlong · offsetDelta varint · keyLength varint · key ·
//   valueLength varint · value · headerCount varint · [keyLength varint · key utf8 · valueLength varint · value]
// Lengths of -1 mean null (keys, values, header values). Decoded bytes are views into the input, not copies.

import type { ByteReader } from "../primitives/byte-reader.ts";
import type { ByteWriter } from "../primitives/byte-writer.ts";
import { ProtocolError } from "../protocol-error.ts";

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface KafkaRecord {
  attributes: number;
  /** Absolute timestamp in ms: baseTimestamp + delta, or the batch's maxTimestamp under LogAppendTime. */
  timestamp: number;
  offsetDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

/** The least bytes a record takes: seven one-byte varints (length, attributes … header count). */
export const recordBytesMin = 7;
/** A header takes at least its key length and value length varints. */
const headerBytesMin = 2;

const textDecoder = new TextDecoder("utf-8", { fatal: true });
const textEncoder = new TextEncoder();

/** Reads one record; `baseTimestamp` is added to its delta (or replaces it when `timestampOverride` is set). */
export function readRecord(
  reader: ByteReader,
  baseTimestamp: number,
  timestampOverride: number | null,
): KafkaRecord {
  const length = reader.varint("record.length");
  if (length < 0) throw new ProtocolError(`negative record length ${length}`, ["record"]);
  reader.need(length, "record");
  const end = reader.offset + length;
  const attributes = reader.int8("record.attributes");
  const timestampDelta = reader.varlong("record.timestampDelta");
  const offsetDelta = reader.varint("record.offsetDelta");
  const key = nullableVarintBytes(reader, "record.key");
  const value = nullableVarintBytes(reader, "record.value");
  const headers = readHeaders(reader);
  if (reader.offset !== end) {
    throw new ProtocolError(`record length ${length} disagrees with its fields`, ["record"]);
  }
  const timestamp = timestampOverride ?? baseTimestamp + timestampDelta;
  return { attributes, timestamp, offsetDelta, key, value, headers };
}

function readHeaders(reader: ByteReader): RecordHeader[] {
  const count = reader.varint("record.headerCount");
  if (count < 0 || count * headerBytesMin > reader.remaining) {
    throw new ProtocolError(`header count ${count} cannot fit in ${reader.remaining} bytes`, [
      "record.headers",
    ]);
  }
  const headers: RecordHeader[] = [];
  for (let index = 0; index < count; index++) {
    const keyLength = reader.varint("header.keyLength");
    const keyBytes = reader.rawBytes(keyLength, "header.key");
    let key: string;
    try {
      key = textDecoder.decode(keyBytes);
    } catch {
      throw new ProtocolError("header key is not valid UTF-8", ["record.headers"]);
    }
    headers.push({ key, value: nullableVarintBytes(reader, "header.value") });
  }
  return headers;
}

function nullableVarintBytes(reader: ByteReader, field: string): Uint8Array | null {
  const length = reader.varint(field);
  if (length === -1) return null;
  return reader.rawBytes(length, field);
}

export interface RecordFields {
  timestampDelta: number;
  offsetDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: readonly RecordHeader[];
}

/** Writes one record (attributes 0: no record-level attribute is defined yet). */
export function writeRecord(writer: ByteWriter, fields: RecordFields): void {
  const headerKeys = fields.headers.map((header) => textEncoder.encode(header.key));
  const bodyBytes =
    1 +
    varlongBytes(fields.timestampDelta) +
    varintBytes(fields.offsetDelta) +
    nullableBytesSize(fields.key) +
    nullableBytesSize(fields.value) +
    varintBytes(fields.headers.length) +
    fields.headers.reduce(
      (sum, header, index) =>
        sum +
        varintBytes(headerKeys[index]!.length) +
        headerKeys[index]!.length +
        nullableBytesSize(header.value),
      0,
    );
  writer.varint(bodyBytes);
  writer.int8(0);
  writer.varlong(fields.timestampDelta);
  writer.varint(fields.offsetDelta);
  writeNullableVarintBytes(writer, fields.key);
  writeNullableVarintBytes(writer, fields.value);
  writer.varint(fields.headers.length);
  fields.headers.forEach((header, index) => {
    writeNullableVarintBytes(writer, headerKeys[index]!);
    writeNullableVarintBytes(writer, header.value);
  });
}

function writeNullableVarintBytes(writer: ByteWriter, bytes: Uint8Array | null): void {
  if (bytes === null) {
    writer.varint(-1);
    return;
  }
  writer.varint(bytes.length);
  writer.rawBytes(bytes);
}

function nullableBytesSize(bytes: Uint8Array | null): number {
  return bytes === null ? 1 : varintBytes(bytes.length) + bytes.length;
}

/** Bytes of a zigzag varint of a 32-bit value. */
export function varintBytes(value: number): number {
  let unsigned = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (unsigned >= 0x80) {
    unsigned >>>= 7;
    bytes++;
  }
  return bytes;
}

function varlongBytes(value: number): number {
  let unsigned = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (unsigned >= 0x80) {
    unsigned = Math.floor(unsigned / 0x80);
    bytes++;
  }
  return bytes;
}
