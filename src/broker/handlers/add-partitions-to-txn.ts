// AddPartitionsToTxn v0–5: a transactional producer names the partitions it is about to write in its ongoing
// transaction, so the coordinator knows where to write the markers. v0–3 carry one transaction; v4+ (from
// brokers, KIP-890) a batch of them, each possibly verify-only: then nothing is added and the answer says
// whether each partition is already in the transaction.

import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
import type { TopicPartitionRef } from "../../cluster/transactions/transaction-state.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
  createAddPartitionsToTxnResponse,
  createAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult,
  createAddPartitionsToTxnResponseAddPartitionsToTxnResult,
  createAddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from "../../protocol/messages/add-partitions-to-txn.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { transactionErrorCode } from "./transaction-errors.ts";

/** AddPartitionsToTxn v2 is the first whose clients know PRODUCER_FENCED; v4 the first with batches. */
const producerFencedVersionMin = 2;
const batchedVersionMin = 4;

interface TransactionInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];
}

function resultsOf(
  topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
  codeOf: (topic: string, partition: number, index: number) => number,
): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  let index = 0;
  return topics.map((topic) => ({
    ...createAddPartitionsToTxnResponseAddPartitionsToTxnTopicResult(),
    name: topic.name,
    resultsByPartition: topic.partitions.map((partition) => ({
      ...createAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult(),
      partitionIndex: partition,
      partitionErrorCode: codeOf(topic.name, partition, index++),
    })),
  }));
}

async function addOne(
  context: BrokerContext,
  transactions: TransactionService,
  input: TransactionInput,
  apiVersion: number,
): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[]> {
  const partitions: TopicPartitionRef[] = input.topics.flatMap((topic) =>
    topic.partitions.map((partition) => ({ topic: topic.name, partition })),
  );
  const state = context.metadata.state;
  const unknown = partitions.some(({ topic, partition }) => {
    const found = state.topicByName(topic);
    return found === undefined || partition < 0 || partition >= found.partitions.length;
  });
  if (unknown) {
    // Kafka answers the unknown ones UNKNOWN_TOPIC_OR_PARTITION and the rest OPERATION_NOT_ATTEMPTED.
    return resultsOf(input.topics, (topic, partition) => {
      const found = state.topicByName(topic);
      const known = found !== undefined && partition >= 0 && partition < found.partitions.length;
      return known ? ErrorCode.OperationNotAttempted : ErrorCode.UnknownTopicOrPartition;
    });
  }
  const producerFencedKnown = apiVersion >= producerFencedVersionMin;
  if (input.verifyOnly) {
    const coordinator = transactions.coordinatorOf(input.transactionalId);
    if (typeof coordinator === "string") {
      const code = transactionErrorCode(coordinator, { producerFencedKnown });
      return resultsOf(input.topics, () => code);
    }
    const verified = coordinator.verifyPartitions({ ...input, partitions });
    if (typeof verified === "string") {
      const code = transactionErrorCode(verified, { producerFencedKnown });
      return resultsOf(input.topics, () => code);
    }
    return resultsOf(input.topics, (_topic, _partition, index) =>
      verified[index] === true ? ErrorCode.None : ErrorCode.InvalidTxnState,
    );
  }
  const result = await transactions.step(input.transactionalId, (coordinator, nowMs) =>
    coordinator.addPartitions({ ...input, partitions, nowMs }),
  );
  const code = result.ok ? ErrorCode.None : transactionErrorCode(result.error, { producerFencedKnown });
  return resultsOf(input.topics, () => code);
}

export function addPartitionsToTxnHandler(context: BrokerContext, transactions: TransactionService) {
  return defineHandler({
    apiKey: ApiKey.AddPartitionsToTxn,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, { apiVersion }) {
      if (apiVersion < batchedVersionMin) {
        const results = await addOne(
          context,
          transactions,
          {
            transactionalId: request.v3AndBelowTransactionalId,
            producerId: request.v3AndBelowProducerId,
            producerEpoch: request.v3AndBelowProducerEpoch,
            verifyOnly: false,
            topics: request.v3AndBelowTopics,
          },
          apiVersion,
        );
        return { ...createAddPartitionsToTxnResponse(), resultsByTopicV3AndBelow: results };
      }
      const resultsByTransaction = await Promise.all(
        request.transactions.map(async (transaction) => ({
          ...createAddPartitionsToTxnResponseAddPartitionsToTxnResult(),
          transactionalId: transaction.transactionalId,
          topicResults: await addOne(context, transactions, transaction, apiVersion),
        })),
      );
      return { ...createAddPartitionsToTxnResponse(), resultsByTransaction };
    },
  });
}
