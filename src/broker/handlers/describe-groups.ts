// DescribeGroups v0–5: a classic group's state, protocol and members, with the operations allowed when asked.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createDescribeGroupsResponse,
  createDescribeGroupsResponseDescribedGroup,
  createDescribeGroupsResponseDescribedGroupMember,
} from "../../protocol/messages/describe-groups.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { allGroupOperations, authorizedOperations } from "../authorized-operations.ts";

/**
 * DescribeGroups v6, newer than the specs the codec is generated from, answers a missing group GROUP_ID_NOT_FOUND;
 * every version served here describes it as Dead.
 */
const groupIdNotFoundVersionMin = 6;

export function describeGroupsHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(request, { apiVersion }) {
      const described = request.groups.map((groupId) => {
        const found = groups.lookup(groupId);
        if (!found.ok) {
          return {
            ...createDescribeGroupsResponseDescribedGroup(),
            errorCode: ErrorCode.NotCoordinator,
            groupId,
          };
        }
        const group = found.coordinator.describeGroups([groupId])[0]!;
        // Before v6 a missing group is described as Dead with no error.
        const missing = group.error === "GROUP_ID_NOT_FOUND" && apiVersion < groupIdNotFoundVersionMin;
        const errorCode = missing ? 0 : errorCodeByName(group.error);
        return {
          ...createDescribeGroupsResponseDescribedGroup(),
          errorCode,
          groupId,
          groupState: group.state,
          protocolType: group.protocolType,
          protocolData: group.protocolName,
          members: group.members.map((member) => ({
            ...createDescribeGroupsResponseDescribedGroupMember(),
            memberId: member.memberId,
            groupInstanceId: member.groupInstanceId,
            clientId: member.clientId,
            clientHost: member.clientHost,
            memberMetadata: member.metadata,
            memberAssignment: member.assignment,
          })),
          // As Kafka: answered for the groups described without an error.
          authorizedOperations: authorizedOperations(
            request.includeAuthorizedOperations && errorCode === 0,
            allGroupOperations,
          ),
        };
      });
      return { ...createDescribeGroupsResponse(), groups: described };
    },
  });
}
