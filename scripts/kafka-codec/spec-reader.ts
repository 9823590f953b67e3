// Reads Apache Kafka's JSON message definitions into a small model the emitters and tests walk.
// Kafka's files carry `//` comments, stripped here by a scanner that respects string literals.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hull, intersect, parseVersions, type VersionRange } from "./versions.ts";

export type PrimitiveName =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "float64"
  | "string"
  | "uuid"
  | "bytes"
  | "records";

export type FieldType =
  | { readonly kind: "primitive"; readonly name: PrimitiveName }
  | { readonly kind: "array"; readonly element: FieldType }
  | { readonly kind: "struct"; readonly struct: StructSpec };

export interface FieldSpec {
  /** camelCase name used in TypeScript. */
  readonly name: string;
  readonly type: FieldType;
  readonly versions: VersionRange | null;
  readonly nullableVersions: VersionRange | null;
  readonly taggedVersions: VersionRange | null;
  readonly tag: number | null;
  /** The spec's default text, if any ("-1", "null", "0x7fffffff", "false"...). */
  readonly defaultText: string | undefined;
  /** Versions in which this field uses compact encodings: the message's, unless the field overrides them. */
  readonly flexibleVersions: VersionRange | null;
}

export interface StructSpec {
  /** TypeScript type name: the message name, or message name + struct name for nested structs. */
  readonly name: string;
  readonly fields: FieldSpec[];
  /** The hull of the versions in which this struct can appear; set by `markStructVersions`. */
  versions: VersionRange | null;
}

export type MessageKind = "request" | "response" | "header" | "data";

export interface MessageSpec {
  readonly name: string;
  readonly kind: MessageKind;
  readonly apiKey: number | null;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
  readonly root: StructSpec;
  /** Every struct of the message, the root first, each once. */
  readonly structs: StructSpec[];
}

/** Removes `//` comments outside string literals. */
export function stripComments(text: string): string {
  let out = "";
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (inString) {
      out += char;
      if (char === "\\") out += text[++index] ?? "";
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char === "/" && text[index + 1] === "/") {
      while (index < text.length && text[index] !== "\n") index++;
      out += "\n";
    } else out += char;
  }
  return out;
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: RawField[];
}

interface RawStruct {
  name: string;
  versions?: string;
  fields: RawField[];
}

interface RawMessage {
  name: string;
  type: MessageKind;
  apiKey?: number;
  validVersions: string;
  flexibleVersions?: string;
  fields: RawField[];
  commonStructs?: RawStruct[];
}

const primitiveNames = new Set<string>([
  "bool",
  "int8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "float64",
  "string",
  "uuid",
  "bytes",
  "records",
]);

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Builds a message's structs; nested struct names get the message name in front so they stay unique. */
class StructBuilder {
  readonly structs = new Map<string, StructSpec>();
  private readonly common: Map<string, RawStruct>;

  constructor(
    private readonly message: RawMessage,
    private readonly flexibleVersions: VersionRange | null,
  ) {
    this.common = new Map((message.commonStructs ?? []).map((struct) => [struct.name, struct]));
  }

  build(name: string, rawFields: RawField[]): StructSpec {
    const existing = this.structs.get(name);
    if (existing !== undefined) return existing;
    const struct: StructSpec = { name, fields: [], versions: null };
    this.structs.set(name, struct);
    for (const raw of rawFields) struct.fields.push(this.field(raw));
    return struct;
  }

  private field(raw: RawField): FieldSpec {
    const taggedVersions = parseVersions(raw.taggedVersions);
    if (taggedVersions !== null && raw.tag === undefined)
      throw new Error(`${raw.name}: tagged without a tag`);
    return {
      name: lowerFirst(raw.name),
      type: this.type(raw.type, raw),
      versions: parseVersions(raw.versions),
      nullableVersions: parseVersions(raw.nullableVersions),
      taggedVersions,
      tag: raw.tag ?? null,
      defaultText: raw.default === undefined ? undefined : String(raw.default),
      flexibleVersions:
        raw.flexibleVersions === undefined ? this.flexibleVersions : parseVersions(raw.flexibleVersions),
    };
  }

  private type(text: string, raw: RawField): FieldType {
    if (text.startsWith("[]")) return { kind: "array", element: this.type(text.slice(2), raw) };
    if (primitiveNames.has(text)) return { kind: "primitive", name: text as PrimitiveName };
    const fields = raw.fields ?? this.common.get(text)?.fields;
    if (fields === undefined) throw new Error(`${this.message.name}: unknown type ${text}`);
    // Kafka often names structs after their message already (MetadataResponseBroker); prefix only the others.
    const typeName = text.startsWith(this.message.name) ? text : this.message.name + text;
    return { kind: "struct", struct: this.build(typeName, fields) };
  }
}

function structOf(type: FieldType): StructSpec | null {
  if (type.kind === "struct") return type.struct;
  if (type.kind === "array") return structOf(type.element);
  return null;
}

/** Widens each struct's `versions` to the versions in which some field holding it is present. */
function markStructVersions(struct: StructSpec, context: VersionRange): void {
  struct.versions = hull(struct.versions, context);
  for (const field of struct.fields) {
    const nested = structOf(field.type);
    const present = intersect(field.versions, context);
    if (nested !== null && present !== null) markStructVersions(nested, present);
  }
}

export function parseMessage(text: string): MessageSpec {
  const raw = JSON.parse(stripComments(text)) as RawMessage;
  const validVersions = parseVersions(raw.validVersions);
  if (validVersions === null) throw new Error(`${raw.name}: no valid versions`);
  const flexibleVersions = parseVersions(raw.flexibleVersions);
  const builder = new StructBuilder(raw, flexibleVersions);
  const root = builder.build(raw.name, raw.fields);
  markStructVersions(root, validVersions);
  const structs = [...builder.structs.values()];
  for (const struct of structs) struct.versions ??= validVersions;
  return {
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey ?? null,
    validVersions,
    flexibleVersions,
    root,
    structs,
  };
}

/** Every message definition in `directory`, sorted by name. */
export function readMessageSpecs(directory: string): MessageSpec[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => parseMessage(readFileSync(join(directory, file), "utf8")));
}
