// OffsetCommit v0–9: a group's committed offsets, stored through the coordinator of its __consumer_offsets
// partition. Partitions the metadata does not have are refused before the coordinator sees them.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createOffsetCommitResponse,
  createOffsetCommitResponsePartition,
  createOffsetCommitResponseTopic,
} from "../../protocol/messages/offset-commit.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

type CommitTopic = {
  name: string;
  partitions: { partition: number; offset: number; leaderEpoch: number; metadata: string | null }[];
};

/**
 * The partitions of `topics` the metadata has, as Kafka's KafkaApis.handleOffsetCommitRequest keeps them: a
 * topic it does not know, or a partition past the topic's count, is answered UNKNOWN_TOPIC_OR_PARTITION and
 * never reaches the coordinator (an offset for it would be applied to a topic created later under that name).
 */
function existingPartitions(context: BrokerContext, topics: readonly CommitTopic[]): CommitTopic[] {
  const existing: CommitTopic[] = [];
  for (const topic of topics) {
    const partitionCount = context.metadata.state.topicByName(topic.name)?.partitions.length ?? 0;
    const partitions = topic.partitions.filter(
      (partition) => partition.partition >= 0 && partition.partition < partitionCount,
    );
    if (partitions.length > 0) existing.push({ name: topic.name, partitions });
  }
  return existing;
}

export function offsetCommitHandler(context: BrokerContext, groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.OffsetCommit,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, { apiVersion }) {
      const topics = request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({
          partition: partition.partitionIndex,
          offset: Number(partition.committedOffset),
          leaderEpoch: partition.committedLeaderEpoch,
          metadata: partition.committedMetadata,
        })),
      }));
      // Checked in the same turn as the commit below: GroupService.onPartitionsDeleted relies on it.
      const existing = existingPartitions(context, topics);
      const result =
        existing.length === 0
          ? { topics: [] }
          : await groups.step(request.groupId, (coordinator, nowMs) =>
              coordinator.commitOffsets(
                {
                  apiVersion,
                  groupId: request.groupId,
                  generationId: request.generationIdOrMemberEpoch,
                  memberId: request.memberId,
                  groupInstanceId: request.groupInstanceId,
                  retentionTimeMs: Number(request.retentionTimeMs),
                  topics: existing,
                },
                nowMs,
              ),
            );
      const errors = new Map<string, number>();
      if (result !== "NOT_COORDINATOR") {
        for (const topic of result.topics) {
          for (const partition of topic.partitions)
            errors.set(`${topic.name}/${partition.partition}`, errorCodeByName(partition.error));
        }
      }
      const errorOf = (name: string, partition: number) =>
        result === "NOT_COORDINATOR"
          ? ErrorCode.NotCoordinator
          : (errors.get(`${name}/${partition}`) ?? ErrorCode.UnknownTopicOrPartition);
      return {
        ...createOffsetCommitResponse(),
        topics: topics.map((topic) => ({
          ...createOffsetCommitResponseTopic(),
          name: topic.name,
          partitions: topic.partitions.map((partition) => ({
            ...createOffsetCommitResponsePartition(),
            partitionIndex: partition.partition,
            errorCode: errorOf(topic.name, partition.partition),
          })),
        })),
      };
    },
  });
}
