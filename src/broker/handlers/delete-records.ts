// DeleteRecords v0–2: moves each partition's log start offset up (AdminClient.deleteRecords, kafka-delete-
// records.sh). Offset -1 means the high watermark; one above it is OFFSET_OUT_OF_RANGE. The answer's
// lowWatermark is the new log start offset; consumers below it then get OFFSET_OUT_OF_RANGE and reset.
// Internal topics are refused, as Kafka's ReplicaManager refuses them: cutting __consumer_offsets would drop
// every group's committed offsets below the cut.

import { internalTopicNames } from "../../cluster/internal-topics.ts";
import type { PartitionReplica, ReplicaError } from "../../cluster/partition-replica.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createDeleteRecordsResponse,
  createDeleteRecordsResponseDeleteRecordsPartitionResult,
  createDeleteRecordsResponseDeleteRecordsTopicResult,
} from "../../protocol/messages/delete-records.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { ledReplica, unknownPartition } from "../leader-hints.ts";

type PartitionResponse = ApiMessages[21]["response"]["topics"][number]["partitions"][number];

/** DeleteRecordsRequest.HIGH_WATERMARK: delete everything committed. */
const highWatermarkOffset = -1n;

async function deleteBefore(
  topicName: string,
  replica: PartitionReplica | ReplicaError,
  requested: bigint,
): Promise<{ errorCode: number; lowWatermark: bigint }> {
  if (replica === unknownPartition)
    return { errorCode: ErrorCode.UnknownTopicOrPartition, lowWatermark: -1n };
  if (internalTopicNames.has(topicName)) {
    return { errorCode: ErrorCode.InvalidTopicException, lowWatermark: -1n };
  }
  if ("errorCode" in replica) return { errorCode: replica.errorCode, lowWatermark: -1n };
  if (requested < highWatermarkOffset || requested > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { errorCode: ErrorCode.OffsetOutOfRange, lowWatermark: -1n };
  }
  const offset = requested === highWatermarkOffset ? replica.highWatermark.value : Number(requested);
  const outcome = await replica.deleteRecordsBefore(offset);
  if (typeof outcome !== "number") return { errorCode: outcome.errorCode, lowWatermark: -1n };
  return { errorCode: 0, lowWatermark: BigInt(outcome) };
}

export function deleteRecordsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      const topics = await Promise.all(
        request.topics.map(async (topic) => ({
          ...createDeleteRecordsResponseDeleteRecordsTopicResult(),
          name: topic.name,
          partitions: await Promise.all(
            topic.partitions.map(
              async (partition): Promise<PartitionResponse> => ({
                ...createDeleteRecordsResponseDeleteRecordsPartitionResult(),
                partitionIndex: partition.partitionIndex,
                ...(await deleteBefore(
                  topic.name,
                  ledReplica(context, topic.name, partition.partitionIndex),
                  partition.offset,
                )),
              }),
            ),
          ),
        })),
      );
      return { ...createDeleteRecordsResponse(), topics };
    },
  });
}
