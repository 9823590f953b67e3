// Emits the encode function of a struct: writes only the fields of the given version, tagged fields only
// when they differ from their default (as Kafka does), and unknown tagged fields back as they came.

import {
  type EmitContext,
  type FieldConditions,
  fieldConditions,
  markUnusedVersion,
} from "./emit-context.ts";
import { isTaggedField } from "./emit-decode.ts";
import { isDefaultCheck, isNullableAnywhere } from "./field-types.ts";
import type { FieldSpec, FieldType, StructSpec } from "./spec-reader.ts";
import { intersect, versionCondition } from "./versions.ts";

const primitiveWrites: Record<string, string> = {
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

/** A statement choosing between two statements on a condition, folded when it is decided. */
function pickStatement(condition: string, whenTrue: string, whenFalse: string): string {
  if (condition === "true" || whenTrue === whenFalse) return whenTrue;
  if (condition === "false") return whenFalse;
  return `if (${condition}) ${whenTrue} else ${whenFalse}`;
}

function writeScalar(type: FieldType, conditions: FieldConditions, writer: string, expr: string): string {
  if (type.kind !== "primitive") throw new Error("not a scalar");
  if (type.name === "string") {
    return pickStatement(
      conditions.flexible,
      `${writer}.nullableCompactString(${expr});`,
      `${writer}.nullableString(${expr});`,
    );
  }
  if (type.name === "bytes" || type.name === "records") {
    return pickStatement(
      conditions.flexible,
      `${writer}.nullableCompactBytes(${expr});`,
      `${writer}.nullableBytes(${expr});`,
    );
  }
  return `${writer}.${primitiveWrites[type.name]}(${expr});`;
}

function writeElement(element: FieldType, conditions: FieldConditions, writer: string): string {
  if (element.kind === "struct") return `encode${element.struct.name}(${writer}, item, version);`;
  if (element.kind === "array") throw new Error("arrays of arrays are not supported");
  return writeScalar(element, conditions, writer, "item");
}

function writeArray(field: FieldSpec, conditions: FieldConditions, writer: string, expr: string): string[] {
  if (field.type.kind !== "array") throw new Error(`${field.name}: not an array`);
  const nullable = isNullableAnywhere(field);
  const length = nullable ? "items === null ? null : items.length" : "items.length";
  const lengthStatement = pickStatement(
    conditions.flexible,
    `${writer}.compactArrayLength(${length});`,
    `${writer}.arrayLength(${length});`,
  );
  const loop = `for (const item of items) ${writeElement(field.type.element, conditions, writer)}`;
  return [`const items = ${expr};`, lengthStatement, nullable ? `if (items !== null) ${loop}` : loop];
}

function writeStruct(field: FieldSpec, conditions: FieldConditions, writer: string, expr: string): string[] {
  if (field.type.kind !== "struct") throw new Error(`${field.name}: not a struct`);
  const encode = `encode${field.type.struct.name}(${writer}, ${expr}, version);`;
  if (!isNullableAnywhere(field)) return [encode];
  const marked = `{ ${writer}.int8(1); ${encode} }`;
  const present =
    conditions.nullable === "false" ? encode : pickStatement(conditions.nullable, marked, encode);
  return [`if (${expr} === null) ${writer}.int8(-1);`, `else ${present}`];
}

/** Statements writing `expr` (the field's value) to `writer`. */
function writeStatements(context: EmitContext, field: FieldSpec, writer: string, expr: string): string[] {
  const conditions = fieldConditions(field, context.structContext(context.struct));
  const lines: string[] = [];
  const nullCheckNeeded =
    conditions.partlyNullable || (conditions.nullable === "false" && isNullableAnywhere(field));
  if (nullCheckNeeded) {
    const allowed = conditions.nullable === "false" ? "" : ` && !(${conditions.nullable})`;
    const where = JSON.stringify(`${context.struct.name}.${field.name}`);
    lines.push(`if (${expr} === null${allowed}) ${context.runtime("nullNotAllowed")}(${where}, version);`);
  }
  if (field.type.kind === "array") return [...lines, ...writeArray(field, conditions, writer, expr)];
  if (field.type.kind === "struct") return [...lines, ...writeStruct(field, conditions, writer, expr)];
  return [...lines, writeScalar(field.type, conditions, writer, expr)];
}

function regularFieldLines(context: EmitContext, field: FieldSpec): string[] {
  const present = versionCondition(field.versions, context.structContext(context.struct));
  if (present === "false") return [];
  const body = writeStatements(context, field, "writer", `value.${field.name}`);
  if (present === "true" && body.length === 1) return body;
  return [present === "true" ? "{" : `if (${present}) {`, ...body, "}"];
}

function markDefaultChecked(context: EmitContext, struct: StructSpec): void {
  if (context.defaultCheckedStructs.has(struct)) return;
  context.defaultCheckedStructs.add(struct);
  for (const field of struct.fields) {
    if (field.type.kind === "struct") markDefaultChecked(context, field.type.struct);
  }
}

function knownTaggedLines(context: EmitContext, field: FieldSpec): string[] {
  // Written inside the flexible-versions block, so that range is already given.
  const structContext = context.structContext(context.struct);
  const flexibleContext = intersect(structContext, context.message.flexibleVersions) ?? structContext;
  const tagged = versionCondition(field.taggedVersions, flexibleContext);
  if (tagged === "false") return [];
  if (field.type.kind === "struct") markDefaultChecked(context, field.type.struct);
  const expr = `value.${field.name}`;
  const guard = tagged === "true" ? "" : `${tagged} && `;
  return [
    `if (${guard}!(${isDefaultCheck(field, expr)})) {`,
    `const taggedValueWriter = ${context.runtime("taggedWriter")}();`,
    ...writeStatements(context, field, "taggedValueWriter", expr),
    `tagged.push({ tag: ${field.tag}, data: taggedValueWriter.finish() });`,
    "}",
  ];
}

function taggedSectionLines(context: EmitContext): string[] {
  const flexible = versionCondition(context.message.flexibleVersions, context.structContext(context.struct));
  if (flexible === "false") return [];
  const write = context.runtime("writeTaggedFields");
  const tagged = context.struct.fields.filter(isTaggedField).sort((a, b) => a.tag! - b.tag!);
  const body =
    tagged.length === 0
      ? [`${write}(writer, ${context.runtime("noTaggedFields")}, value.unknownTaggedFields);`]
      : [
          `const tagged: ${context.runtime("TaggedField")}[] = [];`,
          ...tagged.flatMap((field) => knownTaggedLines(context, field)),
          `${write}(writer, tagged, value.unknownTaggedFields);`,
        ];
  if (flexible === "true") return body.length === 1 ? body : ["{", ...body, "}"];
  return [`if (${flexible}) {`, ...body, "}"];
}

export function emitEncode(context: EmitContext, struct: StructSpec): string[] {
  context.struct = struct;
  const lines = [
    `export function encode${struct.name}(writer: ByteWriter, value: ${struct.name}, version: number): void {`,
  ];
  for (const field of struct.fields) {
    if (!isTaggedField(field)) lines.push(...regularFieldLines(context, field));
  }
  if (context.isFlexibleMessage) lines.push(...taggedSectionLines(context));
  lines.push("}");
  return markUnusedVersion(lines);
}
