// A transactional id's metadata as the transaction coordinator keeps it (Kafka's TransactionMetadata) and the
// states of its life (KIP-98): Empty → Ongoing → PrepareCommit / PrepareAbort → CompleteCommit /
// CompleteAbort → Ongoing again with the next transaction. Pure types.

export enum TransactionState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
}

export const transactionStates: readonly number[] = [0, 1, 2, 3, 4, 5];

/** The names DescribeTransactions and ListTransactions use (Kafka's TransactionState.stateName). */
export const transactionStateNames: Record<TransactionState, string> = {
  [TransactionState.Empty]: "Empty",
  [TransactionState.Ongoing]: "Ongoing",
  [TransactionState.PrepareCommit]: "PrepareCommit",
  [TransactionState.PrepareAbort]: "PrepareAbort",
  [TransactionState.CompleteCommit]: "CompleteCommit",
  [TransactionState.CompleteAbort]: "CompleteAbort",
};

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface TransactionMetadata {
  transactionalId: string;
  producerId: bigint;
  /** The producer id (and epoch) before the last bump: a retried InitProducerId (KIP-360) is recognised by them. */
  previousProducerId: bigint;
  producerEpoch: number;
  previousProducerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  /** When the ongoing transaction began (its first AddPartitionsToTxn); -1 when none. */
  startMs: number;
  updateMs: number;
  /** The partitions of the ongoing (or completing) transaction. */
  partitions: TopicPartitionRef[];
}
