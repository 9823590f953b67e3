// Emits the decode function of a struct: one function for all versions, with inline version checks.
// Errors name the field (ByteReader does) and the struct path (array and struct readers add it).

import {
  type EmitContext,
  type FieldConditions,
  fieldConditions,
  localName,
  markUnusedVersion,
  pick,
} from "./emit-context.ts";
import { defaultValue, elementBytesMin, fieldTsType } from "./field-types.ts";
import type { FieldSpec, FieldType, StructSpec } from "./spec-reader.ts";
import { intersect, versionCondition } from "./versions.ts";

const primitiveReads: Record<string, string> = {
  bool: "bool",
  int8: "int8",
  int16: "int16",
  uint16: "uint16",
  int32: "int32",
  uint32: "uint32",
  int64: "int64",
  float64: "float64",
  uuid: "uuid",
};

const primitiveArrayReaders: Record<string, string> = {
  int8: "readInt8Array",
  int16: "readInt16Array",
  int32: "readInt32Array",
  int64: "readInt64Array",
  uuid: "readUuidArray",
};

/** Expression reading a string, bytes or records value, honouring flexible and nullable versions. */
function readVariableLength(
  kind: "String" | "Bytes",
  field: FieldSpec,
  conditions: FieldConditions,
  reader: string,
): string {
  const name = JSON.stringify(field.name);
  const plain = kind === "String" ? "string" : "bytesField";
  const nullable = pick(
    conditions.flexible,
    `${reader}.nullableCompact${kind}(${name})`,
    `${reader}.nullable${kind}(${name})`,
  );
  const required = pick(
    conditions.flexible,
    `${reader}.compact${kind}(${name})`,
    `${reader}.${plain}(${name})`,
  );
  return pick(conditions.nullable, nullable, required);
}

function readScalar(field: FieldSpec, type: FieldType, conditions: FieldConditions, reader: string): string {
  if (type.kind !== "primitive") throw new Error(`${field.name}: not a scalar`);
  if (type.name === "string") return readVariableLength("String", field, conditions, reader);
  if (type.name === "bytes" || type.name === "records") {
    return readVariableLength("Bytes", field, conditions, reader);
  }
  return `${reader}.${primitiveReads[type.name]}(${JSON.stringify(field.name)})`;
}

function readArrayItems(
  context: EmitContext,
  field: FieldSpec,
  conditions: FieldConditions,
  reader: string,
  count: string,
): string {
  const element = field.type.kind === "array" ? field.type.element : field.type;
  const name = JSON.stringify(field.name);
  if (element.kind === "struct") {
    context.arrayStructs.add(element.struct);
    return `decode${element.struct.name}Array(${reader}, version, ${count}, ${name})`;
  }
  if (element.kind !== "primitive") throw new Error(`${field.name}: arrays of arrays are not supported`);
  if (element.name === "string") {
    const compact =
      conditions.flexible === "true" || conditions.flexible === "false"
        ? conditions.flexible
        : `(${conditions.flexible})`;
    return `${context.runtime("readStringArray")}(${reader}, ${count}, ${name}, ${compact})`;
  }
  const helper = primitiveArrayReaders[element.name];
  if (helper === undefined) throw new Error(`${field.name}: no reader for arrays of ${element.name}`);
  return `${context.runtime(helper)}(${reader}, ${count}, ${name})`;
}

/** How to read one field: statements to run first (may be none), then the expression giving the value. */
interface FieldRead {
  readonly prelude: string[];
  readonly expr: string;
}

function readArray(
  context: EmitContext,
  field: FieldSpec,
  conditions: FieldConditions,
  reader: string,
): FieldRead {
  const element = field.type.kind === "array" ? field.type.element : field.type;
  const bytesMin = elementBytesMin(context.message, element, conditions.flexible !== "false");
  const name = JSON.stringify(field.name);
  const requiredCount = pick(
    conditions.flexible,
    `${reader}.compactArrayLength(${bytesMin}, ${name})`,
    `${reader}.arrayLength(${bytesMin}, ${name})`,
  );
  if (conditions.nullable === "false") {
    return { prelude: [], expr: readArrayItems(context, field, conditions, reader, requiredCount) };
  }
  const nullableCount = pick(
    conditions.flexible,
    `${reader}.nullableCompactArrayLength(${bytesMin}, ${name})`,
    `${reader}.nullableArrayLength(${bytesMin}, ${name})`,
  );
  const countName = `${localName(field)}Count`;
  return {
    prelude: [
      `const ${countName}: number | null = ${pick(conditions.nullable, nullableCount, requiredCount)};`,
    ],
    expr: `${countName} === null ? null : ${readArrayItems(context, field, conditions, reader, countName)}`,
  };
}

function readStruct(
  context: EmitContext,
  field: FieldSpec,
  conditions: FieldConditions,
  reader: string,
): string {
  if (field.type.kind !== "struct") throw new Error(`${field.name}: not a struct`);
  context.fieldStructs.add(field.type.struct);
  const name = JSON.stringify(field.name);
  const decode = `decode${field.type.struct.name}Within(${reader}, version, ${name})`;
  if (conditions.nullable === "false") return decode;
  return `${pick(conditions.nullable, `${reader}.int8(${name}) < 0`, "false")} ? null : ${decode}`;
}

/** How to read the field's value from `reader`. */
export function readField(context: EmitContext, field: FieldSpec, reader: string): FieldRead {
  const conditions = fieldConditions(field, context.structContext(context.struct));
  if (field.type.kind === "array") return readArray(context, field, conditions, reader);
  if (field.type.kind === "struct")
    return { prelude: [], expr: readStruct(context, field, conditions, reader) };
  return { prelude: [], expr: readScalar(field, field.type, conditions, reader) };
}

function regularFieldLines(context: EmitContext, field: FieldSpec, struct: StructSpec): string[] {
  const local = localName(field);
  const type = fieldTsType(field);
  const present = versionCondition(field.versions, context.structContext(struct));
  if (present === "false") return [`const ${local}: ${type} = ${defaultValue(field)};`];
  const read = readField(context, field, "reader");
  if (present === "true") return [...read.prelude, `const ${local}: ${type} = ${read.expr};`];
  if (read.prelude.length === 0) {
    return [`const ${local}: ${type} = ${present} ? ${read.expr} : ${defaultValue(field)};`];
  }
  return [
    `let ${local}: ${type} = ${defaultValue(field)};`,
    `if (${present}) {`,
    ...read.prelude,
    `${local} = ${read.expr};`,
    "}",
  ];
}

function taggedBranch(context: EmitContext, field: FieldSpec, struct: StructSpec): string[] {
  // Tagged fields are read inside the flexible-versions block, so that range is already given.
  const flexibleContext = intersect(context.structContext(struct), context.message.flexibleVersions);
  const tagged = versionCondition(field.taggedVersions, flexibleContext ?? context.structContext(struct));
  const guard = tagged === "true" ? `tag === ${field.tag}` : `tag === ${field.tag} && ${tagged}`;
  const read = readField(context, field, "taggedReader");
  return [
    `if (${guard}) {`,
    "const taggedReader = new ByteReader(reader.bytes, reader.offset, end);",
    ...read.prelude,
    `${localName(field)} = ${read.expr};`,
    `${context.runtime("expectTaggedFieldConsumed")}(taggedReader, ${JSON.stringify(field.name)});`,
    "} else",
  ];
}

function taggedSectionLines(context: EmitContext, struct: StructSpec, tagged: FieldSpec[]): string[] {
  const flexible = versionCondition(context.message.flexibleVersions, context.structContext(struct));
  if (flexible === "false") return [];
  const open = flexible === "true" ? "{" : `if (${flexible}) {`;
  if (tagged.length === 0) {
    return [open, `unknownTaggedFields = ${context.runtime("readUnknownTaggedFields")}(reader);`, "}"];
  }
  context.usesReaderValue = true;
  return [
    open,
    'const taggedCount = reader.unsignedVarint("taggedFieldCount");',
    "let unknown: TaggedField[] | null = null;",
    "for (let index = 0; index < taggedCount; index++) {",
    'const tag = reader.unsignedVarint("tag");',
    'const size = reader.unsignedVarint("taggedFieldSize");',
    'reader.need(size, "taggedField");',
    "const end = reader.offset + size;",
    ...tagged.flatMap((field) => taggedBranch(context, field, struct)),
    "{",
    "unknown ??= [];",
    "unknown.push({ tag, data: reader.bytes.subarray(reader.offset, end) });",
    "}",
    "reader.offset = end;",
    "}",
    "if (unknown !== null) unknownTaggedFields = unknown;",
    "}",
  ];
}

export function isTaggedField(field: FieldSpec): boolean {
  return field.taggedVersions !== null;
}

export function emitDecode(context: EmitContext, struct: StructSpec): string[] {
  context.struct = struct;
  const tagged = struct.fields.filter(isTaggedField).sort((a, b) => a.tag! - b.tag!);
  const lines = [
    `export function decode${struct.name}(reader: ByteReader, version: number): ${struct.name} {`,
  ];
  for (const field of struct.fields) {
    if (isTaggedField(field))
      lines.push(`let ${localName(field)}: ${fieldTsType(field)} = ${defaultValue(field)};`);
    else lines.push(...regularFieldLines(context, field, struct));
  }
  const fieldEntries = struct.fields.map((field) =>
    localName(field) === field.name ? field.name : `${field.name}: ${localName(field)}`,
  );
  if (context.isFlexibleMessage) {
    const section = taggedSectionLines(context, struct, tagged);
    const binding = section.length === 0 ? "const" : "let";
    context.runtime("TaggedField");
    lines.push(
      `${binding} unknownTaggedFields: readonly TaggedField[] = ${context.runtime("noTaggedFields")};`,
    );
    lines.push(...section);
    fieldEntries.push("unknownTaggedFields");
  }
  lines.push(`return { ${fieldEntries.join(", ")} };`, "}");
  return markUnusedVersion(lines);
}

/** Decodes a struct-typed field, putting the field name in front of any error's path. */
export function emitDecodeWithin(struct: StructSpec): string[] {
  return [
    `function decode${struct.name}Within(reader: ByteReader, version: number, field: string): ${struct.name} {`,
    "try {",
    `return decode${struct.name}(reader, version);`,
    "} catch (error) {",
    "throw within(error, field);",
    "}",
    "}",
  ];
}

export function emitDecodeArray(struct: StructSpec): string[] {
  return [
    `function decode${struct.name}Array(reader: ByteReader, version: number, count: number, field: string): ${struct.name}[] {`,
    `const items: ${struct.name}[] = [];`,
    "let index = 0;",
    "try {",
    `for (; index < count; index++) items.push(decode${struct.name}(reader, version));`,
    "} catch (error) {",
    'throw within(error, field + "[" + index + "]");',
    "}",
    "return items;",
    "}",
  ];
}
