// Emits registry.ts: the ApiKey constants and, per API, its name, versions and request/response codecs.

import { generatedBanner } from "./emit-file.ts";
import type { MessageSpec } from "./spec-reader.ts";

export interface GeneratedFile {
  /** File name without extension, kebab-case. */
  readonly base: string;
  readonly messages: MessageSpec[];
}

export interface ApiPair {
  readonly apiKey: number;
  /** The API's name without Request/Response, e.g. "Produce". */
  readonly name: string;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
  readonly base: string;
}

const representation = `/*
 * How Kafka messages look in TypeScript (the generated files in this folder follow these rules):
 * - One interface per struct covering every version: each field of each version is present and non-optional.
 *   create<Name>() gives the spec's defaults. encode<Name>(writer, value, version) writes only that version's
 *   fields; decode<Name>(reader, version) fills fields absent from the version with their defaults.
 * - One encode and one decode function per struct for all versions, with \`version >= N\` checks inline.
 * - int8/int16/int32/uint16/uint32/float64 → number; int64 → bigint; bool → boolean; string → string;
 *   bytes → Uint8Array; records → Uint8Array | null (raw record batches, never decoded here); uuid → string
 *   in Kafka's base64url text form; arrays → T[]; nullable in any version → | null (null is an error in a
 *   version where the field is not nullable, on decode a ProtocolError, on encode an assertion).
 * - Flexible versions use compact strings, bytes and arrays and end every struct with tagged fields. Known
 *   tagged fields are typed fields, written only when they differ from their default (as Kafka does);
 *   unknown tags are kept in unknownTaggedFields (tag + raw bytes) and written back in tag order.
 * - Decoding refuses counts the remaining bytes cannot hold, and names API, version and field path in
 *   every ProtocolError (the caller adds the "<Api> v<N> request" prefix; see frame.ts).
 */`;

function codecName(message: MessageSpec): string {
  return `${message.name.charAt(0).toLowerCase()}${message.name.slice(1)}Codec`;
}

function importLines(files: GeneratedFile[]): string[] {
  return files.map((file) => {
    const names = file.messages.flatMap((message) =>
      message.apiKey === null ? [codecName(message)] : [codecName(message), `type ${message.name}`],
    );
    return `import { ${names.join(", ")} } from "./${file.base}.ts";`;
  });
}

function apiKeyLines(pairs: ApiPair[]): string[] {
  return [
    "/** Kafka's API keys by name: ApiKey.Produce === 0. */",
    "export const ApiKey = {",
    ...pairs.map((pair) => `${pair.name}: ${pair.apiKey},`),
    "} as const;",
    "export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];",
  ];
}

function definitionLines(pairs: ApiPair[]): string[] {
  return [
    "/** One API: its key, name, and the codecs of its request and response (versions are on the codecs). */",
    "export interface ApiDefinition {",
    "readonly apiKey: number;",
    "readonly name: string;",
    "readonly request: MessageCodec;",
    "readonly response: MessageCodec;",
    "}",
    "",
    "/** Every API Kafka defines, by ascending key. */",
    "export const apiDefinitions: readonly ApiDefinition[] = [",
    ...pairs.map(
      (pair) =>
        `{ apiKey: ${pair.apiKey}, name: ${JSON.stringify(pair.name)}, request: ${codecName(pair.request)}, response: ${codecName(pair.response)} },`,
    ),
    "];",
    "",
    "const definitionsByKey = new Map(apiDefinitions.map((definition) => [definition.apiKey, definition]));",
    "",
    "export function apiDefinition(apiKey: number): ApiDefinition | undefined {",
    "return definitionsByKey.get(apiKey);",
    "}",
  ];
}

function typeMapLines(pairs: ApiPair[]): string[] {
  return [
    '/** The request and response types of each API key, for typed handlers: ApiMessages[0]["request"]. */',
    "export interface ApiMessages {",
    ...pairs.map(
      (pair) => `${pair.apiKey}: { request: ${pair.request.name}; response: ${pair.response.name} };`,
    ),
    "}",
    "",
    "/** The codecs of one API, typed by its key: apiCodecs(ApiKey.Heartbeat).request.create() is a HeartbeatRequest. */",
    "export function apiCodecs<K extends keyof ApiMessages>(",
    "apiKey: K,",
    '): { request: MessageCodec<ApiMessages[K]["request"]>; response: MessageCodec<ApiMessages[K]["response"]> } {',
    "const definition = definitionsByKey.get(apiKey);",
    'if (definition === undefined) throw new Error("no API with key " + apiKey);',
    "return definition as unknown as {",
    'request: MessageCodec<ApiMessages[K]["request"]>;',
    'response: MessageCodec<ApiMessages[K]["response"]>;',
    "};",
    "}",
  ];
}

function otherCodecLines(files: GeneratedFile[]): string[] {
  const others = files.flatMap((file) => file.messages).filter((message) => message.apiKey === null);
  return [
    "/** Codecs of the header and data messages (not APIs): RequestHeader, LeaderChangeMessage, ... */",
    "export const otherCodecs: readonly MessageCodec[] = [",
    ...others.map((message) => `${codecName(message)},`),
    "];",
  ];
}

/** `source` says where the specs came from (from their NOTICE file), e.g. the Kafka commit. */
export function emitRegistry(files: GeneratedFile[], pairs: ApiPair[], source: string): string {
  return [
    generatedBanner,
    `// Source: ${source}`,
    "",
    representation,
    "",
    'import type { MessageCodec } from "../codec-runtime.ts";',
    ...importLines(files),
    "",
    ...apiKeyLines(pairs),
    "",
    ...definitionLines(pairs),
    "",
    ...typeMapLines(pairs),
    "",
    ...otherCodecLines(files),
    "",
  ].join("\n");
}
