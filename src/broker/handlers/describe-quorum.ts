// DescribeQuorum v0–2 (KIP-595, KIP-836, KIP-853): the metadata Raft group (__cluster_metadata, partition 0) as its
// leader sees it — leader, epoch, high watermark, each voter's log end offset. Answered as KafkaRaftClient
// answers: any other partition is UNKNOWN_TOPIC_OR_PARTITION; a node that does not lead the group answers
// NOT_LEADER_OR_FOLLOWER, since only the leader knows the voters' progress.

import { metadataTopicName } from "../../cluster/internal-topics.ts";
import { zeroUuid } from "../../protocol/codec-runtime.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createDescribeQuorumResponse,
  createDescribeQuorumResponseListener,
  createDescribeQuorumResponseNode,
  createDescribeQuorumResponsePartitionData,
  createDescribeQuorumResponseReplicaState,
  createDescribeQuorumResponseTopicData,
} from "../../protocol/messages/describe-quorum.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { leaderEpochOfTerm } from "../../raft/core/index.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

type Request = ApiMessages[55]["request"];
type Response = ApiMessages[55]["response"];
type PartitionData = Response["topics"][number]["partitions"][number];

/** What DescribeQuorum reads of the metadata Raft group on this node. */
export interface MetadataQuorum {
  readonly isLeader: boolean;
  readonly leaderId: number | null;
  /** The Raft term (0 before any election). */
  readonly term: number;
  /** The first offset not yet committed. */
  readonly highWatermark: number;
  readonly voters: readonly number[];
  /** Each voter's log end offset as this leader knows it; -1 when unknown. Leader only. */
  logEndOffset(nodeId: number): number;
  /** The leader's wall clock, which Kafka reports as its own last caught-up time. */
  wallMs(): number;
}

/** DescribeQuorum v2 is the first to carry the voters' endpoints and directory ids (KIP-853). */
const nodesVersionMin = 2;
/** The listener name the voters' endpoints are reported under: Chronik has one, plaintext, listener. */
const listenerName = "PLAINTEXT";

/** KafkaRaftClient.hasValidTopicPartition: exactly the metadata log's one partition. */
function asksForMetadataPartition(request: Request): boolean {
  const [topic] = request.topics;
  return (
    request.topics.length === 1 &&
    topic!.topicName === metadataTopicName &&
    topic!.partitions.length === 1 &&
    topic!.partitions[0]!.partitionIndex === 0
  );
}

function partitionAnswer(quorum: MetadataQuorum): PartitionData {
  const base = { ...createDescribeQuorumResponsePartitionData(), partitionIndex: 0, errorMessage: null };
  const leaderEpoch = quorum.term === 0 ? -1 : leaderEpochOfTerm(quorum.term);
  if (!quorum.isLeader) {
    return { ...base, errorCode: ErrorCode.NotLeaderOrFollower, leaderId: -1, leaderEpoch: -1 };
  }
  const leaderId = quorum.leaderId ?? -1;
  const now = BigInt(quorum.wallMs());
  return {
    ...base,
    leaderId,
    leaderEpoch,
    highWatermark: BigInt(quorum.highWatermark),
    currentVoters: quorum.voters.map((nodeId) => ({
      ...createDescribeQuorumResponseReplicaState(),
      replicaId: nodeId,
      replicaDirectoryId: zeroUuid,
      logEndOffset: BigInt(quorum.logEndOffset(nodeId)),
      lastFetchTimestamp: -1n,
      lastCaughtUpTimestamp: nodeId === leaderId ? now : -1n,
    })),
    // Every node of a Chronik cluster votes in the metadata group: there are no observers.
    observers: [],
  };
}

function voterNodes(context: BrokerContext, quorum: MetadataQuorum): Response["nodes"] {
  return quorum.voters.flatMap((nodeId) => {
    const broker = context.metadata.state.broker(nodeId);
    if (broker === undefined) return [];
    const listener = {
      ...createDescribeQuorumResponseListener(),
      name: listenerName,
      host: broker.host,
      port: broker.port,
    };
    return [{ ...createDescribeQuorumResponseNode(), nodeId, listeners: [listener] }];
  });
}

export function describeQuorumHandler(context: BrokerContext, quorum: MetadataQuorum) {
  return defineHandler({
    apiKey: ApiKey.DescribeQuorum,
    minVersion: 0,
    maxVersion: 2,
    handle(request, { apiVersion }) {
      const response: Response = { ...createDescribeQuorumResponse(), errorMessage: null };
      if (!asksForMetadataPartition(request)) {
        // DescribeQuorumRequest.getPartitionLevelErrorResponse: every partition asked for, in error.
        response.topics = request.topics.map((topic) => ({
          ...createDescribeQuorumResponseTopicData(),
          topicName: topic.topicName,
          partitions: topic.partitions.map((partition) => ({
            ...createDescribeQuorumResponsePartitionData(),
            partitionIndex: partition.partitionIndex,
            errorCode: ErrorCode.UnknownTopicOrPartition,
            errorMessage: null,
          })),
        }));
        return response;
      }
      const partition = partitionAnswer(quorum);
      response.topics = [
        { ...createDescribeQuorumResponseTopicData(), topicName: metadataTopicName, partitions: [partition] },
      ];
      if (apiVersion >= nodesVersionMin && partition.errorCode === 0)
        response.nodes = voterNodes(context, quorum);
      return response;
    },
  });
}
