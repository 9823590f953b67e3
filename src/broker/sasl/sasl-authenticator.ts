// SASL on Kafka connections (KIP-43, KIP-152, KIP-368): each connection on a SASL listener must complete a
// SaslHandshake naming a mechanism and the SaslAuthenticate exchange it needs before any other request but
// ApiVersions. PLAIN checks the password against the user's stored SCRAM credential (PBKDF2, on the thread
// pool); SCRAM-SHA-256/512 run RFC 5802. A success names the connection's principal "User:<name>"; with
// connections.max.reauth.ms the session ends after that long unless the client re-authenticates (same
// mechanism, same principal), and an expired session may send nothing but the re-authentication. Any failure
// answers its error code, then closes the connection; failures are logged at most a few times a second.

import { randomBytes } from "node:crypto";
import type { Clock } from "../../base/clock.ts";
import type { Logger } from "../../base/logger.ts";
import type { ScramCredential, ScramMechanism } from "../../cluster/metadata/metadata-records.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import type { ConnectionInfo } from "../dispatcher.ts";
import { passwordMatches, scramMechanisms } from "./scram-crypto.ts";
import { type SaslStep, ScramServerExchange } from "./scram-server.ts";

export const saslMechanisms = ["PLAIN", ...scramMechanisms] as const;
export type SaslMechanism = (typeof saslMechanisms)[number];

/** Failed authentications logged per window; the rest are counted and reported with the next line. */
const failureLogsPerWindowMax = 5;
const failureLogWindowMs = 1_000;
/** A PLAIN token holds authzid, user and password: more than this is not one. */
const plainTokenBytesMax = 4096;

export interface SaslAuthenticatorOptions {
  /** Listener names whose connections must authenticate. */
  saslListeners: ReadonlySet<string>;
  credentials(user: string, mechanism: ScramMechanism): ScramCredential | undefined;
  /** connections.max.reauth.ms; 0: a session never expires. */
  reauthMsMax: number;
  clock: Clock;
  logger: Logger;
}

interface Session {
  /** The mechanism of the handshake in progress or completed; null before any. */
  mechanism: SaslMechanism | null;
  /** The exchange in progress, if any (between SaslHandshake and the last SaslAuthenticate). */
  exchange: ScramServerExchange | "plain" | null;
  /** The authenticated principal, kept through a re-authentication. */
  principal: string | null;
  /** Monotonic ms after which the session is over (Infinity: never). */
  expiresAtMs: number;
}

export type HandshakeOutcome = { errorCode: number; mechanisms: string[]; close: string | null };
export type AuthenticateOutcome = {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Uint8Array;
  sessionLifetimeMs: number;
  close: string | null;
};

const noBytes = new Uint8Array(0);
const alwaysAllowed = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);
const reauthAllowed = new Set<number>([ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class SaslAuthenticator {
  readonly #sessions = new WeakMap<ConnectionInfo, Session>();
  readonly #decoySecret = randomBytes(32);
  #failureWindowStartMs = Number.NEGATIVE_INFINITY;
  #failuresLogged = 0;
  #failuresSuppressed = 0;

  constructor(private readonly options: SaslAuthenticatorOptions) {}

  /** Why `apiKey` may not be served on `connection` now, or null if it may. */
  refusal(connection: ConnectionInfo, apiKey: number): string | null {
    if (!this.options.saslListeners.has(connection.listenerName)) return null;
    const session = this.#sessions.get(connection);
    if (session?.principal == null) {
      return alwaysAllowed.has(apiKey) ? null : `request api key ${apiKey} before SASL authentication`;
    }
    if (this.options.clock.monotonicMs() <= session.expiresAtMs || reauthAllowed.has(apiKey)) return null;
    return "SASL session expired (connections.max.reauth.ms) without re-authentication";
  }

  handshake(connection: ConnectionInfo, mechanism: string): HandshakeOutcome {
    const mechanisms = [...saslMechanisms];
    if (!this.options.saslListeners.has(connection.listenerName)) {
      return { errorCode: ErrorCode.IllegalSaslState, mechanisms, close: null };
    }
    const session = this.#session(connection);
    if (session.exchange !== null) {
      return this.#handshakeFailure(
        connection,
        ErrorCode.IllegalSaslState,
        "SaslHandshake during an exchange",
      );
    }
    if (!(saslMechanisms as readonly string[]).includes(mechanism)) {
      return this.#handshakeFailure(connection, ErrorCode.UnsupportedSaslMechanism, `mechanism ${mechanism}`);
    }
    if (session.principal !== null && session.mechanism !== mechanism) {
      return this.#handshakeFailure(
        connection,
        ErrorCode.IllegalSaslState,
        `re-authentication with ${mechanism}, not ${session.mechanism}`,
      );
    }
    session.mechanism = mechanism as SaslMechanism;
    session.exchange =
      mechanism === "PLAIN"
        ? "plain"
        : new ScramServerExchange(
            mechanism as ScramMechanism,
            (user) => this.options.credentials(user, mechanism as ScramMechanism),
            this.#decoySecret,
          );
    return { errorCode: 0, mechanisms, close: null };
  }

  async authenticate(connection: ConnectionInfo, authBytes: Uint8Array): Promise<AuthenticateOutcome> {
    if (!this.options.saslListeners.has(connection.listenerName)) {
      return this.#failure(connection, ErrorCode.IllegalSaslState, "not a SASL listener", { close: false });
    }
    const session = this.#session(connection);
    const exchange = session.exchange;
    if (exchange === null) {
      return this.#failure(connection, ErrorCode.IllegalSaslState, "SaslAuthenticate before SaslHandshake");
    }
    const step = exchange === "plain" ? await this.#plain(authBytes) : exchange.step(authBytes);
    if (connection.closed.aborted)
      return this.#failure(connection, ErrorCode.SaslAuthenticationFailed, "closed");
    if (step.kind === "challenge") {
      return { errorCode: 0, errorMessage: null, authBytes: step.bytes, sessionLifetimeMs: 0, close: null };
    }
    session.exchange = null;
    if (step.kind === "failure") {
      return this.#failure(
        connection,
        ErrorCode.SaslAuthenticationFailed,
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${session.mechanism}`,
        { reason: step.reason },
      );
    }
    const principal = `User:${step.user}`;
    if (session.principal !== null && session.principal !== principal) {
      return this.#failure(
        connection,
        ErrorCode.SaslAuthenticationFailed,
        "Cannot change principals during re-authentication",
      );
    }
    session.principal = principal;
    connection.principal = principal;
    const lifetimeMs = this.options.reauthMsMax;
    session.expiresAtMs =
      lifetimeMs === 0 ? Number.POSITIVE_INFINITY : this.options.clock.monotonicMs() + lifetimeMs;
    return {
      errorCode: 0,
      errorMessage: null,
      authBytes: step.bytes,
      sessionLifetimeMs: lifetimeMs,
      close: null,
    };
  }

  /** RFC 4616: [authzid] NUL authcid NUL passwd; the authzid, if any, must be the user. */
  async #plain(token: Uint8Array): Promise<SaslStep> {
    if (token.length > plainTokenBytesMax) return { kind: "failure", reason: "PLAIN token too long" };
    const parts = new TextDecoder().decode(token).split("\0");
    if (parts.length !== 3) return { kind: "failure", reason: "malformed PLAIN token" };
    const [authzid, user, password] = parts as [string, string, string];
    if (user === "" || password === "") return { kind: "failure", reason: "malformed PLAIN token" };
    if (authzid !== "" && authzid !== user) return { kind: "failure", reason: "authorization id differs" };
    const credential =
      this.options.credentials(user, "SCRAM-SHA-512") ?? this.options.credentials(user, "SCRAM-SHA-256");
    // An unknown user costs the same PBKDF2 as a known one, so timing does not tell who exists.
    const matches = await passwordMatches(credential ?? this.#decoyCredential(user), password);
    if (credential === undefined || !matches) return { kind: "failure", reason: "invalid credentials" };
    return { kind: "success", bytes: noBytes, user };
  }

  #decoyCredential(user: string): ScramCredential {
    const decoy = this.#decoySecret.toString("base64");
    return {
      user,
      mechanism: "SCRAM-SHA-512",
      salt: decoy,
      storedKey: decoy,
      serverKey: decoy,
      iterations: 4096,
    };
  }

  #session(connection: ConnectionInfo): Session {
    let session = this.#sessions.get(connection);
    if (session === undefined) {
      session = { mechanism: null, exchange: null, principal: null, expiresAtMs: Number.POSITIVE_INFINITY };
      this.#sessions.set(connection, session);
    }
    return session;
  }

  #handshakeFailure(connection: ConnectionInfo, errorCode: number, reason: string): HandshakeOutcome {
    this.#logFailure(connection, reason);
    return { errorCode, mechanisms: [...saslMechanisms], close: `SASL handshake refused: ${reason}` };
  }

  #failure(
    connection: ConnectionInfo,
    errorCode: number,
    message: string,
    options: { reason?: string; close?: boolean } = {},
  ): AuthenticateOutcome {
    const session = this.#sessions.get(connection);
    if (session !== undefined) session.exchange = null;
    this.#logFailure(connection, options.reason === undefined ? message : `${message}: ${options.reason}`);
    return {
      errorCode,
      errorMessage: message,
      authBytes: noBytes,
      sessionLifetimeMs: 0,
      close: options.close === false ? null : `SASL authentication failed: ${options.reason ?? message}`,
    };
  }

  /** At most failureLogsPerWindowMax lines a window: a password-guessing client cannot flood the log. */
  #logFailure(connection: ConnectionInfo, reason: string): void {
    const nowMs = this.options.clock.monotonicMs();
    if (nowMs - this.#failureWindowStartMs >= failureLogWindowMs) {
      this.#failureWindowStartMs = nowMs;
      this.#failuresLogged = 0;
    }
    if (this.#failuresLogged >= failureLogsPerWindowMax) {
      this.#failuresSuppressed++;
      return;
    }
    this.#failuresLogged++;
    const suppressed = this.#failuresSuppressed;
    this.#failuresSuppressed = 0;
    this.options.logger.warn("SASL authentication failed", {
      connectionId: connection.id,
      remote: `${connection.remoteAddress}:${connection.remotePort}`,
      listener: connection.listenerName,
      reason,
      ...(suppressed > 0 ? { failuresNotLogged: suppressed } : {}),
    });
  }
}
