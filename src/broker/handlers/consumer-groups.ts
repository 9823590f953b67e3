// The consumer (KIP-848) group APIs: ConsumerGroupHeartbeat and ConsumerGroupDescribe. They translate between
// the wire and the GroupService, routed to the coordinator of the group's __consumer_offsets partition; the
// protocol logic lives in cluster/consumer-groups and cluster/partition-groups.ts.

import type { TopicPartitions } from "../../cluster/consumer-groups/index.ts";
import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { type AnyApiHandler, defineHandler } from "../api-handler.ts";
import { allGroupOperations, authorizedOperations } from "../authorized-operations.ts";
import { authorizedOperationsNotRequested } from "../broker-context.ts";

export interface ConsumerGroupHandlerDeps {
  groups: GroupService;
}

const wireTopicPartitions = (list: readonly TopicPartitions[]) =>
  list.map((entry) => ({
    topicId: entry.topicId,
    partitions: [...entry.partitions],
    unknownTaggedFields: [],
  }));

/** ConsumerGroupHeartbeat v1 is the first where the member must generate its id. */
const memberIdRequiredVersionMin = 1;

/** A heartbeat refused before any coordinator looked at it. */
function refusal(errorCode: number, errorMessage: string | null) {
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    assignment: null,
    unknownTaggedFields: [],
  };
}

function consumerGroupHeartbeatHandler({ groups }: ConsumerGroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, { apiVersion, clientId, connection }) {
      // KIP-1082: from v1 a member names itself with its own UUID, even when it joins.
      if (apiVersion >= memberIdRequiredVersionMin && request.memberId === "")
        return refusal(ErrorCode.InvalidRequest, "MemberId can't be empty.");
      const input = {
        groupId: request.groupId,
        memberId: request.memberId,
        memberEpoch: request.memberEpoch,
        instanceId: request.instanceId,
        rackId: request.rackId,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        subscribedTopicNames: request.subscribedTopicNames,
        subscribedTopicRegex: request.subscribedTopicRegex,
        serverAssignor: request.serverAssignor,
        topicPartitions:
          request.topicPartitions?.map((entry) => ({
            topicId: entry.topicId,
            partitions: entry.partitions,
          })) ?? null,
        clientId: clientId ?? "",
        clientHost: `/${connection.remoteAddress}`,
      };
      const result = await groups.step(request.groupId, (coordinator, nowMs) =>
        coordinator.consumerGroupHeartbeat(input, nowMs),
      );
      if (result === "NOT_COORDINATOR") return refusal(ErrorCode.NotCoordinator, null);
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeByName(result.error),
        errorMessage: result.errorMessage,
        memberId: result.memberId,
        memberEpoch: result.memberEpoch,
        heartbeatIntervalMs: result.heartbeatIntervalMs,
        assignment:
          result.assignment === null
            ? null
            : { topicPartitions: wireTopicPartitions(result.assignment), unknownTaggedFields: [] },
        unknownTaggedFields: [],
      };
    },
  });
}

function consumerGroupDescribeHandler({ groups }: ConsumerGroupHandlerDeps) {
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

export function consumerGroupHandlers(deps: ConsumerGroupHandlerDeps): AnyApiHandler[] {
  return [consumerGroupHeartbeatHandler(deps), consumerGroupDescribeHandler(deps)];
}
