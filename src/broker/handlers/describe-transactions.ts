// DescribeTransactions v0 and ListTransactions v0–1 (KIP-664): the transactional ids this node coordinates, as
// kafka-transactions.sh shows them. A described id coordinated elsewhere answers NOT_COORDINATOR.

import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
import type { TransactionMetadata } from "../../cluster/transactions/transaction-state.ts";
import { transactionStateNames } from "../../cluster/transactions/transaction-state.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createDescribeTransactionsResponse,
  createDescribeTransactionsResponseTopicData,
  createDescribeTransactionsResponseTransactionState,
} from "../../protocol/messages/describe-transactions.ts";
import {
  createListTransactionsResponse,
  createListTransactionsResponseTransactionState,
} from "../../protocol/messages/list-transactions.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

function topicsOf(metadata: TransactionMetadata) {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of metadata.partitions) {
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  return [...byTopic].map(([topic, partitions]) => ({
    ...createDescribeTransactionsResponseTopicData(),
    topic,
    partitions,
  }));
}

export function describeTransactionsHandler(transactions: TransactionService) {
  return defineHandler({
    apiKey: ApiKey.DescribeTransactions,
    minVersion: 0,
    maxVersion: 0,
    handle(request) {
      const transactionStates = request.transactionalIds.map((transactionalId) => {
        const answer = { ...createDescribeTransactionsResponseTransactionState(), transactionalId };
        const coordinator = transactions.coordinatorOf(transactionalId);
        if (typeof coordinator === "string") return { ...answer, errorCode: errorCodeByName(coordinator) };
        const metadata = coordinator.get(transactionalId);
        if (metadata === undefined) return { ...answer, errorCode: ErrorCode.TransactionalIdNotFound };
        return {
          ...answer,
          transactionState: transactionStateNames[metadata.state],
          transactionTimeoutMs: metadata.timeoutMs,
          transactionStartTimeMs: BigInt(metadata.startMs),
          producerId: metadata.producerId,
          producerEpoch: metadata.producerEpoch,
          topics: topicsOf(metadata),
        };
      });
      return { ...createDescribeTransactionsResponse(), transactionStates };
    },
  });
}

export function listTransactionsHandler(transactions: TransactionService, wallMs: () => number) {
  return defineHandler({
    apiKey: ApiKey.ListTransactions,
    minVersion: 0,
    maxVersion: 1,
    handle(request) {
      const known = new Set(Object.values(transactionStateNames));
      const states = new Set(request.stateFilters);
      const producerIds = new Set(request.producerIdFilters);
      const nowMs = wallMs();
      const listed = transactions
        .coordinatorsLedHere()
        .flatMap((coordinator) => [...coordinator.all()])
        .filter((metadata) => states.size === 0 || states.has(transactionStateNames[metadata.state]))
        .filter((metadata) => producerIds.size === 0 || producerIds.has(metadata.producerId))
        // v1 (KIP-994): only transactions running longer than durationFilter ms; -1 for all.
        .filter(
          (metadata) =>
            request.durationFilter < 0n ||
            (metadata.startMs >= 0 && nowMs - metadata.startMs > Number(request.durationFilter)),
        );
      return {
        ...createListTransactionsResponse(),
        unknownStateFilters: request.stateFilters.filter((state) => !known.has(state)),
        transactionStates: listed.map((metadata) => ({
          ...createListTransactionsResponseTransactionState(),
          transactionalId: metadata.transactionalId,
          producerId: metadata.producerId,
          transactionState: transactionStateNames[metadata.state],
        })),
      };
    },
  });
}
