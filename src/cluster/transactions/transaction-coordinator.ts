// The transaction coordinator of one `__transaction_state` partition (Kafka's TransactionCoordinator and
// TransactionStateManager, without the I/O): the metadata of every transactional id that hashes to the
// partition, and the state machine that InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and the
// transaction timeout drive. Each step changes the metadata in memory at once and says what to write: the
// caller appends that record to the partition and answers only once it is committed, and writes the markers a
// step asks for to every partition of the transaction before completing it (transaction-service.ts). A
// transaction whose markers are being written answers CONCURRENT_TRANSACTIONS, which clients retry.
// Pure: time and fresh producer ids come in as arguments.

import { assert } from "../../base/assert.ts";
import { type TopicPartitionRef, type TransactionMetadata, TransactionState } from "./transaction-state.ts";

/** Kafka's transaction.max.timeout.ms default: a producer may not ask for a longer transaction timeout. */
export const transactionMaxTimeoutMsDefault = 900_000;
/** An epoch at this value cannot be bumped: the producer gets a new producer id instead (Short.MAX_VALUE). */
const producerEpochMax = 0x7fff;
const noProducerId = -1n;
const noProducerEpoch = -1;

export type TransactionError =
  | "INVALID_PRODUCER_ID_MAPPING"
  | "PRODUCER_FENCED"
  | "CONCURRENT_TRANSACTIONS"
  | "INVALID_TXN_STATE"
  | "INVALID_TRANSACTION_TIMEOUT";

/** The markers to write for a transaction that is being completed. */
export interface MarkerJob {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  partitions: TopicPartitionRef[];
}

export interface TransactionStep<R> {
  outcome: { ok: true; value: R } | { ok: false; error: TransactionError };
  /** The metadata to append to the partition before answering; null when nothing changed. */
  write: TransactionMetadata | null;
  /** Markers to write once `write` is committed. */
  markers: MarkerJob | null;
}

function refused<R>(error: TransactionError): TransactionStep<R> {
  return { outcome: { ok: false, error }, write: null, markers: null };
}

function partitionKey(partition: TopicPartitionRef): string {
  return `${partition.topic}\u0000${partition.partition}`;
}

export class TransactionCoordinator {
  private readonly transactions = new Map<string, TransactionMetadata>();

  constructor(private readonly config: { transactionMaxTimeoutMs: number }) {}

  /** Applies a record read back from the partition (null: the id's metadata was deleted). */
  replay(transactionalId: string, metadata: TransactionMetadata | null): void {
    if (metadata === null) this.transactions.delete(transactionalId);
    else this.transactions.set(transactionalId, cloneMetadata(metadata));
  }

  get(transactionalId: string): TransactionMetadata | undefined {
    return this.transactions.get(transactionalId);
  }

  all(): IterableIterator<TransactionMetadata> {
    return this.transactions.values();
  }

  /**
   * InitProducerId with a transactional id. `freshProducerId` is used when the id is new or its epoch is
   * exhausted. `expected` (KIP-360, v3+) is the producer id and epoch the client had, or -1/-1.
   */
  initProducerId(input: {
    transactionalId: string;
    timeoutMs: number;
    expected: { producerId: bigint; producerEpoch: number };
    freshProducerId: bigint;
    nowMs: number;
  }): TransactionStep<{ producerId: bigint; producerEpoch: number }> {
    if (input.timeoutMs <= 0 || input.timeoutMs > this.config.transactionMaxTimeoutMs) {
      return refused("INVALID_TRANSACTION_TIMEOUT");
    }
    const current = this.transactions.get(input.transactionalId);
    if (current === undefined) {
      const created: TransactionMetadata = {
        transactionalId: input.transactionalId,
        producerId: input.freshProducerId,
        previousProducerId: noProducerId,
        producerEpoch: 0,
        previousProducerEpoch: noProducerEpoch,
        timeoutMs: input.timeoutMs,
        state: TransactionState.Empty,
        startMs: -1,
        updateMs: input.nowMs,
        partitions: [],
      };
      return this.commitChange(created, { producerId: created.producerId, producerEpoch: 0 });
    }
    const { expected } = input;
    if (expected.producerId !== noProducerId) {
      const isCurrent =
        expected.producerId === current.producerId && expected.producerEpoch === current.producerEpoch;
      const isRetry =
        expected.producerId === current.previousProducerId &&
        expected.producerEpoch === current.previousProducerEpoch &&
        current.state === TransactionState.Empty;
      if (isRetry) {
        // The answer to the first attempt was lost: the bump it made is answered again.
        const { producerId, producerEpoch } = current;
        return { outcome: { ok: true, value: { producerId, producerEpoch } }, write: null, markers: null };
      }
      if (!isCurrent) return refused("PRODUCER_FENCED");
    }
    if (current.state === TransactionState.PrepareCommit || current.state === TransactionState.PrepareAbort) {
      return refused("CONCURRENT_TRANSACTIONS");
    }
    if (current.state === TransactionState.Ongoing) {
      // A new instance of the producer: the old one's transaction is aborted under a bumped epoch (fencing
      // the old instance), and the new one retries until the abort is complete.
      const step = this.abortFenced(current, input.nowMs);
      return { ...step, outcome: { ok: false, error: "CONCURRENT_TRANSACTIONS" } };
    }
    const next = cloneMetadata(current);
    next.previousProducerId = current.producerId;
    next.previousProducerEpoch = current.producerEpoch;
    if (current.producerEpoch + 1 >= producerEpochMax) {
      next.producerId = input.freshProducerId;
      next.producerEpoch = 0;
    } else {
      next.producerEpoch = current.producerEpoch + 1;
    }
    next.timeoutMs = input.timeoutMs;
    next.state = TransactionState.Empty;
    next.partitions = [];
    next.startMs = -1;
    next.updateMs = input.nowMs;
    return this.commitChange(next, { producerId: next.producerId, producerEpoch: next.producerEpoch });
  }

  /** AddPartitionsToTxn and AddOffsetsToTxn (the latter adds the group's __consumer_offsets partition). */
  addPartitions(input: {
    transactionalId: string;
    producerId: bigint;
    producerEpoch: number;
    partitions: readonly TopicPartitionRef[];
    nowMs: number;
  }): TransactionStep<null> {
    const current = this.transactions.get(input.transactionalId);
    const invalid = this.checkProducer(current, input);
    if (invalid !== null) return refused(invalid);
    const metadata = current!;
    if (
      metadata.state === TransactionState.PrepareCommit ||
      metadata.state === TransactionState.PrepareAbort
    ) {
      return refused("CONCURRENT_TRANSACTIONS");
    }
    const known = new Set(metadata.partitions.map(partitionKey));
    const added = input.partitions.filter((partition) => !known.has(partitionKey(partition)));
    if (metadata.state === TransactionState.Ongoing && added.length === 0) {
      return { outcome: { ok: true, value: null }, write: null, markers: null };
    }
    const next = cloneMetadata(metadata);
    if (metadata.state !== TransactionState.Ongoing) {
      next.partitions = [];
      next.startMs = input.nowMs;
    }
    const seen = new Set<string>(next.partitions.map(partitionKey));
    for (const partition of input.partitions) {
      if (seen.has(partitionKey(partition))) continue;
      seen.add(partitionKey(partition));
      next.partitions.push({ ...partition });
    }
    next.state = TransactionState.Ongoing;
    next.updateMs = input.nowMs;
    return this.commitChange(next, null);
  }

  /** AddPartitionsToTxn v4+ verifyOnly: whether each partition is in the producer's ongoing transaction. */
  verifyPartitions(input: {
    transactionalId: string;
    producerId: bigint;
    producerEpoch: number;
    partitions: readonly TopicPartitionRef[];
  }): TransactionError | boolean[] {
    const current = this.transactions.get(input.transactionalId);
    const invalid = this.checkProducer(current, input);
    if (invalid !== null) return invalid;
    const known = new Set(current!.partitions.map(partitionKey));
    const ongoing = current!.state === TransactionState.Ongoing;
    return input.partitions.map((partition) => ongoing && known.has(partitionKey(partition)));
  }

  /** EndTxn: Ongoing → PrepareCommit / PrepareAbort, with the markers to write. */
  endTransaction(input: {
    transactionalId: string;
    producerId: bigint;
    producerEpoch: number;
    commit: boolean;
    nowMs: number;
  }): TransactionStep<null> {
    const current = this.transactions.get(input.transactionalId);
    const invalid = this.checkProducer(current, input);
    if (invalid !== null) return refused(invalid);
    const metadata = current!;
    const ok = { outcome: { ok: true as const, value: null }, write: null, markers: null };
    switch (metadata.state) {
      case TransactionState.Ongoing:
        return this.prepare(
          metadata,
          { commit: input.commit, producerEpoch: metadata.producerEpoch },
          input.nowMs,
        );
      case TransactionState.CompleteCommit:
        return input.commit ? ok : refused("INVALID_TXN_STATE");
      case TransactionState.CompleteAbort:
        return input.commit ? refused("INVALID_TXN_STATE") : ok;
      case TransactionState.PrepareCommit:
        return refused(input.commit ? "CONCURRENT_TRANSACTIONS" : "INVALID_TXN_STATE");
      case TransactionState.PrepareAbort:
        return refused(input.commit ? "INVALID_TXN_STATE" : "CONCURRENT_TRANSACTIONS");
      default:
        return refused("INVALID_TXN_STATE");
    }
  }

  /** Every marker of a Prepare* transaction is written: PrepareX → CompleteX. */
  completeTransaction(job: MarkerJob, nowMs: number): TransactionStep<null> {
    const current = this.transactions.get(job.transactionalId);
    const expectedState = job.commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort;
    // Only the transaction the markers were written for: anything else means a reload replaced it.
    if (current?.state !== expectedState || current.producerId !== job.producerId) {
      return refused("INVALID_TXN_STATE");
    }
    const next = cloneMetadata(current);
    next.state = job.commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort;
    next.partitions = [];
    next.startMs = -1;
    next.updateMs = nowMs;
    return this.commitChange(next, null);
  }

  /** Aborts every ongoing transaction older than its timeout, fencing its producer (Kafka's abortTimedOutTransactions). */
  expire(nowMs: number): TransactionStep<null>[] {
    const steps: TransactionStep<null>[] = [];
    for (const metadata of this.transactions.values()) {
      if (metadata.state !== TransactionState.Ongoing) continue;
      if (metadata.startMs + metadata.timeoutMs > nowMs) continue;
      steps.push(this.abortFenced(metadata, nowMs));
    }
    return steps;
  }

  /** The markers of every transaction left in a Prepare state (a new coordinator resumes them after a load). */
  unfinished(): MarkerJob[] {
    const jobs: MarkerJob[] = [];
    for (const metadata of this.transactions.values()) {
      if (
        metadata.state === TransactionState.PrepareCommit ||
        metadata.state === TransactionState.PrepareAbort
      ) {
        jobs.push(markerJobOf(metadata, metadata.state === TransactionState.PrepareCommit));
      }
    }
    return jobs;
  }

  /** When the earliest ongoing transaction times out; null when none is ongoing. */
  nextDeadlineMs(): number | null {
    let deadline: number | null = null;
    for (const metadata of this.transactions.values()) {
      if (metadata.state !== TransactionState.Ongoing) continue;
      const at = metadata.startMs + metadata.timeoutMs;
      if (deadline === null || at < deadline) deadline = at;
    }
    return deadline;
  }

  private checkProducer(
    current: TransactionMetadata | undefined,
    input: { producerId: bigint; producerEpoch: number },
  ): TransactionError | null {
    if (current === undefined || current.producerId !== input.producerId)
      return "INVALID_PRODUCER_ID_MAPPING";
    if (current.producerEpoch !== input.producerEpoch) return "PRODUCER_FENCED";
    return null;
  }

  /** Aborts the ongoing transaction under a bumped epoch, so the producer that began it is fenced. */
  private abortFenced(metadata: TransactionMetadata, nowMs: number): TransactionStep<null> {
    const bumped =
      metadata.producerEpoch + 1 < producerEpochMax ? metadata.producerEpoch + 1 : metadata.producerEpoch;
    return this.prepare(metadata, { commit: false, producerEpoch: bumped }, nowMs);
  }

  private prepare(
    metadata: TransactionMetadata,
    how: { commit: boolean; producerEpoch: number },
    nowMs: number,
  ): TransactionStep<null> {
    assert(metadata.state === TransactionState.Ongoing, "only an ongoing transaction is prepared");
    const next = cloneMetadata(metadata);
    if (how.producerEpoch !== metadata.producerEpoch) {
      next.previousProducerId = metadata.producerId;
      next.previousProducerEpoch = metadata.producerEpoch;
      next.producerEpoch = how.producerEpoch;
    }
    next.state = how.commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort;
    next.updateMs = nowMs;
    const step = this.commitChange(next, null);
    return { ...step, markers: markerJobOf(next, how.commit) };
  }

  private commitChange<R>(next: TransactionMetadata, value: R): TransactionStep<R> {
    this.transactions.set(next.transactionalId, next);
    return { outcome: { ok: true, value }, write: cloneMetadata(next), markers: null };
  }
}

function markerJobOf(metadata: TransactionMetadata, commit: boolean): MarkerJob {
  return {
    transactionalId: metadata.transactionalId,
    producerId: metadata.producerId,
    producerEpoch: metadata.producerEpoch,
    commit,
    partitions: metadata.partitions.map((partition) => ({ ...partition })),
  };
}

function cloneMetadata(metadata: TransactionMetadata): TransactionMetadata {
  return { ...metadata, partitions: metadata.partitions.map((partition) => ({ ...partition })) };
}
