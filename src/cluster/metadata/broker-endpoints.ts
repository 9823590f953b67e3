// Which address a client is given for a broker: the one the broker advertises on the listener the client came
// in on, as Kafka answers Metadata, FindCoordinator and DescribeCluster per listener. Pure.

import type { BrokerListener } from "./metadata-records.ts";
import type { BrokerMetadata } from "./metadata-state.ts";

export interface BrokerEndpoint {
  host: string;
  port: number;
}

/**
 * The broker's address on `listenerName`; undefined when it has no such listener (Kafka leaves such a broker
 * out of the answer). A registration older than listeners has one address, given on every listener.
 */
export function brokerEndpoint(
  broker: Pick<BrokerMetadata, "host" | "port" | "listeners">,
  listenerName: string,
): BrokerEndpoint | undefined {
  if (broker.listeners.length === 0) return { host: broker.host, port: broker.port };
  const listener = broker.listeners.find((candidate) => candidate.name === listenerName);
  return listener === undefined ? undefined : { host: listener.host, port: listener.port };
}

/** Whether two listener lists advertise the same endpoints in the same order. */
export function sameListeners(a: readonly BrokerListener[], b: readonly BrokerListener[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (listener, index) =>
        listener.name === b[index]!.name &&
        listener.host === b[index]!.host &&
        listener.port === b[index]!.port &&
        listener.securityProtocol === b[index]!.securityProtocol,
    )
  );
}
