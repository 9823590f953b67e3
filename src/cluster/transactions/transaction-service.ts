// Drives the pure transaction coordinators, one per `__transaction_state` partition this node leads, as the
// group service drives the group coordinators: a partition's leader is the coordinator of the transactional
// ids that hash to it, its metadata is rebuilt by replaying the partition when it starts leading (or leads in a
// new epoch), and every change is appended (acks=-1) before the request that made it is answered. After a
// PrepareCommit/PrepareAbort is committed, the markers are written to every partition of the transaction
// through each partition's leader (appendMarker), and the transaction then moves to Complete*. A coordinator
// that loads a Prepare* state resumes its markers, so a crash or failover mid-commit still completes it.
// Markers go to partitions led on this node; one led elsewhere is retried until it is led here (the cluster
// RPC for remote markers is not built yet).

import type { Clock, Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/logger.ts";
import { buildBatch } from "../../protocol/records/batch-builder.ts";
import { isControlBatch, readBatchHeader, scanBatches } from "../../protocol/records/batch-header.ts";
import { readAllRecords } from "../../protocol/records/batch-records.ts";
import { groupPartition } from "../groups/index.ts";
import { offsetsTopicName } from "../internal-topics.ts";
import type { PartitionReplica } from "../partition-replica.ts";
import {
  type MarkerJob,
  TransactionCoordinator,
  type TransactionError,
  type TransactionStep,
} from "./transaction-coordinator.ts";
import {
  decodeTransactionRecord,
  encodeTransactionKey,
  encodeTransactionValue,
} from "./transaction-records.ts";
import type { TransactionMetadata } from "./transaction-state.ts";

/** transaction.state.log.num.partitions (Kafka's default is 50; fewer Raft groups suit a small broker). */
export const transactionStatePartitionsDefault = 16;
/** How much of a partition one read takes while loading. */
const loadReadBytes = 1024 * 1024;
/** Between attempts to write a marker whose partition is not led here or refused it. */
const markerRetryMs = 100;

export type CoordinatorRefusal = "NOT_COORDINATOR" | "COORDINATOR_LOAD_IN_PROGRESS";

export interface TransactionServiceOptions {
  partitions: number;
  transactionMaxTimeoutMs: number;
  /** The replica of a __transaction_state partition hosted here (led or not). */
  replicaOf(partition: number): PartitionReplica | undefined;
  /** The replica of any partition hosted here, for its markers. */
  replicaByName(topic: string, partition: number): PartitionReplica | undefined;
  /** Whether the topic still exists: markers for a deleted partition are dropped, as Kafka drops them. */
  topicExists(topic: string): boolean;
  /** A marker committed on a __consumer_offsets partition: its pending transactional offsets are settled. */
  onOffsetsMarker(partition: number, producerId: bigint, commit: boolean): void;
  offsetsPartitions: number;
  /** Asks the metadata for __transaction_state (Kafka creates it on the first transactional look-up). */
  createTopic(): Promise<void>;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
}

interface PartitionCoordinator {
  coordinator: TransactionCoordinator;
  replica: PartitionReplica;
  leaderEpoch: number;
  persisting: Promise<unknown>;
  cancelTick: (() => void) | null;
}

export class TransactionService {
  private readonly entries = new Map<number, PartitionCoordinator>();
  private closed = false;
  private creatingTopic: Promise<void> | null = null;

  constructor(private readonly options: TransactionServiceOptions) {}

  partitionOf(transactionalId: string): number {
    return groupPartition(transactionalId, this.options.partitions);
  }

  /** Creates __transaction_state once; a failure is logged and tried again at the next look-up. */
  createTopic(): void {
    this.creatingTopic ??= this.options
      .createTopic()
      .catch((error: unknown) => this.options.logger.warn("creating __transaction_state failed", { error }))
      .finally(() => {
        this.creatingTopic = null;
      });
  }

  /** Whether this node coordinates the id now (FindCoordinator answers only once loaded). */
  isReady(transactionalId: string): boolean {
    return typeof this.entryFor(this.partitionOf(transactionalId)) !== "string";
  }

  /** The coordinators of the partitions led here (ListTransactions). */
  coordinatorsLedHere(): TransactionCoordinator[] {
    const found: TransactionCoordinator[] = [];
    for (let partition = 0; partition < this.options.partitions; partition++) {
      const entry = this.entryFor(partition);
      if (typeof entry !== "string") found.push(entry.coordinator);
    }
    return found;
  }

  /** The coordinator of the id, if loaded here (DescribeTransactions). */
  coordinatorOf(transactionalId: string): TransactionCoordinator | CoordinatorRefusal {
    const entry = this.entryFor(this.partitionOf(transactionalId));
    return typeof entry === "string" ? entry : entry.coordinator;
  }

  /**
   * Runs one step of the id's coordinator, appends what it wrote, and answers once that is committed; starts
   * the markers it asked for.
   */
  async step<R>(
    transactionalId: string,
    run: (coordinator: TransactionCoordinator, nowMs: number) => TransactionStep<R>,
  ): Promise<{ ok: true; value: R } | { ok: false; error: TransactionError | CoordinatorRefusal }> {
    const partition = this.partitionOf(transactionalId);
    const entry = this.entryFor(partition);
    if (typeof entry === "string") return { ok: false, error: entry };
    const step = run(entry.coordinator, this.options.clock.wallMs());
    const persisted = await this.persist(partition, entry, step);
    if (!persisted) return { ok: false, error: "NOT_COORDINATOR" };
    return step.outcome;
  }

  /** Appends the step's record; on success starts its markers and re-arms the timeout timer. */
  private async persist(
    partition: number,
    entry: PartitionCoordinator,
    step: TransactionStep<unknown>,
  ): Promise<boolean> {
    if (step.write !== null) {
      const metadata = step.write;
      const appended = entry.persisting.then(() => this.append(entry, metadata.transactionalId, metadata));
      entry.persisting = appended.catch(() => {});
      try {
        await appended;
      } catch (error) {
        // Memory is ahead of the log now: the next request loads the partition again from what is committed.
        this.options.logger.warn("transaction state was not persisted", { partition, error });
        if (this.entries.get(partition) === entry) this.drop(partition, entry);
        return false;
      }
    }
    if (step.markers !== null) void this.writeMarkers(partition, entry, step.markers);
    this.armTick(partition, entry);
    return true;
  }

  private async append(
    entry: PartitionCoordinator,
    transactionalId: string,
    metadata: TransactionMetadata,
  ): Promise<void> {
    const { replica } = entry;
    const bytes = buildBatch([
      {
        key: encodeTransactionKey(transactionalId),
        value: encodeTransactionValue(metadata),
        timestamp: this.options.clock.wallMs(),
      },
    ]);
    const ticket = replica.append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
    if ("errorCode" in ticket.placement) throw new Error(ticket.placement.errorMessage);
    const failure = await ticket.replicated;
    if (failure) throw new Error(failure.errorMessage);
  }

  /** Writes the job's markers to each partition, then completes the transaction. Stops if the entry is replaced. */
  private async writeMarkers(partition: number, entry: PartitionCoordinator, job: MarkerJob): Promise<void> {
    const current = () => !this.closed && this.entries.get(partition) === entry;
    for (const target of job.partitions) {
      while (current()) {
        const written = await this.writeMarker(entry, job, target);
        if (written) break;
        await new Promise<void>((resolve) => this.options.scheduler.setTimeout(resolve, markerRetryMs));
      }
    }
    if (!current()) return;
    const step = entry.coordinator.completeTransaction(job, this.options.clock.wallMs());
    if (!step.outcome.ok) return;
    await this.persist(partition, entry, step);
  }

  /** One marker; true once it is committed (or its partition is gone), false to try again. */
  private async writeMarker(
    entry: PartitionCoordinator,
    job: MarkerJob,
    target: { topic: string; partition: number },
  ): Promise<boolean> {
    if (!this.options.topicExists(target.topic)) return true;
    const replica = this.options.replicaByName(target.topic, target.partition);
    if (replica === undefined || !replica.isLeader()) return false;
    const failure = await replica.appendMarker({
      producerId: job.producerId,
      producerEpoch: job.producerEpoch,
      coordinatorEpoch: entry.leaderEpoch,
      commit: job.commit,
    });
    if (failure !== null) {
      this.options.logger.warn("a transaction marker was not written", {
        ...target,
        error: failure.errorMessage,
      });
      return false;
    }
    if (target.topic === offsetsTopicName) {
      this.options.onOffsetsMarker(target.partition, job.producerId, job.commit);
    }
    return true;
  }

  private armTick(partition: number, entry: PartitionCoordinator): void {
    entry.cancelTick?.();
    entry.cancelTick = null;
    const deadline = entry.coordinator.nextDeadlineMs();
    if (deadline === null || this.closed) return;
    const delayMs = Math.max(0, deadline - this.options.clock.wallMs());
    entry.cancelTick = this.options.scheduler.setTimeout(() => {
      entry.cancelTick = null;
      if (this.entries.get(partition) !== entry) return;
      const steps = entry.coordinator.expire(this.options.clock.wallMs());
      for (const step of steps) {
        this.options.logger.info("aborting a timed-out transaction", {
          transactionalId: step.markers?.transactionalId,
        });
        void this.persist(partition, entry, step);
      }
      if (steps.length === 0) this.armTick(partition, entry);
    }, delayMs);
  }

  private entryFor(partition: number): PartitionCoordinator | CoordinatorRefusal {
    const replica = this.options.replicaOf(partition);
    if (!replica?.isLeader()) return "NOT_COORDINATOR";
    const entry = this.entries.get(partition);
    if (entry && entry.replica === replica && entry.leaderEpoch === replica.leaderEpoch()) return entry;
    if (entry) this.drop(partition, entry);
    // A new leader has not yet committed everything its log holds: loading now would miss transactions.
    if (replica.highWatermark.value < replica.logEndOffset()) return "COORDINATOR_LOAD_IN_PROGRESS";
    return this.load(partition, replica);
  }

  private drop(partition: number, entry: PartitionCoordinator): void {
    entry.cancelTick?.();
    this.entries.delete(partition);
  }

  /** Rebuilds the partition's transactions from its records, then resumes the unfinished ones' markers. */
  private load(partition: number, replica: PartitionReplica): PartitionCoordinator | CoordinatorRefusal {
    const coordinator = new TransactionCoordinator({
      transactionMaxTimeoutMs: this.options.transactionMaxTimeoutMs,
    });
    const highWatermark = replica.highWatermark.value;
    let offset = replica.logStartOffset();
    while (offset < highWatermark) {
      const read = replica.read(offset, { maxBytes: loadReadBytes, maxOffset: highWatermark });
      if ("errorCode" in read) {
        this.options.logger.warn("loading transactions failed", { partition, error: read.errorMessage });
        return "COORDINATOR_LOAD_IN_PROGRESS";
      }
      if (read.records.length === 0) break;
      for (const span of scanBatches(read.records, { verifyCrc: false }).spans) {
        const batch = read.records.subarray(span.position, span.position + span.size);
        const header = readBatchHeader(batch);
        offset = Number(header.baseOffset) + header.lastOffsetDelta + 1;
        if (isControlBatch(header.attributes)) continue;
        for (const record of readAllRecords(batch, { decompressedBytesMax: loadReadBytes * 64 })) {
          const decoded = decodeTransactionRecord(record.key, record.value);
          if (decoded.ok) coordinator.replay(decoded.transactionalId, decoded.metadata);
          else
            this.options.logger.warn("skipping a transaction record", { partition, reason: decoded.reason });
        }
      }
    }
    const entry: PartitionCoordinator = {
      coordinator,
      replica,
      leaderEpoch: replica.leaderEpoch(),
      persisting: Promise.resolve(),
      cancelTick: null,
    };
    this.entries.set(partition, entry);
    for (const job of coordinator.unfinished()) void this.writeMarkers(partition, entry, job);
    this.armTick(partition, entry);
    this.options.logger.info("loaded transactions", { partition, upTo: highWatermark });
    return entry;
  }

  /** The __consumer_offsets partition a group's offsets live in (AddOffsetsToTxn adds it to the transaction). */
  offsetsPartitionOf(groupId: string): number {
    return groupPartition(groupId, this.options.offsetsPartitions);
  }

  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) entry.cancelTick?.();
  }
}
