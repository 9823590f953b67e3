// Request and response headers, and Kafka's rules for which header version goes with which API version.
// Request header v0: apiKey, apiVersion, correlationId; v1 adds clientId (a nullable string that stays
// non-compact even in v2); v2 adds tagged fields. Response header v0: correlationId; v1 adds tagged fields.

import { noTaggedFields, within } from "./codec-runtime.ts";
import { ApiKey, apiDefinition } from "./messages/registry.ts";
import {
  decodeRequestHeader as decodeRequestHeaderAt,
  encodeRequestHeader as encodeRequestHeaderAt,
  type RequestHeader,
} from "./messages/request-header.ts";
import {
  decodeResponseHeader as decodeResponseHeaderAt,
  encodeResponseHeader as encodeResponseHeaderAt,
  type ResponseHeader,
} from "./messages/response-header.ts";
import type { ByteReader } from "./primitives/byte-reader.ts";
import type { ByteWriter } from "./primitives/byte-writer.ts";

export type { RequestHeader, ResponseHeader };

function isFlexible(flexibleMin: number | null, apiVersion: number): boolean {
  return flexibleMin !== null && apiVersion >= flexibleMin;
}

/**
 * The request header version for an API version: 2 when the request is flexible, else 1, except
 * ControlledShutdown v0, which predates client ids and uses header v0. Unknown APIs get 1, enough to read
 * the correlation id and answer.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  const definition = apiDefinition(apiKey);
  if (definition === undefined) return 1;
  return isFlexible(definition.request.flexibleMin, apiVersion) ? 2 : 1;
}

/**
 * The response header version: 1 when the response is flexible, else 0, except ApiVersions, whose response
 * always uses v0 so that a client that sent a version the broker does not know can still read the answer.
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const definition = apiDefinition(apiKey);
  if (definition === undefined) return 0;
  return isFlexible(definition.response.flexibleMin, apiVersion) ? 1 : 0;
}

/** A request header with no unknown tagged fields. */
export function requestHeader(fields: {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}): RequestHeader {
  return {
    requestApiKey: fields.apiKey,
    requestApiVersion: fields.apiVersion,
    correlationId: fields.correlationId,
    clientId: fields.clientId,
    unknownTaggedFields: noTaggedFields,
  };
}

export function encodeRequestHeader(writer: ByteWriter, header: RequestHeader): void {
  encodeRequestHeaderAt(writer, header, requestHeaderVersion(header.requestApiKey, header.requestApiVersion));
}

/** Reads a request header, choosing its version from the API key and version at its start. */
export function decodeRequestHeader(reader: ByteReader): RequestHeader {
  const start = reader.offset;
  try {
    const apiKey = reader.int16("requestApiKey");
    const apiVersion = reader.int16("requestApiVersion");
    reader.offset = start;
    return decodeRequestHeaderAt(reader, requestHeaderVersion(apiKey, apiVersion));
  } catch (error) {
    throw within(error, "request header");
  }
}

export function encodeResponseHeader(
  writer: ByteWriter,
  correlationId: number,
  apiKey: number,
  apiVersion: number,
): void {
  const header: ResponseHeader = { correlationId, unknownTaggedFields: noTaggedFields };
  encodeResponseHeaderAt(writer, header, responseHeaderVersion(apiKey, apiVersion));
}

export function decodeResponseHeader(reader: ByteReader, apiKey: number, apiVersion: number): ResponseHeader {
  try {
    return decodeResponseHeaderAt(reader, responseHeaderVersion(apiKey, apiVersion));
  } catch (error) {
    throw within(error, "response header");
  }
}
