// JoinGroup v0–9: a member joins a classic group (or rejoins for a rebalance); the protocol logic lives in
// cluster/groups.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createJoinGroupResponse,
  createJoinGroupResponseMember,
} from "../../protocol/messages/join-group.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

/** JoinGroup v1 is the first with a rebalance timeout of its own. */
const rebalanceTimeoutVersionMin = 1;
/** JoinGroup v7 is the first whose protocol name may be null. */
const nullableProtocolNameVersionMin = 7;

/**
 * No protocol name as Kafka's JoinGroupResponse sends it: "" before v7, which cannot carry null (a null there
 * fails the encoder's assertion), and null from v7 on.
 */
function wireProtocolName(name: string | null, apiVersion: number): string | null {
  if (apiVersion < nullableProtocolNameVersionMin) return name ?? "";
  return name === "" ? null : name;
}

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
          ...createJoinGroupResponse(),
          errorCode: ErrorCode.NotCoordinator,
          protocolName: wireProtocolName(null, apiVersion),
          memberId: request.memberId,
        };
      }
      if (!("generationId" in answer)) throw new Error("JoinGroup answered with a SyncGroup response");
      return {
        ...createJoinGroupResponse(),
        errorCode: errorCodeByName(answer.error),
        generationId: answer.generationId,
        protocolType: answer.protocolType,
        protocolName: wireProtocolName(answer.protocolName, apiVersion),
        leader: answer.leader,
        skipAssignment: answer.skipAssignment,
        memberId: answer.memberId,
        members: answer.members.map((member) => ({ ...createJoinGroupResponseMember(), ...member })),
      };
    },
  });
}
