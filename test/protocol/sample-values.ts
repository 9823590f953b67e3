// Builds sample values for any Kafka message at any version from the spec model, independently of the
// generated code: every field of the version gets a non-default value (or null where nullable, in the
// "nulls" variant), fields outside the version get their defaults, as a decode would give them.

import type { FieldSpec, FieldType, MessageSpec, StructSpec } from "../../scripts/kafka-codec/spec-reader.ts";
import { contains } from "../../scripts/kafka-codec/versions.ts";

export type SampleVariant = "values" | "nulls";

/** A small seeded PRNG (mulberry32): the same seed gives the same samples. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Value = unknown;

function defaultOf(field: FieldSpec): Value {
  const type = field.type;
  const text = field.defaultText;
  if (text === "null") return null;
  if (type.kind === "array") return [];
  if (type.kind === "struct") return defaultStruct(type.struct);
  switch (type.name) {
    case "bool":
      return text === "true";
    case "int64":
      return BigInt(text || "0");
    case "string":
      return text ?? "";
    case "uuid":
      return "AAAAAAAAAAAAAAAAAAAAAA";
    case "bytes":
      return new Uint8Array(0);
    case "records":
      return null;
    default:
      return Number(text || "0");
  }
}

let flexibleMessage = false;

function defaultStruct(struct: StructSpec): Record<string, Value> {
  const value: Record<string, Value> = {};
  for (const field of struct.fields) value[field.name] = defaultOf(field);
  if (flexibleMessage) value.unknownTaggedFields = [];
  return value;
}

const integerRanges: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

const unicodeParts = ["héllo", "世界", "🎉", "Ünïcødé", "topic-", "ß"];

class SampleBuilder {
  constructor(
    private readonly message: MessageSpec,
    private readonly version: number,
    private readonly variant: SampleVariant,
    private readonly random: () => number,
  ) {}

  private integer(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private bytes(): Uint8Array {
    const bytes = new Uint8Array(this.integer(1, 6));
    for (let index = 0; index < bytes.length; index++) bytes[index] = this.integer(0, 255);
    return bytes;
  }

  private primitive(name: string, fallback: Value): Value {
    const range = integerRanges[name];
    if (range !== undefined) {
      let value = this.integer(range[0], range[1]);
      if (value === fallback) value = value === range[1] ? range[0] : value + 1;
      return value;
    }
    switch (name) {
      case "bool":
        return fallback !== true;
      case "int64":
        return BigInt(this.integer(-(2 ** 31), 2 ** 31)) * 4_000_000_007n + 1n;
      case "float64":
        return (this.random() - 0.5) * 1e6;
      case "string":
        return `${unicodeParts[this.integer(0, unicodeParts.length - 1)]}-${this.integer(0, 9999)}`;
      case "uuid": {
        const bytes = new Uint8Array(16);
        for (let index = 0; index < 16; index++) bytes[index] = this.integer(0, 255);
        bytes[0] = bytes[0]! | 1;
        return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
      }
      default:
        return this.bytes();
    }
  }

  private ofType(type: FieldType, fallback: Value): Value {
    if (type.kind === "array") return [this.ofType(type.element, null), this.ofType(type.element, null)];
    if (type.kind === "struct") return this.struct(type.struct);
    return this.primitive(type.name, fallback);
  }

  private field(field: FieldSpec): Value {
    if (!contains(field.versions, this.version)) return defaultOf(field);
    if (this.variant === "nulls" && contains(field.nullableVersions, this.version)) return null;
    return this.ofType(field.type, defaultOf(field));
  }

  struct(struct: StructSpec): Record<string, Value> {
    const value: Record<string, Value> = {};
    for (const field of struct.fields) value[field.name] = this.field(field);
    if (flexibleMessage) {
      const flexible = contains(this.message.flexibleVersions, this.version);
      value.unknownTaggedFields =
        flexible && this.variant === "values"
          ? [{ tag: 1000 + this.integer(0, 50), data: this.bytes() }]
          : [];
    }
    return value;
  }
}

/** A sample of `message` at `version`: decode(encode(sample)) must give it back exactly. */
export function sampleMessage(
  message: MessageSpec,
  version: number,
  variant: SampleVariant,
  random: () => number,
): Record<string, Value> {
  flexibleMessage = message.flexibleVersions !== null;
  return new SampleBuilder(message, version, variant, random).struct(message.root);
}
