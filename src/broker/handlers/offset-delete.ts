// OffsetDelete v0: removes a group's committed offsets for partitions it no longer consumes.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createOffsetDeleteResponse,
  createOffsetDeleteResponsePartition,
  createOffsetDeleteResponseTopic,
} from "../../protocol/messages/offset-delete.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

export function offsetDeleteHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(request) {
      const topics = request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => partition.partitionIndex),
      }));
      const result = await groups.step(request.groupId, (coordinator, nowMs) =>
        coordinator.deleteOffsets({ groupId: request.groupId, topics }, nowMs),
      );
      if (result === "NOT_COORDINATOR")
        return { ...createOffsetDeleteResponse(), errorCode: ErrorCode.NotCoordinator };
      return {
        ...createOffsetDeleteResponse(),
        errorCode: errorCodeByName(result.error),
        topics: result.topics.map((topic) => ({
          ...createOffsetDeleteResponseTopic(),
          name: topic.name,
          partitions: topic.partitions.map((partition) => ({
            ...createOffsetDeleteResponsePartition(),
            partitionIndex: partition.partition,
            errorCode: errorCodeByName(partition.error),
          })),
        })),
      };
    },
  });
}
