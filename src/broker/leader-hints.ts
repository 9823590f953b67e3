// What a broker answers for a partition it does not lead (KIP-951): NOT_LEADER_OR_FOLLOWER with the leader it
// knows (id and epoch, -1/-1 when none) and, in the response's nodeEndpoints, where that leader listens, so a
// client moves without first asking for metadata. UNKNOWN_TOPIC_OR_PARTITION only when the partition really
// does not exist.

import { brokerEndpoint } from "../cluster/metadata/broker-endpoints.ts";
import type { TopicMetadata } from "../cluster/metadata/metadata-state.ts";
import type { PartitionReplica, ReplicaError } from "../cluster/partition-replica.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import {
  createFetchResponseLeaderIdAndEpoch,
  createFetchResponseNodeEndpoint,
  type FetchResponseLeaderIdAndEpoch,
  type FetchResponseNodeEndpoint,
} from "../protocol/messages/fetch.ts";
import type { BrokerContext } from "./broker-context.ts";

/** A partition's leader as a response names it: Fetch's and Produce's LeaderIdAndEpoch are the same struct. */
export type CurrentLeader = FetchResponseLeaderIdAndEpoch;

/** Where a named leader listens: Fetch's and Produce's NodeEndpoint are the same struct. */
export type NodeEndpoint = FetchResponseNodeEndpoint;

/** No leader known (-1/-1), the struct's default. */
export const noLeader: CurrentLeader = createFetchResponseLeaderIdAndEpoch();

export const unknownPartition: ReplicaError = {
  errorCode: ErrorCode.UnknownTopicOrPartition,
  errorMessage: "this server does not host this topic-partition",
};

export const notLeaderHere: ReplicaError = {
  errorCode: ErrorCode.NotLeaderOrFollower,
  errorMessage: "this server is not the partition's leader",
};

/** The partition of a topic that exists, or undefined (UNKNOWN_TOPIC_OR_PARTITION). */
export function partitionExists(topic: TopicMetadata | undefined, partition: number): topic is TopicMetadata {
  return topic !== undefined && partition >= 0 && partition < topic.partitions.length;
}

/**
 * The replica of a partition this node leads, or why not: UNKNOWN_TOPIC_OR_PARTITION when the partition does not
 * exist, NOT_LEADER_OR_FOLLOWER when it is hosted elsewhere or led by another replica.
 */
export function ledReplica(
  context: BrokerContext,
  topicName: string,
  partition: number,
): PartitionReplica | ReplicaError {
  if (!partitionExists(context.metadata.state.topicByName(topicName), partition)) return unknownPartition;
  const replica = context.replicas.byName(topicName, partition);
  return replica?.isLeader() ? replica : notLeaderHere;
}

/** The endpoints of the leaders named in one response, each broker once. */
export class LeaderHints {
  /** Made on the first redirect: every Produce and Fetch creates hints, and almost none of them redirect. */
  private endpoints: Map<number, NodeEndpoint> | undefined;

  constructor(
    private readonly context: BrokerContext,
    /** The listener the request came in on: the endpoints given are the leaders' on it. */
    private readonly listenerName: string,
  ) {}

  /** The partition's leader as this node knows it, remembering its endpoint for the response. */
  currentLeader(topic: TopicMetadata, partition: number): CurrentLeader {
    const leadership = this.context.partitions.leadership(topic.topicId, partition);
    if (leadership === null || leadership.leaderId === this.context.nodeId) return noLeader;
    const broker = this.context.metadata.state.broker(leadership.leaderId);
    this.endpoints ??= new Map();
    const endpoint = broker && brokerEndpoint(broker, this.listenerName);
    if (broker !== undefined && endpoint !== undefined && !this.endpoints.has(broker.nodeId)) {
      this.endpoints.set(broker.nodeId, {
        ...createFetchResponseNodeEndpoint(),
        nodeId: broker.nodeId,
        host: endpoint.host,
        port: endpoint.port,
        rack: broker.rack,
      });
    }
    return {
      ...createFetchResponseLeaderIdAndEpoch(),
      leaderId: leadership.leaderId,
      leaderEpoch: leadership.leaderEpoch,
    };
  }

  nodeEndpoints(): NodeEndpoint[] {
    return this.endpoints === undefined ? [] : [...this.endpoints.values()];
  }
}
