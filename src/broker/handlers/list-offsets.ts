// ListOffsets v0–9: the earliest (-2) and latest (-1) offsets, the offset with the largest timestamp (-3, v7+),
// the earliest local (-4, v8+) and latest tiered (-5, v9+) offsets of KIP-405/KIP-1005, and the first offset at
// or after a timestamp. v0 answers in the old "offsets" list. At isolation level 1 (read_committed, v2+) the
// latest offset is the last stable offset, as a read_committed consumer can read no further.

import type { PartitionReplica, TimestampedOffset } from "../../cluster/partition-replica.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createListOffsetsResponse,
  createListOffsetsResponseListOffsetsPartitionResponse,
  createListOffsetsResponseListOffsetsTopicResponse,
} from "../../protocol/messages/list-offsets.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { ledReplica } from "../leader-hints.ts";

type PartitionResponse = ApiMessages[2]["response"]["topics"][number]["partitions"][number];

/** ListOffsetsRequest's special timestamps. */
const latestTimestamp = -1n;
const earliestTimestamp = -2n;
const maxTimestamp = -3n;
const earliestLocalTimestamp = -4n;
const latestTieredTimestamp = -5n;

/** ListOffsets v1 is the first to answer one offset and its timestamp (v0: a list of offsets). */
const singleOffsetVersionMin = 1;

/** ListOffsetsRequest.isolationLevel: 1 is READ_COMMITTED. */
const readCommitted = 1;

function lookup(
  replica: PartitionReplica,
  timestamp: bigint,
  isolationLevel: number,
): TimestampedOffset | null {
  if (timestamp === latestTimestamp) {
    const end =
      isolationLevel === readCommitted ? replica.lastStableOffset() : replica.consumerHighWatermark();
    return { offset: end, timestampMs: -1 };
  }
  // Nothing is tiered to remote storage: the whole log is local, so its earliest local offset is its start.
  if (timestamp === earliestTimestamp || timestamp === earliestLocalTimestamp) {
    return { offset: replica.logStartOffset(), timestampMs: -1 };
  }
  if (timestamp === maxTimestamp) return replica.maxTimestamp();
  return replica.offsetForTimestamp(Number(timestamp));
}

function answerPartition(
  context: BrokerContext,
  topic: string,
  partition: { partitionIndex: number; timestamp: bigint; currentLeaderEpoch: number },
  request: { apiVersion: number; isolationLevel: number },
): PartitionResponse {
  const { apiVersion } = request;
  const response: PartitionResponse = {
    ...createListOffsetsResponseListOffsetsPartitionResponse(),
    partitionIndex: partition.partitionIndex,
  };
  const replica = ledReplica(context, topic, partition.partitionIndex);
  if ("errorCode" in replica) return { ...response, errorCode: replica.errorCode };
  if (partition.currentLeaderEpoch >= 0 && partition.currentLeaderEpoch !== replica.leaderEpoch()) {
    const stale = partition.currentLeaderEpoch < replica.leaderEpoch();
    return { ...response, errorCode: stale ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch };
  }
  if (partition.timestamp < latestTieredTimestamp)
    return { ...response, errorCode: ErrorCode.InvalidRequest };
  // With remote storage off Kafka's UnifiedLog answers offset -1, leader epoch -1: nothing was tiered.
  if (partition.timestamp === latestTieredTimestamp) return response;
  const found = lookup(replica, partition.timestamp, request.isolationLevel);
  if (apiVersion < singleOffsetVersionMin)
    return { ...response, oldStyleOffsets: found ? [BigInt(found.offset)] : [] };
  if (!found) return response;
  return {
    ...response,
    offset: BigInt(found.offset),
    timestamp: BigInt(found.timestampMs),
    leaderEpoch: replica.leaderEpoch(),
  };
}

export function listOffsetsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.ListOffsets,
    minVersion: 0,
    maxVersion: 9,
    handle(request, { apiVersion }) {
      return {
        ...createListOffsetsResponse(),
        topics: request.topics.map((topic) => ({
          ...createListOffsetsResponseListOffsetsTopicResponse(),
          name: topic.name,
          partitions: topic.partitions.map((partition) =>
            answerPartition(context, topic.name, partition, {
              apiVersion,
              isolationLevel: request.isolationLevel,
            }),
          ),
        })),
      };
    },
  });
}
