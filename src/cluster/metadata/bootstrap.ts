// What a node proposes when it joins and finds the metadata incomplete: the cluster id (once, ever), its own
// broker registration (when new, moved, re-racked, of another incarnation, or fenced), and the internal __consumer_offsets topic once
// enough brokers are live to replicate it. Pure: the caller supplies the fresh ids and the random draws; an
// already complete metadata yields no records.

import { assignReplicas } from "../assignment-policy.ts";
import { offsetsSegmentBytes } from "../internal-topics.ts";
import { sameListeners } from "./broker-endpoints.ts";
import type { BrokerListener, MetadataRecord } from "./metadata-records.ts";
import { MetadataState } from "./metadata-state.ts";

export interface BootstrapInput {
  nodeId: number;
  advertisedHost: string;
  advertisedPort: number;
  rack: string | null;
  /** Every advertised listener, the first at advertisedHost:advertisedPort; absent: that one address only. */
  listeners?: readonly BrokerListener[];
  /** The id written once in this node's data directory: a new data directory registers again. */
  incarnationId: string;
  offsetsTopicName: string;
  offsetsPartitions: number;
  /**
   * Replicas of each __consumer_offsets partition (Kafka's offsets.topic.replication.factor): the topic is
   * created only once this many brokers are live, as Kafka refuses to create it with fewer.
   */
  offsetsReplicationFactor: number;
  newClusterId(): string;
  newTopicId(): string;
  /** A uniform random integer in [0, bound): where the offsets topic's first leader and followers go. */
  randomIndex(bound: number): number;
}

export function bootstrapRecords(state: MetadataState, input: BootstrapInput): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  if (state.clusterId === null) records.push({ type: "cluster-id", clusterId: input.newClusterId() });
  const registered = state.broker(input.nodeId);
  if (
    !registered ||
    registered.host !== input.advertisedHost ||
    registered.port !== input.advertisedPort ||
    registered.rack !== input.rack ||
    registered.incarnationId !== input.incarnationId ||
    !sameListeners(registered.listeners, input.listeners ?? [])
  ) {
    records.push({
      type: "broker",
      nodeId: input.nodeId,
      host: input.advertisedHost,
      port: input.advertisedPort,
      rack: input.rack,
      incarnationId: input.incarnationId,
      ...(input.listeners === undefined || input.listeners.length === 0
        ? {}
        : { listeners: input.listeners.map((listener) => ({ ...listener })) }),
    });
  } else if (registered.fenced) {
    records.push({ type: "broker-fencing", nodeId: input.nodeId, fenced: false });
  }
  if (!state.topicByName(input.offsetsTopicName)) {
    const offsetsTopic = offsetsTopicRecord(stateAfter(state, records), input);
    if (offsetsTopic !== undefined) records.push(offsetsTopic);
  }
  return records;
}

/** __consumer_offsets over the live brokers, or nothing while fewer than its replication factor are live. */
function offsetsTopicRecord(state: MetadataState, input: BootstrapInput): MetadataRecord | undefined {
  const brokerIds = state.liveBrokers().map((broker) => broker.nodeId);
  if (brokerIds.length < input.offsetsReplicationFactor) return undefined;
  const assignments = assignReplicas({
    brokerIds,
    partitionCount: input.offsetsPartitions,
    replicationFactor: input.offsetsReplicationFactor,
    firstPartitionIndex: 0,
    startIndex: input.randomIndex(brokerIds.length),
    replicaShift: input.randomIndex(brokerIds.length),
  });
  return {
    type: "topic",
    name: input.offsetsTopicName,
    topicId: input.newTopicId(),
    partitions: assignments.map((replicas) => ({ replicas })),
    // Kafka's own: the group coordinators compact it (group-log-compaction.ts).
    configs: { "cleanup.policy": "compact", "segment.bytes": String(offsetsSegmentBytes) },
  };
}

/** The state as it would be after `records`: a copy, so the planner sees its own registration. */
function stateAfter(state: MetadataState, records: readonly MetadataRecord[]): MetadataState {
  const copy = new MetadataState();
  for (const record of [...state.toRecords(), ...records]) copy.apply(record);
  return copy;
}
