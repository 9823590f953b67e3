// SyncGroup v0–5: the leader hands out the assignment and every member of the generation receives its own;
// the protocol logic lives in cluster/groups.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { createSyncGroupResponse } from "../../protocol/messages/sync-group.ts";
import { defineHandler } from "../api-handler.ts";

export function syncGroupHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(request) {
      const answer = await groups.syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        protocolType: request.protocolType,
        protocolName: request.protocolName,
        assignments: request.assignments.map((entry) => ({
          memberId: entry.memberId,
          assignment: entry.assignment,
        })),
      });
      if (answer === "NOT_COORDINATOR" || "generationId" in answer) {
        const errorCode =
          answer === "NOT_COORDINATOR" ? ErrorCode.NotCoordinator : ErrorCode.UnknownServerError;
        return { ...createSyncGroupResponse(), errorCode };
      }
      return {
        ...createSyncGroupResponse(),
        errorCode: errorCodeByName(answer.error),
        protocolType: answer.protocolType,
        protocolName: answer.protocolName,
        assignment: answer.assignment,
      };
    },
  });
}
