// State shared while emitting one generated file: the message, and the runtime names the code uses.

import type { FieldSpec, MessageSpec, StructSpec } from "./spec-reader.ts";
import { intersect, type VersionRange, versionCondition } from "./versions.ts";

export class EmitContext {
  /** Names imported from src/protocol/codec-runtime.ts. */
  readonly runtimeImports = new Set<string>();
  /** Whether ByteReader is used as a value (sub-readers for tagged fields), not only as a type. */
  usesReaderValue = false;
  /** Structs that need an isDefault function (tagged struct fields and the structs inside them). */
  readonly defaultCheckedStructs = new Set<StructSpec>();
  /** Structs read as array elements, each needing a decode-array function. */
  readonly arrayStructs = new Set<StructSpec>();
  /** Structs read as (non-array) fields, each needing a decode-within function. */
  readonly fieldStructs = new Set<StructSpec>();

  /** The struct whose functions are being emitted. */
  struct: StructSpec;

  constructor(readonly message: MessageSpec) {
    this.struct = message.root;
  }

  runtime(name: string): string {
    this.runtimeImports.add(name);
    return name;
  }

  /** The versions in which `struct`'s code can run: what its version checks may take as given. */
  structContext(struct: StructSpec): VersionRange {
    return intersect(struct.versions, this.message.validVersions) ?? this.message.validVersions;
  }

  get isFlexibleMessage(): boolean {
    return this.message.flexibleVersions !== null;
  }
}

/** Local variable names the generated functions use themselves; a field so named gets a suffix. */
const reservedLocals = new Set([
  "reader",
  "writer",
  "version",
  "value",
  "item",
  "items",
  "count",
  "tag",
  "size",
  "end",
  "tagged",
  "index",
  "taggedCount",
  "unknown",
  "unknownTaggedFields",
  "error",
]);

export function localName(field: FieldSpec): string {
  return reservedLocals.has(field.name) ? `${field.name}Field` : field.name;
}

/** `cond ? whenTrue : whenFalse`, folded when the condition is decided. */
export function pick(condition: string, whenTrue: string, whenFalse: string): string {
  if (condition === "true" || whenTrue === whenFalse) return whenTrue;
  if (condition === "false") return whenFalse;
  return `(${condition} ? ${whenTrue} : ${whenFalse})`;
}

/** Conditions of a field within its struct's context: present, flexible, nullable, tagged. */
export interface FieldConditions {
  readonly present: string;
  readonly flexible: string;
  readonly nullable: string;
  readonly tagged: string;
  /** Nullable in some versions where present but not all: encoding must check. */
  readonly partlyNullable: boolean;
}

export function fieldConditions(field: FieldSpec, context: VersionRange): FieldConditions {
  const present = intersect(field.versions, context);
  const within = present ?? context;
  const nullable = versionCondition(field.nullableVersions, within);
  return {
    present: versionCondition(field.versions, context),
    flexible: versionCondition(field.flexibleVersions, within),
    nullable,
    tagged: versionCondition(field.taggedVersions, context),
    partlyNullable: nullable !== "true" && nullable !== "false",
  };
}

/** Renames a function's `version` parameter to `_version` when its body never reads it (a lint rule). */
export function markUnusedVersion(lines: string[]): string[] {
  const [signature, ...body] = lines;
  if (signature === undefined || body.some((line) => /(^|[^"\w.])version\b(?!:)/.test(line))) return lines;
  return [signature.replace("version: number", "_version: number"), ...body];
}
