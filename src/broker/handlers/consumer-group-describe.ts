// ConsumerGroupDescribe v0 (KIP-848): a consumer group's epochs, assignor and members with their current and
// target assignments, with the operations allowed when asked.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { allGroupOperations, authorizedOperations } from "../authorized-operations.ts";
import { authorizedOperationsNotRequested } from "../broker-context.ts";

export function consumerGroupDescribeHandler(groups: GroupService) {
  const describedTopics = (
    list: readonly { topicId: string; topicName: string; partitions: number[] }[],
  ) => ({
    topicPartitions: list.map((entry) => ({
      ...entry,
      partitions: [...entry.partitions],
      unknownTaggedFields: [],
    })),
    unknownTaggedFields: [],
  });
  return defineHandler({
    apiKey: ApiKey.ConsumerGroupDescribe,
    minVersion: 0,
    maxVersion: 0,
    handle(request) {
      const described = request.groupIds.map((groupId) => {
        const found = groups.lookup(groupId);
        if (!found.ok) {
          return {
            errorCode: ErrorCode.NotCoordinator,
            errorMessage: null,
            groupId,
            groupState: "",
            groupEpoch: 0,
            assignmentEpoch: 0,
            assignorName: "",
            members: [],
            authorizedOperations: authorizedOperationsNotRequested,
            unknownTaggedFields: [],
          };
        }
        const group = found.coordinator.consumerGroupDescribe([groupId])[0]!;
        const errorCode = errorCodeByName(group.error);
        return {
          errorCode,
          errorMessage: group.errorMessage,
          groupId,
          groupState: group.state,
          groupEpoch: group.groupEpoch,
          assignmentEpoch: group.assignmentEpoch,
          assignorName: group.assignorName,
          members: group.members.map((member) => ({
            memberId: member.memberId,
            instanceId: member.instanceId,
            rackId: member.rackId,
            memberEpoch: member.memberEpoch,
            clientId: member.clientId,
            clientHost: member.clientHost,
            subscribedTopicNames: member.subscribedTopicNames,
            subscribedTopicRegex: null,
            assignment: describedTopics(member.assignment),
            targetAssignment: describedTopics(member.targetAssignment),
            unknownTaggedFields: [],
          })),
          authorizedOperations: authorizedOperations(
            request.includeAuthorizedOperations && errorCode === 0,
            allGroupOperations,
          ),
          unknownTaggedFields: [],
        };
      });
      return { throttleTimeMs: 0, groups: described, unknownTaggedFields: [] };
    },
  });
}
