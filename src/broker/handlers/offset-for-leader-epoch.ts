// OffsetForLeaderEpoch v0–4: where an epoch ends in this leader's log, so a follower finds its divergence
// point and a consumer validates its position after a leader change (KIP-101, KIP-320). Followers (replicaId
// ≥ 0) and consumers are answered alike; only the leader answers, fenced by currentLeaderEpoch (v2+).

import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createOffsetForLeaderEpochResponse,
  createOffsetForLeaderEpochResponseEpochEndOffset,
  createOffsetForLeaderEpochResponseOffsetForLeaderTopicResult,
} from "../../protocol/messages/offset-for-leader-epoch.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { ledReplica } from "../leader-hints.ts";

type PartitionResponse = ApiMessages[23]["response"]["topics"][number]["partitions"][number];

function answerPartition(
  context: BrokerContext,
  topic: string,
  partition: { partition: number; currentLeaderEpoch: number; leaderEpoch: number },
): PartitionResponse {
  const response: PartitionResponse = {
    ...createOffsetForLeaderEpochResponseEpochEndOffset(),
    partition: partition.partition,
  };
  const replica = ledReplica(context, topic, partition.partition);
  if ("errorCode" in replica) return { ...response, errorCode: replica.errorCode };
  if (partition.currentLeaderEpoch >= 0 && partition.currentLeaderEpoch !== replica.leaderEpoch()) {
    const stale = partition.currentLeaderEpoch < replica.leaderEpoch();
    return { ...response, errorCode: stale ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch };
  }
  // An epoch the replica cannot place answers -1/-1 with no error, as Kafka does.
  const found = replica.endOffsetForEpoch(partition.leaderEpoch);
  return { ...response, leaderEpoch: found.epoch, endOffset: BigInt(found.endOffset) };
}

export function offsetForLeaderEpochHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.OffsetForLeaderEpoch,
    minVersion: 0,
    maxVersion: 4,
    handle(request) {
      return {
        ...createOffsetForLeaderEpochResponse(),
        topics: request.topics.map((topic) => ({
          ...createOffsetForLeaderEpochResponseOffsetForLeaderTopicResult(),
          topic: topic.topic,
          partitions: topic.partitions.map((partition) => answerPartition(context, topic.topic, partition)),
        })),
      };
    },
  });
}
