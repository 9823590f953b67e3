// What the generated code says about a field's type: its TypeScript type, its default value, how to test a
// value for being that default, and the fewest bytes it can take on the wire.

import type { FieldSpec, FieldType, MessageSpec, StructSpec } from "./spec-reader.ts";
import { contains, intersect, versionsOf } from "./versions.ts";

const fixedBytes: Record<string, number> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

export function isNullableAnywhere(field: FieldSpec): boolean {
  if (field.type.kind === "primitive" && field.type.name === "records") return true;
  return intersect(field.nullableVersions, field.versions) !== null;
}

export function tsTypeOf(type: FieldType): string {
  if (type.kind === "array") return `${tsTypeOf(type.element)}[]`;
  if (type.kind === "struct") return type.struct.name;
  switch (type.name) {
    case "bool":
      return "boolean";
    case "int64":
      return "bigint";
    case "string":
    case "uuid":
      return "string";
    case "bytes":
    case "records":
      return "Uint8Array";
    default:
      return "number";
  }
}

export function fieldTsType(field: FieldSpec): string {
  return isNullableAnywhere(field) ? `${tsTypeOf(field.type)} | null` : tsTypeOf(field.type);
}

/** The TypeScript expression for the field's default (Kafka's: the spec's `default`, else zero/empty). */
export function defaultValue(field: FieldSpec): string {
  const text = field.defaultText;
  const type = field.type;
  if (text === "null") return "null";
  if (type.kind === "array") return "[]";
  if (type.kind === "struct") return `create${type.struct.name}()`;
  switch (type.name) {
    case "bool":
      return text === "true" ? "true" : "false";
    case "int64":
      return `${BigInt(text || "0")}n`;
    case "string":
      return JSON.stringify(text ?? "");
    case "uuid":
      return "zeroUuid";
    case "bytes":
      return "new Uint8Array(0)";
    case "records":
      return "null";
    default:
      return String(Number(text || "0"));
  }
}

/** An expression that is true when `expr` (the field's value) equals its default; used to omit tagged fields. */
export function isDefaultCheck(field: FieldSpec, expr: string): string {
  const fallback = defaultValue(field);
  const type = field.type;
  if (fallback === "null") return `${expr} === null`;
  const nonNull = isNullableAnywhere(field) ? `${expr} !== null && ` : "";
  if (type.kind === "array") return `${nonNull}${expr}.length === 0`;
  if (type.kind === "struct") return `${nonNull}isDefault${type.struct.name}(${expr})`;
  if (type.name === "bytes" || type.name === "records") return `${nonNull}${expr}.length === 0`;
  return `${expr} === ${fallback}`;
}

function isFlexibleAt(field: FieldSpec, version: number): boolean {
  return contains(field.flexibleVersions, version);
}

/** Fewest bytes the field's value takes at `version` (tagged fields take none: they may be absent). */
export function fieldBytesMin(message: MessageSpec, field: FieldSpec, version: number): number {
  if (!contains(field.versions, version) || contains(field.taggedVersions, version)) return 0;
  const type = field.type;
  const compact = isFlexibleAt(field, version);
  if (type.kind === "array") return compact ? 1 : 4;
  if (type.kind === "struct") {
    return contains(field.nullableVersions, version) ? 1 : structBytesMinAt(message, type.struct, version);
  }
  if (type.name === "string") return compact ? 1 : 2;
  if (type.name === "bytes" || type.name === "records") return compact ? 1 : 4;
  return fixedBytes[type.name]!;
}

function structBytesMinAt(message: MessageSpec, struct: StructSpec, version: number): number {
  let total = contains(message.flexibleVersions, version) ? 1 : 0;
  for (const field of struct.fields) total += fieldBytesMin(message, field, version);
  return total;
}

/** A lower bound on the struct's size over all versions it appears in (at least 1), to refuse huge counts. */
export function structBytesMin(message: MessageSpec, struct: StructSpec): number {
  const sizes = versionsOf(struct.versions, message.validVersions).map((version) =>
    structBytesMinAt(message, struct, version),
  );
  return Math.max(1, Math.min(...sizes));
}

/** Fewest bytes of one element of an array of `type`, at least 1. */
export function elementBytesMin(message: MessageSpec, type: FieldType, compact: boolean): number {
  if (type.kind === "struct") return structBytesMin(message, type.struct);
  if (type.kind === "array") return 1;
  if (type.name === "string") return compact ? 1 : 2;
  return fixedBytes[type.name] ?? 1;
}
