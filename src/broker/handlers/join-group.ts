// JoinGroup v0–9: a member joins a classic group (or rejoins for a rebalance); the protocol logic lives in
// cluster/groups.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

/** JoinGroup v1 is the first with a rebalance timeout of its own. */
const rebalanceTimeoutVersionMin = 1;
/** JoinGroup v7 is the first whose protocol name may be null. */
const nullableProtocolNameVersionMin = 7;

export function joinGroupHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, { apiVersion, clientId, connection }) {
      const answer = await groups.joinGroup({
        apiVersion,
        groupId: request.groupId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        clientId: clientId ?? "",
        clientHost: `/${connection.remoteAddress}`,
        sessionTimeoutMs: request.sessionTimeoutMs,
        // Before v1 there is no rebalance timeout: Kafka uses the session timeout.
        rebalanceTimeoutMs:
          apiVersion < rebalanceTimeoutVersionMin ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols.map((protocol) => ({
          name: protocol.name,
          metadata: protocol.metadata,
        })),
      });
      if (answer === "NOT_COORDINATOR") {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NotCoordinator,
          generationId: -1,
          protocolType: null,
          protocolName: null,
          leader: "",
          skipAssignment: false,
          memberId: request.memberId,
          members: [],
          unknownTaggedFields: [],
        };
      }
      if (!("generationId" in answer)) throw new Error("JoinGroup answered with a SyncGroup response");
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeByName(answer.error),
        generationId: answer.generationId,
        protocolType: answer.protocolType,
        // Before v7 the protocol name cannot be null.
        protocolName:
          apiVersion < nullableProtocolNameVersionMin ? (answer.protocolName ?? "") : answer.protocolName,
        leader: answer.leader,
        skipAssignment: answer.skipAssignment,
        memberId: answer.memberId,
        members: answer.members.map((member) => ({ ...member, unknownTaggedFields: [] })),
        unknownTaggedFields: [],
      };
    },
  });
}
