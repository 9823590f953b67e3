// LeaveGroup v0–5: one member (v0–2) or a batch of members (v3+, KIP-345) leave a classic group.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

/** LeaveGroup v3 (KIP-345) is the first to name a batch of members, each answered on its own. */
const batchedMembersVersionMin = 3;

export function leaveGroupHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, { apiVersion }) {
      // v0–v2 name one member at the top level; v3+ a batch.
      const members =
        apiVersion < batchedMembersVersionMin
          ? [{ memberId: request.memberId, groupInstanceId: null }]
          : request.members.map((member) => ({
              memberId: member.memberId,
              groupInstanceId: member.groupInstanceId,
            }));
      const result = await groups.step(request.groupId, (coordinator, nowMs) =>
        coordinator.leaveGroup({ groupId: request.groupId, members }, nowMs),
      );
      if (result === "NOT_COORDINATOR") {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NotCoordinator,
          members: [],
          unknownTaggedFields: [],
        };
      }
      const perMember = result.members.map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        errorCode: errorCodeByName(member.error),
        unknownTaggedFields: [],
      }));
      const errorCode =
        apiVersion < batchedMembersVersionMin && perMember[0]
          ? perMember[0].errorCode || errorCodeByName(result.error)
          : errorCodeByName(result.error);
      return {
        throttleTimeMs: 0,
        errorCode,
        members: apiVersion < batchedMembersVersionMin ? [] : perMember,
        unknownTaggedFields: [],
      };
    },
  });
}
