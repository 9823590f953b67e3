// A key, value or header value of the admin API (RecordData) as bytes, and bytes back as RecordData: text when
// they are valid UTF-8 (decoding then round-trips exactly), else raw bytes. A JSON value is stored as its compact
// JSON text.

import { create, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type RecordData, RecordDataSchema } from "../gen/chronik/admin/v1/admin_pb.ts";
import { invalidArgument } from "./admin-errors.ts";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** The bytes `data` stands for; null when absent. `field` names it in the error for an empty RecordData. */
export function recordDataBytes(data: RecordData | undefined, field: string): Uint8Array | null {
  if (data === undefined) return null;
  switch (data.data.case) {
    case "text":
      return encoder.encode(data.data.value);
    case "binary":
      return data.data.value;
    case "json":
      return encoder.encode(JSON.stringify(toJson(ValueSchema, data.data.value)));
    default:
      throw invalidArgument(`${field}: give one of text, binary or json (or leave the field out for null)`);
  }
}

export function recordDataOf(bytes: Uint8Array | null): RecordData | undefined {
  if (bytes === null) return undefined;
  try {
    return create(RecordDataSchema, { data: { case: "text", value: strictDecoder.decode(bytes) } });
  } catch {
    return create(RecordDataSchema, { data: { case: "binary", value: bytes } });
  }
}
