// FindCoordinator v0–6: the broker that coordinates a consumer group — the leader of the group's
// __consumer_offsets partition, wherever it is. v4+ looks up a batch of keys (KIP-699). Transactional ids are
// refused until transactions exist.

import type { GroupService } from "../../cluster/group-service.ts";
import { offsetsTopicName } from "../../cluster/internal-topics.ts";
import { brokerEndpoint } from "../../cluster/metadata/broker-endpoints.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createFindCoordinatorResponse,
  createFindCoordinatorResponseCoordinator,
} from "../../protocol/messages/find-coordinator.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

/** FindCoordinator key types: 0 a consumer group, 1 a transactional id. */
const groupKeyType = 0;

/** FindCoordinator v4 (KIP-699) is the first to look up a batch of keys. */
const batchedKeysVersionMin = 4;

export function findCoordinatorHandler(context: BrokerContext, groups: GroupService) {
  const state = context.metadata.state;
  const locate = (key: string, keyType: number) => {
    if (keyType !== groupKeyType) {
      return {
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: "transactions are not supported",
        nodeId: -1,
      };
    }
    // The coordinator is the leader of the group's __consumer_offsets partition, wherever it is.
    const partition = groups.partitionOf(key);
    const offsetsTopic = state.topicByName(offsetsTopicName);
    const leaderId =
      offsetsTopic === undefined
        ? -1
        : (context.partitions.leadership(offsetsTopic.topicId, partition)?.leaderId ?? -1);
    // Led here but not loaded yet (a new leader catching up): the client asks again shortly.
    const ready = leaderId !== context.nodeId || groups.lookup(key).ok;
    if (leaderId === -1 || !ready || state.broker(leaderId) === undefined) {
      return { errorCode: ErrorCode.CoordinatorNotAvailable, errorMessage: null, nodeId: -1 };
    }
    return { errorCode: 0, errorMessage: null, nodeId: leaderId };
  };
  return defineHandler({
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    handle(request, { apiVersion, connection }) {
      const address = (nodeId: number) => {
        const broker = nodeId === -1 ? undefined : state.broker(nodeId);
        const endpoint = broker && brokerEndpoint(broker, connection.listenerName);
        return endpoint ?? { host: "", port: -1 };
      };
      if (apiVersion < batchedKeysVersionMin) {
        const found = locate(request.key, request.keyType);
        return { ...createFindCoordinatorResponse(), ...found, ...address(found.nodeId) };
      }
      const coordinators = request.coordinatorKeys.map((key) => {
        const found = locate(key, request.keyType);
        return { ...createFindCoordinatorResponseCoordinator(), key, ...found, ...address(found.nodeId) };
      });
      return { ...createFindCoordinatorResponse(), coordinators };
    },
  });
}
