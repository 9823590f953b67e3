// DescribeTopicPartitions v0 (KIP-966): topics and their partitions, as Metadata describes them, a page at a time.
// Topics go in name order; a page holds at most min(responsePartitionLimit, max.request.partition.size.limit)
// partitions and ends with a cursor at the first partition left out, as Kafka's KRaftMetadataCache pages them.

import { internalTopicNames } from "../../cluster/internal-topics.ts";
import { checkTopicName } from "../../cluster/metadata/metadata-commands.ts";
import type { TopicMetadata } from "../../cluster/metadata/metadata-state.ts";
import { zeroUuid } from "../../protocol/codec-runtime.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createDescribeTopicPartitionsResponse,
  createDescribeTopicPartitionsResponseCursor,
  createDescribeTopicPartitionsResponsePartition,
  createDescribeTopicPartitionsResponseTopic,
} from "../../protocol/messages/describe-topic-partitions.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { allTopicOperations, authorizedOperations } from "../authorized-operations.ts";
import type { BrokerContext } from "../broker-context.ts";

type Request = ApiMessages[75]["request"];
type Response = ApiMessages[75]["response"];
type TopicResult = Response["topics"][number];
type PartitionResult = TopicResult["partitions"][number];

/** Kafka's max.request.partition.size.limit default: the most partitions one response describes. */
export const responsePartitionsMax = 2000;

function partitionResults(
  context: BrokerContext,
  topic: TopicMetadata,
  firstIndex: number,
  countMax: number,
): { partitions: PartitionResult[]; nextIndex: number } {
  const state = context.metadata.state;
  const isOffline = (nodeId: number) => state.broker(nodeId)?.fenced !== false;
  const endIndex = Math.min(topic.partitions.length, firstIndex + countMax);
  const partitions: PartitionResult[] = [];
  for (let partitionIndex = Math.max(0, firstIndex); partitionIndex < endIndex; partitionIndex++) {
    const replicas = topic.partitions[partitionIndex]!.replicas;
    const leadership = context.partitions.leadership(topic.topicId, partitionIndex);
    partitions.push({
      ...createDescribeTopicPartitionsResponsePartition(),
      partitionIndex,
      leaderId: leadership?.leaderId ?? -1,
      leaderEpoch: leadership?.leaderEpoch ?? -1,
      replicaNodes: [...replicas],
      isrNodes: [...(leadership?.isr ?? [])],
      // Chronik keeps no eligible leader replicas (KIP-966's ELR): Raft elects from the whole voter set.
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      offlineReplicas: replicas.filter(isOffline),
    });
  }
  return { partitions, nextIndex: firstIndex + countMax < topic.partitions.length ? endIndex : -1 };
}

function missingTopic(name: string): TopicResult {
  return {
    ...createDescribeTopicPartitionsResponseTopic(),
    errorCode:
      checkTopicName(name) === null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException,
    name,
    topicId: zeroUuid,
    isInternal: internalTopicNames.has(name),
  };
}

/** The names to describe, in order: every topic, or the ones asked for, from the cursor's topic on. */
function namesFrom(context: BrokerContext, request: Request): string[] | null {
  const cursorTopic = request.cursor?.topicName ?? "";
  const all = request.topics.length === 0;
  const names = all
    ? [...context.metadata.state.topics()].map((topic) => topic.name)
    : request.topics.map((t) => t.name);
  const selected = [...new Set(names)].filter((name) => name >= cursorTopic).sort();
  // Kafka: "The topic in cursor must be included in the topic list if provided."
  if (!all && request.cursor !== null && !selected.includes(request.cursor.topicName)) return null;
  return selected;
}

function describePage(context: BrokerContext, request: Request, names: readonly string[]): Response {
  const response: Response = { ...createDescribeTopicPartitionsResponse(), topics: [], nextCursor: null };
  const fetchAll = request.topics.length === 0;
  let remaining = Math.min(responsePartitionsMax, request.responsePartitionLimit);
  for (const name of names) {
    if (remaining === 0) {
      // The page is full at a topic boundary: the next one starts at this topic's first partition.
      response.nextCursor = {
        ...createDescribeTopicPartitionsResponseCursor(),
        topicName: name,
        partitionIndex: 0,
      };
      break;
    }
    if (remaining < 0) break;
    const topic = context.metadata.state.topicByName(name);
    if (topic === undefined) {
      if (!fetchAll) response.topics.push(missingTopic(name));
      continue;
    }
    const firstIndex = name === request.cursor?.topicName ? request.cursor.partitionIndex : 0;
    const { partitions, nextIndex } = partitionResults(context, topic, firstIndex, remaining);
    response.topics.push({
      ...createDescribeTopicPartitionsResponseTopic(),
      name,
      topicId: topic.topicId,
      isInternal: internalTopicNames.has(name),
      partitions,
      topicAuthorizedOperations: authorizedOperations(true, allTopicOperations),
    });
    if (nextIndex !== -1) {
      response.nextCursor = {
        ...createDescribeTopicPartitionsResponseCursor(),
        topicName: name,
        partitionIndex: nextIndex,
      };
      break;
    }
    remaining -= partitions.length;
  }
  return response;
}

export function describeTopicPartitionsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeTopicPartitions,
    minVersion: 0,
    maxVersion: 0,
    handle(request) {
      const names = namesFrom(context, request);
      if (names !== null) return describePage(context, request, names);
      // Kafka answers the InvalidRequestException its handler throws with every requested topic in error.
      return {
        ...createDescribeTopicPartitionsResponse(),
        topics: request.topics.map((topic) => ({
          ...createDescribeTopicPartitionsResponseTopic(),
          errorCode: ErrorCode.InvalidRequest,
          name: topic.name,
          topicId: zeroUuid,
        })),
        nextCursor: null,
      };
    },
  });
}
