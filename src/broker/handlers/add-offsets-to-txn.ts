// AddOffsetsToTxn v0–4 (sendOffsetsToTransaction's first half): adds the group's __consumer_offsets partition to
// the producer's transaction, so the coordinator writes a marker there too and the offsets committed with
// TxnOffsetCommit take effect only if the transaction commits.

import { offsetsTopicName } from "../../cluster/internal-topics.ts";
import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
import { createAddOffsetsToTxnResponse } from "../../protocol/messages/add-offsets-to-txn.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { transactionErrorCode } from "./transaction-errors.ts";

/** AddOffsetsToTxn v2 is the first whose clients know PRODUCER_FENCED. */
const producerFencedVersionMin = 2;

export function addOffsetsToTxnHandler(transactions: TransactionService) {
  return defineHandler({
    apiKey: ApiKey.AddOffsetsToTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, { apiVersion }) {
      const partition = {
        topic: offsetsTopicName,
        partition: transactions.offsetsPartitionOf(request.groupId),
      };
      const result = await transactions.step(request.transactionalId, (coordinator, nowMs) =>
        coordinator.addPartitions({ ...request, partitions: [partition], nowMs }),
      );
      const errorCode = result.ok
        ? 0
        : transactionErrorCode(result.error, { producerFencedKnown: apiVersion >= producerFencedVersionMin });
      return { ...createAddOffsetsToTxnResponse(), errorCode };
    },
  });
}
