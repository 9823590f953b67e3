// DeleteGroups v0–2: removes empty groups and their committed offsets.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createDeleteGroupsResponse,
  createDeleteGroupsResponseDeletableGroupResult,
} from "../../protocol/messages/delete-groups.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

export function deleteGroupsHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      const results = [];
      for (const groupId of request.groupsNames) {
        const result = await groups.step(groupId, (coordinator, nowMs) =>
          coordinator.deleteGroups([groupId], nowMs),
        );
        const errorCode =
          result === "NOT_COORDINATOR" ? ErrorCode.NotCoordinator : errorCodeByName(result[0]!.error);
        results.push({ ...createDeleteGroupsResponseDeletableGroupResult(), groupId, errorCode });
      }
      return { ...createDeleteGroupsResponse(), results };
    },
  });
}
