// FindCoordinator v0–6: the broker that coordinates a consumer group — the leader of the group's
// __consumer_offsets partition, wherever it is — or a transactional id (key type 1): the leader of its
// __transaction_state partition, which is created on the first such look-up, as Kafka creates it. v4+ looks up a
// batch of keys (KIP-699).

import type { GroupService } from "../../cluster/group-service.ts";
import { offsetsTopicName, transactionStateTopicName } from "../../cluster/internal-topics.ts";
import { brokerEndpoint } from "../../cluster/metadata/broker-endpoints.ts";
import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
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
const transactionKeyType = 1;

/** FindCoordinator v4 (KIP-699) is the first to look up a batch of keys. */
const batchedKeysVersionMin = 4;

export function findCoordinatorHandler(
  context: BrokerContext,
  groups: GroupService,
  transactions: TransactionService | null = null,
) {
  const state = context.metadata.state;
  const locate = (key: string, keyType: number) => {
    const isTransaction = keyType === transactionKeyType && transactions !== null;
    if (keyType !== groupKeyType && !isTransaction) {
      return { errorCode: ErrorCode.InvalidRequest, errorMessage: `unknown key type ${keyType}`, nodeId: -1 };
    }
    if (isTransaction && state.topicByName(transactionStateTopicName) === undefined) {
      transactions.createTopic();
      return { errorCode: ErrorCode.CoordinatorNotAvailable, errorMessage: null, nodeId: -1 };
    }
    // The coordinator is the leader of the key's partition of its internal topic, wherever it is.
    const partition = isTransaction ? transactions.partitionOf(key) : groups.partitionOf(key);
    const offsetsTopic = state.topicByName(isTransaction ? transactionStateTopicName : offsetsTopicName);
    const leaderId =
      offsetsTopic === undefined
        ? -1
        : (context.partitions.leadership(offsetsTopic.topicId, partition)?.leaderId ?? -1);
    // Led here but not loaded yet (a new leader catching up): the client asks again shortly.
    const ready =
      leaderId !== context.nodeId || (isTransaction ? transactions.isReady(key) : groups.lookup(key).ok);
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
