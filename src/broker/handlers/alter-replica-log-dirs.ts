// AlterReplicaLogDirs v0–2: moves replicas between this broker's log directories. Chronik has one directory (the
// one DescribeLogDirs reports), so every hosted replica is already where any valid request asks it to be; the
// answers are Kafka's ReplicaManager.alterReplicaLogDirs ones: another path is LOG_DIR_NOT_FOUND, a partition
// the metadata does not know UNKNOWN_TOPIC_OR_PARTITION, one not hosted here REPLICA_NOT_AVAILABLE.

import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createAlterReplicaLogDirsResponse,
  createAlterReplicaLogDirsResponseAlterReplicaLogDirPartitionResult,
  createAlterReplicaLogDirsResponseAlterReplicaLogDirTopicResult,
} from "../../protocol/messages/alter-replica-log-dirs.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { LogDirUsage } from "./describe-log-dirs.ts";

type TopicResult = ApiMessages[34]["response"]["results"][number];

function partitionError(
  context: BrokerContext,
  logDir: string,
  path: string,
  topic: string,
  partition: number,
): number {
  // Kafka compares the absolute path given with each configured directory's, as strings.
  if (path !== logDir) return ErrorCode.LogDirNotFound;
  const known = context.metadata.state.topicByName(topic);
  if (known === undefined || partition < 0 || partition >= known.partitions.length)
    return ErrorCode.UnknownTopicOrPartition;
  return context.replicas.byName(topic, partition) ? 0 : ErrorCode.ReplicaNotAvailable;
}

export function alterReplicaLogDirsHandler(context: BrokerContext, usage: Pick<LogDirUsage, "logDir">) {
  return defineHandler({
    apiKey: ApiKey.AlterReplicaLogDirs,
    minVersion: 0,
    maxVersion: 2,
    handle(request) {
      // A partition named under two paths takes the last (Kafka builds a map from partition to path).
      const errors = new Map<string, Map<number, number>>();
      for (const dir of request.dirs) {
        for (const topic of dir.topics) {
          const byPartition = errors.get(topic.name) ?? new Map<number, number>();
          errors.set(topic.name, byPartition);
          for (const partition of topic.partitions)
            byPartition.set(
              partition,
              partitionError(context, usage.logDir, dir.path, topic.name, partition),
            );
        }
      }
      const results: TopicResult[] = [...errors].map(([topicName, byPartition]) => ({
        ...createAlterReplicaLogDirsResponseAlterReplicaLogDirTopicResult(),
        topicName,
        partitions: [...byPartition].map(([partitionIndex, errorCode]) => ({
          ...createAlterReplicaLogDirsResponseAlterReplicaLogDirPartitionResult(),
          partitionIndex,
          errorCode,
        })),
      }));
      return { ...createAlterReplicaLogDirsResponse(), results };
    },
  });
}
