// DescribeLogDirs v0–4: the node's one log directory, each hosted partition's size in it, and (v4) the
// file system's total and usable bytes. Chronik never moves a replica between directories, so offsetLag is
// always 0 and there are no "future" replicas.

import type { ReplicaDirectory } from "../../cluster/partition-replica.ts";
import {
  createDescribeLogDirsResponse,
  createDescribeLogDirsResponseDescribeLogDirsPartition,
  createDescribeLogDirsResponseDescribeLogDirsResult,
  createDescribeLogDirsResponseDescribeLogDirsTopic,
} from "../../protocol/messages/describe-log-dirs.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

type DescribeLogDirsRequest = ApiMessages[35]["request"];
type TopicResult = ApiMessages[35]["response"]["results"][number]["topics"][number];

/** The data directory and its file system's space, read when asked (app/ supplies them from statfs). */
export interface LogDirUsage {
  /** The directory's path, as the operator configured it. */
  logDir: string;
  totalBytes(): number;
  usableBytes(): number;
}

/** The requested partitions by topic; null means every hosted partition. */
function requestedPartitions(
  context: BrokerContext,
  request: DescribeLogDirsRequest,
): Array<{ topic: string; partitions: readonly number[] }> {
  if (request.topics !== null) return request.topics;
  return [...context.metadata.state.topics()].map((topic) => ({
    topic: topic.name,
    partitions: topic.partitions.map((_, index) => index),
  }));
}

function describeTopic(
  replicas: ReplicaDirectory,
  topic: string,
  partitions: readonly number[],
): TopicResult {
  const hosted = [...new Set(partitions)].flatMap((partition) => {
    const replica = replicas.byName(topic, partition);
    if (!replica) return [];
    return [
      {
        ...createDescribeLogDirsResponseDescribeLogDirsPartition(),
        partitionIndex: partition,
        partitionSize: BigInt(replica.sizeBytes()),
      },
    ];
  });
  return { ...createDescribeLogDirsResponseDescribeLogDirsTopic(), name: topic, partitions: hosted };
}

export function describeLogDirsHandler(context: BrokerContext, usage: LogDirUsage) {
  return defineHandler({
    apiKey: ApiKey.DescribeLogDirs,
    minVersion: 0,
    maxVersion: 4,
    handle(request) {
      // Topics with nothing hosted here are left out (Kafka lists only logs present in the directory).
      const topics = requestedPartitions(context, request)
        .map(({ topic, partitions }) => describeTopic(context.replicas, topic, partitions))
        .filter((topic) => topic.partitions.length > 0);
      return {
        ...createDescribeLogDirsResponse(),
        results: [
          {
            ...createDescribeLogDirsResponseDescribeLogDirsResult(),
            logDir: usage.logDir,
            topics,
            totalBytes: BigInt(usage.totalBytes()),
            usableBytes: BigInt(usage.usableBytes()),
          },
        ],
      };
    },
  });
}
