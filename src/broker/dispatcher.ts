// The seam between transport and protocol: the connection pipeline hands each complete request frame to a
// Dispatcher and writes back whatever it answers, in request order. The dispatcher decodes everything after
// the first eight header bytes; the pipeline never looks further.

export interface ConnectionInfo {
  /** Unique per listener, increasing; for logs and for per-connection state such as SASL. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The listener the connection came in on (e.g. PLAINTEXT): Metadata answers with its addresses. */
  readonly listenerName: string;
  /**
   * Who the connection is, in Kafka's form: "User:ANONYMOUS" until authenticated, then "User:<SASL name>" or,
   * with a client certificate, "User:<subject DN>". Set by the listener (TLS) and the SASL exchange; the
   * authorizer and user client quotas read it. Not readonly: authentication sets it on the live connection.
   */
  principal: string;
  /** Aborted when the connection closes, so long waits (fetch long-polls, produce acks) can stop early. */
  readonly closed: AbortSignal;
  /** Stops reading this connection's requests for `ms` (a quota throttle, KIP-219); absent where not supported. */
  muteFor?(ms: number): void;
}

/** Kafka's principal for a connection nobody has authenticated (one definition, with the ACL model's). */
export { anonymousPrincipal } from "../cluster/acls/acl-model.ts";

export interface KafkaRequest {
  /**
   * Request header and body, without the int32 size prefix; at least 8 bytes. Often a view into a larger
   * socket chunk: copy (slice) whatever must outlive the request, or the whole chunk stays in memory.
   */
  readonly frame: Uint8Array;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly connection: ConnectionInfo;
}

/** The dispatcher's verdict that the connection must close, e.g. a request that does not decode. */
export interface CloseConnection {
  readonly close: string;
  /** A last response written before closing (a failed SASL exchange answers its error, then closes). */
  readonly finalResponse?: Uint8Array;
  /** How the close is logged (default warn): a caller that logs its own, rate-limited, says debug. */
  readonly level?: "debug" | "info" | "warn";
}

/**
 * Response header and body without the size prefix (the pipeline adds it), null for "no response"
 * (acks=0 produce), or a CloseConnection. A thrown error or a rejected promise closes the connection, logged;
 * one that is a bug (base/assert.ts isBug: a failed assertion, a TypeError) also stops the process.
 */
export type DispatchResult = Uint8Array | null | CloseConnection;

export interface Dispatcher {
  handle(request: KafkaRequest): DispatchResult | Promise<DispatchResult>;
}

export function closeConnection(reason: string): CloseConnection {
  return { close: reason };
}

export function isCloseConnection(result: DispatchResult): result is CloseConnection {
  return (
    typeof result === "object" && result !== null && typeof (result as { close?: unknown }).close === "string"
  );
}
