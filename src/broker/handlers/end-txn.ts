// EndTxn v0–4: commits or aborts the producer's ongoing transaction. The answer comes once PrepareCommit or
// PrepareAbort is committed to __transaction_state; the markers follow, and until they are all written the
// transactional id answers CONCURRENT_TRANSACTIONS. v5 (KIP-890's epoch bump per transaction) is not served.

import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
import { createEndTxnResponse } from "../../protocol/messages/end-txn.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { transactionErrorCode } from "./transaction-errors.ts";

/** EndTxn v2 is the first whose clients know PRODUCER_FENCED. */
const producerFencedVersionMin = 2;

export function endTxnHandler(transactions: TransactionService) {
  return defineHandler({
    apiKey: ApiKey.EndTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, { apiVersion }) {
      const result = await transactions.step(request.transactionalId, (coordinator, nowMs) =>
        coordinator.endTransaction({ ...request, commit: request.committed, nowMs }),
      );
      const errorCode = result.ok
        ? 0
        : transactionErrorCode(result.error, { producerFencedKnown: apiVersion >= producerFencedVersionMin });
      return { ...createEndTxnResponse(), errorCode, producerId: -1n, producerEpoch: -1 };
    },
  });
}
