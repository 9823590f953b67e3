// The door of a SASL listener: a Dispatcher in front of the broker's that closes a connection sending anything
// but ApiVersions, SaslHandshake and SaslAuthenticate before it has authenticated (or after its session
// expired), as Kafka's SaslServerAuthenticator does.

import { closeConnection, type Dispatcher, type DispatchResult, type KafkaRequest } from "../dispatcher.ts";
import type { SaslAuthenticator } from "./sasl-authenticator.ts";

export function saslGate(inner: Dispatcher, sasl: SaslAuthenticator): Dispatcher {
  return {
    handle(request: KafkaRequest): DispatchResult | Promise<DispatchResult> {
      const refusal = sasl.refusal(request.connection, request.apiKey);
      return refusal === null ? inner.handle(request) : closeConnection(refusal);
    },
  };
}
