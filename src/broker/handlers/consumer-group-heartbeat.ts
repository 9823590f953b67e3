// ConsumerGroupHeartbeat v0–1 (KIP-848): a member of a consumer group joins, heartbeats, leaves and receives its
// assignment, routed to the coordinator of the group's __consumer_offsets partition; the protocol logic lives
// in cluster/consumer-groups.

import type { TopicPartitions } from "../../cluster/consumer-groups/index.ts";
import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createConsumerGroupHeartbeatResponse,
  createConsumerGroupHeartbeatResponseAssignment,
  createConsumerGroupHeartbeatResponseTopicPartitions,
} from "../../protocol/messages/consumer-group-heartbeat.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

const wireTopicPartitions = (list: readonly TopicPartitions[]) =>
  list.map((entry) => ({
    ...createConsumerGroupHeartbeatResponseTopicPartitions(),
    topicId: entry.topicId,
    partitions: [...entry.partitions],
  }));

/** ConsumerGroupHeartbeat v1 is the first where the member must generate its id. */
const memberIdRequiredVersionMin = 1;

/** A heartbeat refused before any coordinator looked at it. */
function refusal(errorCode: number, errorMessage: string | null) {
  return { ...createConsumerGroupHeartbeatResponse(), errorCode, errorMessage };
}

export function consumerGroupHeartbeatHandler(groups: GroupService) {
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
        ...createConsumerGroupHeartbeatResponse(),
        errorCode: errorCodeByName(result.error),
        errorMessage: result.errorMessage,
        memberId: result.memberId,
        memberEpoch: result.memberEpoch,
        heartbeatIntervalMs: result.heartbeatIntervalMs,
        assignment:
          result.assignment === null
            ? null
            : {
                ...createConsumerGroupHeartbeatResponseAssignment(),
                topicPartitions: wireTopicPartitions(result.assignment),
              },
      };
    },
  });
}
