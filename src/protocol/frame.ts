// Whole Kafka frames: an int32 size, then a header, then a body. The building blocks both the broker's
// connection handling and test clients use to turn bytes into typed requests and responses and back.

import { assert } from "../base/assert.ts";
import { type MessageCodec, within } from "./codec-runtime.ts";
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  type RequestHeader,
} from "./headers.ts";
import { type ApiDefinition, apiDefinition } from "./messages/registry.ts";
import { readInt32 } from "./primitives/big-endian.ts";
import { ByteReader } from "./primitives/byte-reader.ts";
import { ByteWriter } from "./primitives/byte-writer.ts";
import { ProtocolError } from "./protocol-error.ts";

/** Bytes of the size prefix in front of every request and response. */
export const frameSizeBytes = 4;

export interface DecodeOptions {
  /** Accept bytes after the body instead of failing (they are reported in `trailingBytes`). */
  allowTrailingBytes?: boolean;
}

/** A request whose API and version this codec knows, decoded. */
export interface DecodedRequest {
  readonly kind: "request";
  readonly header: RequestHeader;
  readonly api: ApiDefinition;
  readonly body: unknown;
  readonly trailingBytes: number;
}

/** A well-formed header naming an API key or version this codec cannot decode; the body is left alone. */
export interface UnsupportedRequest {
  readonly kind: "unsupported";
  readonly header: RequestHeader;
  readonly reason: "unknown api key" | "unsupported version";
}

function messageLabel(api: ApiDefinition, version: number, kind: "request" | "response"): string {
  return `${api.name} v${version} ${kind}`;
}

const noDecodeOptions: DecodeOptions = {};

/**
 * Decodes a message body, naming API, version and kind in any error, and checking what is left after it.
 * The name is put together only for an error: every request passes through here.
 */
function decodeBody(
  api: ApiDefinition,
  kind: "request" | "response",
  reader: ByteReader,
  version: number,
  options: DecodeOptions,
): unknown {
  let body: unknown;
  try {
    body = api[kind].decode(reader, version);
  } catch (error) {
    throw within(error, messageLabel(api, version, kind));
  }
  const trailingBytes = reader.remaining;
  if (trailingBytes > 0 && options.allowTrailingBytes !== true) {
    throw new ProtocolError(`${trailingBytes} bytes left after the body`, [messageLabel(api, version, kind)]);
  }
  return body;
}

function frameWriter(capacityBytes: number): ByteWriter {
  const writer = new ByteWriter(capacityBytes);
  writer.int32(0);
  return writer;
}

/**
 * The frame as a view of the writer's buffer: the writer is dropped here, so the view stays valid, and
 * skipping finish()'s copy matters for megabyte frames (allocating and copying big buffers drives GC).
 */
function finishFrame(writer: ByteWriter): Uint8Array {
  writer.patchInt32(0, writer.offset - frameSizeBytes);
  return writer.written();
}

function supportedCodec(codec: MessageCodec, version: number): void {
  assert(
    version >= codec.minVersion && version <= codec.maxVersion,
    `${codec.name} has no version ${version} (valid ${codec.minVersion}-${codec.maxVersion})`,
  );
}

/** size + request header + body. The API and version come from the header. */
export function encodeRequestFrame(header: RequestHeader, body: unknown, capacityBytes = 256): Uint8Array {
  const api = apiDefinition(header.requestApiKey);
  assert(api !== undefined, `unknown api key ${header.requestApiKey}`);
  supportedCodec(api.request, header.requestApiVersion);
  const writer = frameWriter(capacityBytes);
  encodeRequestHeader(writer, header);
  api.request.encode(writer, body, header.requestApiVersion);
  return finishFrame(writer);
}

interface AnsweredRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** Writes the response header and body for the API and version of the request being answered. */
function writeResponse(writer: ByteWriter, request: AnsweredRequest, body: unknown): void {
  const api = apiDefinition(request.apiKey);
  assert(api !== undefined, `unknown api key ${request.apiKey}`);
  supportedCodec(api.response, request.apiVersion);
  encodeResponseHeader(writer, request.correlationId, request.apiKey, request.apiVersion);
  api.response.encode(writer, body, request.apiVersion);
}

/**
 * Response header + body without the size prefix (the connection frames responses as it writes them). A small
 * payload is copied out of the writer: a copy under ~1 KB stays a cheap GC-heap array, while a view
 * (subarray) of the writer's fresh buffer would make JSC give that buffer an ArrayBuffer of its own — a
 * malloc and a copy, several times the cost. A large payload is returned as a view: copying megabytes costs
 * more than the view.
 */
export function encodeResponsePayload(request: AnsweredRequest, body: unknown): Uint8Array {
  // Small answers are encoded in one reused writer (every produce makes one); a large one keeps the writer's
  // buffer as its payload, and the next answer starts a new writer.
  const writer = spareResponseWriter ?? new ByteWriter(copiedPayloadBytesMax);
  spareResponseWriter = null;
  writer.offset = 0;
  writeResponse(writer, request, body);
  if (writer.offset > copiedPayloadBytesMax) return writer.written();
  spareResponseWriter = writer;
  return writer.finish();
}

/** Below JSC's limit for typed arrays kept inside the GC heap (1,000 elements). */
const copiedPayloadBytesMax = 960;
let spareResponseWriter: ByteWriter | null = null;

/** size + response header + body, for the API and version of the request being answered. */
export function encodeResponseFrame(
  request: AnsweredRequest,
  body: unknown,
  capacityBytes = 256,
): Uint8Array {
  const writer = frameWriter(capacityBytes);
  writeResponse(writer, request, body);
  return finishFrame(writer);
}

/** The size a frame announces in its first 4 bytes, or null if fewer than 4 bytes are there yet. */
export function readFrameSize(bytes: Uint8Array, offset = 0): number | null {
  if (bytes.length - offset < frameSizeBytes) return null;
  return readInt32(bytes, offset);
}

/** Decodes a request from the bytes after the size prefix (header + body). */
export function decodeRequestPayload(
  payload: Uint8Array,
  options: DecodeOptions = noDecodeOptions,
): DecodedRequest | UnsupportedRequest {
  const reader = new ByteReader(payload);
  const header = decodeRequestHeader(reader);
  const api = apiDefinition(header.requestApiKey);
  if (api === undefined) return { kind: "unsupported", header, reason: "unknown api key" };
  const version = header.requestApiVersion;
  if (version < api.request.minVersion || version > api.request.maxVersion) {
    return { kind: "unsupported", header, reason: "unsupported version" };
  }
  const body = decodeBody(api, "request", reader, version, options);
  return { kind: "request", header, api, body, trailingBytes: reader.remaining };
}

/** Decodes a whole request frame, size prefix included; the size must match the bytes given. */
export function decodeRequestFrame(
  frame: Uint8Array,
  options: DecodeOptions = {},
): DecodedRequest | UnsupportedRequest {
  return decodeRequestPayload(framePayload(frame), options);
}

function framePayload(frame: Uint8Array): Uint8Array {
  const size = readFrameSize(frame);
  if (size === null)
    throw new ProtocolError(`needs ${frameSizeBytes} bytes, ${frame.length} remain`, ["frame size"]);
  if (size !== frame.length - frameSizeBytes) {
    throw new ProtocolError(`announces ${size} bytes, ${frame.length - frameSizeBytes} follow`, [
      "frame size",
    ]);
  }
  return frame.subarray(frameSizeBytes);
}

/** The correlation id at the start of every response header, to match a response to its request. */
export function peekResponseCorrelationId(payload: Uint8Array): number {
  return new ByteReader(payload).int32("correlationId");
}

/** Decodes a response from the bytes after the size prefix, for the API and version that was requested. */
export function decodeResponsePayload(
  payload: Uint8Array,
  apiKey: number,
  apiVersion: number,
  options: DecodeOptions = noDecodeOptions,
): { correlationId: number; body: unknown; trailingBytes: number } {
  const api = apiDefinition(apiKey);
  assert(api !== undefined, `unknown api key ${apiKey}`);
  const reader = new ByteReader(payload);
  const header = decodeResponseHeader(reader, apiKey, apiVersion);
  const body = decodeBody(api, "response", reader, apiVersion, options);
  return { correlationId: header.correlationId, body, trailingBytes: reader.remaining };
}

export function decodeResponseFrame(
  frame: Uint8Array,
  apiKey: number,
  apiVersion: number,
  options: DecodeOptions = {},
): { correlationId: number; body: unknown; trailingBytes: number } {
  return decodeResponsePayload(framePayload(frame), apiKey, apiVersion, options);
}
