// LeaveGroup v0–5: one member (v0–2) or a batch of members (v3+, KIP-345) leave a classic group.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createLeaveGroupResponse,
  createLeaveGroupResponseMemberResponse,
} from "../../protocol/messages/leave-group.ts";
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
      if (result === "NOT_COORDINATOR")
        return { ...createLeaveGroupResponse(), errorCode: ErrorCode.NotCoordinator };
      const perMember = result.members.map((member) => ({
        ...createLeaveGroupResponseMemberResponse(),
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        errorCode: errorCodeByName(member.error),
      }));
      const groupErrorCode = errorCodeByName(result.error);
      if (apiVersion >= batchedMembersVersionMin) {
        return { ...createLeaveGroupResponse(), errorCode: groupErrorCode, members: perMember };
      }
      // v0–v2 answer their one member's error at the top level.
      return { ...createLeaveGroupResponse(), errorCode: perMember[0]?.errorCode || groupErrorCode };
    },
  });
}
