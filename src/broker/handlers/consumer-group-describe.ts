// ConsumerGroupDescribe v0 (KIP-848): a consumer group's epochs, assignor and members with their current and
// target assignments, with the operations allowed when asked.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createConsumerGroupDescribeResponse,
  createConsumerGroupDescribeResponseAssignment,
  createConsumerGroupDescribeResponseDescribedGroup,
  createConsumerGroupDescribeResponseMember,
  createConsumerGroupDescribeResponseTopicPartitions,
} from "../../protocol/messages/consumer-group-describe.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { allGroupOperations, authorizedOperations } from "../authorized-operations.ts";

export function consumerGroupDescribeHandler(groups: GroupService) {
  const describedTopics = (
    list: readonly { topicId: string; topicName: string; partitions: number[] }[],
  ) => ({
    ...createConsumerGroupDescribeResponseAssignment(),
    topicPartitions: list.map((entry) => ({
      ...createConsumerGroupDescribeResponseTopicPartitions(),
      ...entry,
      partitions: [...entry.partitions],
    })),
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
            ...createConsumerGroupDescribeResponseDescribedGroup(),
            errorCode: ErrorCode.NotCoordinator,
            groupId,
          };
        }
        const group = found.coordinator.consumerGroupDescribe([groupId])[0]!;
        const errorCode = errorCodeByName(group.error);
        return {
          ...createConsumerGroupDescribeResponseDescribedGroup(),
          errorCode,
          errorMessage: group.errorMessage,
          groupId,
          groupState: group.state,
          groupEpoch: group.groupEpoch,
          assignmentEpoch: group.assignmentEpoch,
          assignorName: group.assignorName,
          members: group.members.map((member) => ({
            ...createConsumerGroupDescribeResponseMember(),
            memberId: member.memberId,
            instanceId: member.instanceId,
            rackId: member.rackId,
            memberEpoch: member.memberEpoch,
            clientId: member.clientId,
            clientHost: member.clientHost,
            subscribedTopicNames: member.subscribedTopicNames,
            assignment: describedTopics(member.assignment),
            targetAssignment: describedTopics(member.targetAssignment),
          })),
          authorizedOperations: authorizedOperations(
            request.includeAuthorizedOperations && errorCode === 0,
            allGroupOperations,
          ),
        };
      });
      return { ...createConsumerGroupDescribeResponse(), groups: described };
    },
  });
}
