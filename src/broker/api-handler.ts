// One handler per Kafka API, each declaring the versions it serves. The ApiVersions answer is derived from the
// handlers registered, so the broker never advertises an API or a version it does not implement.

import type { ApiMessages } from "../protocol/messages/registry.ts";
import type { CloseConnection, ConnectionInfo } from "./dispatcher.ts";

export type ApiKeyNumber = keyof ApiMessages;

/** What a handler knows of the request beyond its body. */
export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: ConnectionInfo;
}

/**
 * null means "send no response" (acks=0 produce); a CloseConnection closes the connection (an acks=0 produce
 * that failed, which the client can only learn that way); anything else is encoded at the request's version.
 */
export type HandlerResult<K extends ApiKeyNumber> =
  | ApiMessages[K]["response"]
  | null
  | CloseConnection
  | RespondAndClose<K>;

/** Answer `response`, then close the connection (a refused SASL exchange); logged at `level`. */
export interface RespondAndClose<K extends ApiKeyNumber> {
  readonly close: string;
  readonly response: ApiMessages[K]["response"];
  readonly level?: "debug" | "info" | "warn";
}

export interface ApiHandler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  /** The versions this handler serves; each must lie within the codec's valid versions. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * False for an API the broker answers but leaves out of ApiVersions, as Kafka leaves out the client telemetry
   * APIs (KIP-714) when no metrics plugin is configured. Absent means advertised.
   */
  readonly advertised?: boolean;
  handle(
    request: ApiMessages[K]["request"],
    context: RequestContext,
  ): HandlerResult<K> | Promise<HandlerResult<K>>;
}

/** A handler of any one API: what registries and handler lists hold. */
export type AnyApiHandler = { [K in ApiKeyNumber]: ApiHandler<K> }[ApiKeyNumber];

/** Declares a handler with its request and response types checked against its API key. */
export function defineHandler<K extends ApiKeyNumber>(handler: ApiHandler<K>): ApiHandler<K> {
  return handler;
}
