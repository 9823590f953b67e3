// The small runtime the generated message codecs (src/protocol/messages/) share: tagged-field handling,
// arrays of primitives, error paths, and the MessageCodec shape the registry lists.

import { assert } from "../base/assert.ts";
import type { ByteReader } from "./primitives/byte-reader.ts";
import { ByteWriter } from "./primitives/byte-writer.ts";
import { ProtocolError } from "./protocol-error.ts";

/** A tagged field this codec does not know (newer peer): kept as raw bytes so re-encoding is lossless. */
export interface TaggedField {
  readonly tag: number;
  readonly data: Uint8Array;
}

/** Shared empty list, so decoding a struct without unknown tags allocates nothing for them. */
export const noTaggedFields: readonly TaggedField[] = Object.freeze([]);

/** Kafka's all-zero UUID in its text form, the default of every uuid field. */
export const zeroUuid = "AAAAAAAAAAAAAAAAAAAAAA";

/** Encodes and decodes one message type (a request, response, header or data record) at any valid version. */
export interface MessageCodec<T = unknown> {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first version using compact encodings and tagged fields, or null if none does. */
  readonly flexibleMin: number | null;
  create(): T;
  encode(writer: ByteWriter, value: T, version: number): void;
  decode(reader: ByteReader, version: number): T;
}

/** Puts `segment` in front of a ProtocolError's path; anything else is a bug and passes through. */
export function within(error: unknown, segment: string): unknown {
  return error instanceof ProtocolError ? error.within(segment) : error;
}

export function nullNotAllowed(field: string, version: number): never {
  assert(false, `${field} is null, which version ${version} does not allow`);
}

/** Reads a tagged-field section holding no tags this struct knows. */
export function readUnknownTaggedFields(reader: ByteReader): readonly TaggedField[] {
  const count = reader.unsignedVarint("taggedFieldCount");
  if (count === 0) return noTaggedFields;
  const fields: TaggedField[] = [];
  for (let index = 0; index < count; index++) fields.push(readTaggedField(reader));
  return fields;
}

/** Reads one tag and its bytes, without interpreting them. */
export function readTaggedField(reader: ByteReader): TaggedField {
  const tag = reader.unsignedVarint("tag");
  const size = reader.unsignedVarint("taggedFieldSize");
  return { tag, data: reader.rawBytes(size, `tag ${tag}`) };
}

/** Throws unless a known tagged field's value used up exactly its declared bytes. */
export function expectTaggedFieldConsumed(reader: ByteReader, field: string): void {
  if (reader.remaining !== 0) {
    throw new ProtocolError(`${reader.remaining} bytes left over inside the tagged field`, [field]);
  }
}

/** Writes tagged fields in ascending tag order (Kafka's rule), merging the known ones and the unknown. */
export function writeTaggedFields(
  writer: ByteWriter,
  known: readonly TaggedField[],
  unknown: readonly TaggedField[],
): void {
  const all = unknown.length === 0 ? known : [...known, ...unknown].sort((a, b) => a.tag - b.tag);
  writer.unsignedVarint(all.length);
  for (const field of all) {
    writer.unsignedVarint(field.tag);
    writer.unsignedVarint(field.data.length);
    writer.rawBytes(field.data);
  }
}

/** A scratch writer for one tagged field's value, whose size must precede it. */
export function taggedWriter(): ByteWriter {
  return new ByteWriter(64);
}

function readItems<T>(count: number, field: string, readOne: (index: number) => T): T[] {
  const items: T[] = [];
  let index = 0;
  try {
    for (; index < count; index++) items.push(readOne(index));
  } catch (error) {
    throw within(error, `${field}[${index}]`);
  }
  return items;
}

export function readInt8Array(reader: ByteReader, count: number, field: string): number[] {
  return readItems(count, field, () => reader.int8("value"));
}

export function readInt16Array(reader: ByteReader, count: number, field: string): number[] {
  return readItems(count, field, () => reader.int16("value"));
}

export function readInt32Array(reader: ByteReader, count: number, field: string): number[] {
  const items: number[] = [];
  reader.need(count * 4, field);
  for (let index = 0; index < count; index++) items.push(reader.int32(field));
  return items;
}

export function readInt64Array(reader: ByteReader, count: number, field: string): bigint[] {
  return readItems(count, field, () => reader.int64("value"));
}

export function readUuidArray(reader: ByteReader, count: number, field: string): string[] {
  return readItems(count, field, () => reader.uuid("value"));
}

export function readStringArray(
  reader: ByteReader,
  count: number,
  field: string,
  compact: boolean,
): string[] {
  return readItems(count, field, () => (compact ? reader.compactString("value") : reader.string("value")));
}

export function writeStringArray(writer: ByteWriter, items: readonly string[], compact: boolean): void {
  for (const item of items) {
    if (compact) writer.nullableCompactString(item);
    else writer.nullableString(item);
  }
}
