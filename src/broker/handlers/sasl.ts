// SaslHandshake (17) and SaslAuthenticate (36, KIP-152 framing, v1+ with KIP-368's session lifetime): thin
// handlers over the SaslAuthenticator, which holds each connection's exchange. A refused handshake or a failed
// authentication is answered with its error code, then the connection closes, as Kafka does.

import { ApiKey } from "../../protocol/messages/registry.ts";
import { createSaslAuthenticateResponse } from "../../protocol/messages/sasl-authenticate.ts";
import { createSaslHandshakeResponse } from "../../protocol/messages/sasl-handshake.ts";
import { defineHandler } from "../api-handler.ts";
import type { SaslAuthenticator } from "../sasl/sasl-authenticator.ts";

export function saslHandshakeHandler(sasl: SaslAuthenticator) {
  return defineHandler({
    apiKey: ApiKey.SaslHandshake,
    minVersion: 0,
    maxVersion: 1,
    handle(request, { connection }) {
      const outcome = sasl.handshake(connection, request.mechanism);
      const response = {
        ...createSaslHandshakeResponse(),
        errorCode: outcome.errorCode,
        mechanisms: outcome.mechanisms,
      };
      return outcome.close === null ? response : { close: outcome.close, response, level: "debug" };
    },
  });
}

export function saslAuthenticateHandler(sasl: SaslAuthenticator) {
  return defineHandler({
    apiKey: ApiKey.SaslAuthenticate,
    minVersion: 0,
    maxVersion: 2,
    async handle(request, { connection }) {
      const outcome = await sasl.authenticate(connection, request.authBytes);
      const response = {
        ...createSaslAuthenticateResponse(),
        errorCode: outcome.errorCode,
        errorMessage: outcome.errorMessage,
        authBytes: outcome.authBytes,
        sessionLifetimeMs: BigInt(outcome.sessionLifetimeMs),
      };
      return outcome.close === null ? response : { close: outcome.close, response, level: "debug" };
    },
  });
}
