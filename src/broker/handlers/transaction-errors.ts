// The error codes the transaction APIs answer with. PRODUCER_FENCED (KIP-588) is known only to clients of
// InitProducerId v4+, AddPartitionsToTxn and AddOffsetsToTxn v2+, EndTxn v2+ and TxnOffsetCommit v3+; older
// ones get INVALID_PRODUCER_EPOCH instead, as Kafka answers them.

import type { TransactionError } from "../../cluster/transactions/transaction-coordinator.ts";
import type { CoordinatorRefusal } from "../../cluster/transactions/transaction-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";

export function transactionErrorCode(
  error: TransactionError | CoordinatorRefusal,
  options: { producerFencedKnown: boolean },
): number {
  if (error === "PRODUCER_FENCED" && !options.producerFencedKnown) return ErrorCode.InvalidProducerEpoch;
  return errorCodeByName(error);
}
