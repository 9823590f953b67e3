// An in-memory MetadataService for handler tests: proposals apply at once, and every partition is led by the
// one broker. The real service is the metadata Raft group; this stands in only where durability is not tested.

import { silentLogger } from "../../src/base/logger.ts";
import type { RequestContext } from "../../src/broker/api-handler.ts";
import type { BrokerContext } from "../../src/broker/broker-context.ts";
import type { CommandResult } from "../../src/cluster/metadata/metadata-commands.ts";
import type { MetadataRecord } from "../../src/cluster/metadata/metadata-records.ts";
import type { MetadataPlan, MetadataService } from "../../src/cluster/metadata/metadata-service.ts";
import { MetadataState } from "../../src/cluster/metadata/metadata-state.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { InMemoryReplicas } from "./in-memory-replica.ts";

export class InMemoryMetadata implements MetadataService {
  readonly state = new MetadataState();

  /** Plans run one at a time against the current state and apply at once (no log, no replication). */
  async execute(plan: MetadataPlan): Promise<CommandResult> {
    const result = plan(this.state);
    if (result.ok) this.apply(result.records);
    return result;
  }

  /** Applies records directly, for tests that set the stage. */
  apply(records: readonly MetadataRecord[]): void {
    for (const record of records) this.state.apply(record);
  }
}

/** A broker context for one node on `port`, with scripted ids so tests are exact. */
export function singleNodeContext(options: {
  port: number;
  nodeId?: number;
  autoCreateTopics?: boolean;
}): BrokerContext & {
  metadata: InMemoryMetadata;
} {
  const nodeId = options.nodeId ?? 1;
  const metadata = new InMemoryMetadata();
  metadata.state.apply({ type: "cluster-id", clusterId: "test-cluster" });
  metadata.state.apply({ type: "broker", nodeId, host: "127.0.0.1", port: options.port, rack: null });
  let topicCounter = 0;
  return {
    nodeId,
    metadata,
    controllerId: () => nodeId,
    fetchFromFollowers: true,
    partitions: { leadership: () => ({ leaderId: nodeId, leaderEpoch: 0, isr: [nodeId] }) },
    replicas: new InMemoryReplicas(metadata.state),
    // Every partition here is led by its only replica, so ElectLeaders never needs to ask another node.
    leaderElections: {
      electPreferred: async () => ({
        errorCode: ErrorCode.PreferredLeaderNotAvailable,
        errorMessage: "no other node in this test context",
      }),
    },
    defaults: { numPartitions: 1, replicationFactor: 1, autoCreateTopics: options.autoCreateTopics ?? true },
    brokerStatic: new Map([["node.id", String(nodeId)]]),
    newTopicId: () => {
      const bytes = new Uint8Array(16);
      new DataView(bytes.buffer).setUint32(12, ++topicCounter);
      return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
    },
    randomIndex: () => 0,
    logger: silentLogger,
  };
}

/**
 * Adds a topic to the in-memory metadata, every partition on this node, as a CreateTopics (or the broker's own
 * start-up, for internal topics) would leave it; returns its id.
 */
export function addTopic(
  context: { nodeId: number; metadata: InMemoryMetadata; newTopicId(): string },
  name: string,
  options: { partitions?: number; configs?: Record<string, string> } = {},
): string {
  const topicId = context.newTopicId();
  const partitions = Array.from({ length: options.partitions ?? 1 }, () => ({ replicas: [context.nodeId] }));
  context.metadata.apply([{ type: "topic", name, topicId, partitions, configs: options.configs ?? {} }]);
  return topicId;
}

/** What a handler is told of the request it serves, for calling handlers directly: one fixed connection. */
export function handlerRequestContext(apiVersion: number): RequestContext {
  return {
    apiVersion,
    correlationId: 1,
    clientId: "test",
    connection: {
      id: 1,
      remoteAddress: "127.0.0.1",
      remotePort: 1,
      closed: new AbortController().signal,
      principal: "User:ANONYMOUS",
    },
  };
}
