// One partition as the Kafka handlers see it, whatever replicates it: the Raft-driven replica in production
// (standalone is a Raft group of one voter), an in-memory one in handler tests.
//
// Appends have two phases (Redpanda's): *placed* — the batch has its offsets in the log order, decided
// synchronously inside append(), so produces pipelined on one connection keep their order — and *replicated* —
// as durable as acks asks: 1, in the leader's log on disk; -1, committed (the high watermark passed it).

import type { BatchHeader } from "../protocol/records/batch-header.ts";
import type { AbortedTransaction } from "./aborted-transactions.ts";
import type { EpochEndOffset } from "./epoch-end-offset.ts";
import type { HighWatermark } from "./high-watermark.ts";
import type { ProducerSnapshotEntry } from "./producer-state.ts";

/** A refusal a Kafka response can carry: an error code and a one-line message. */
export interface ReplicaError {
  errorCode: number;
  errorMessage: string;
}

export interface Placement {
  baseOffset: number;
  lastOffset: number;
  /** The broker time stamped under LogAppendTime, else -1. */
  logAppendTimeMs: number;
}

export interface AppendTicket {
  /** Phase one: where the batch went, or why it was refused (not the leader, storage offline, sequence). */
  placement: Placement | ReplicaError;
  /** Phase two: null once as durable as asked, or the error that stopped it (leadership lost, I/O). */
  replicated: Promise<ReplicaError | null>;
}

/** A COMMIT or ABORT marker the transaction coordinator asks a partition leader to append. */
export interface MarkerInput {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

export interface ReadOutcome {
  /** Whole batches as stored, from the one holding the fetch offset; empty when nothing is there yet. */
  records: Uint8Array;
  /** The committed end when read: what a long poll waits to see move. */
  highWatermark: number;
  /** The high watermark consumers are told (PartitionReplica.consumerHighWatermark). */
  consumerHighWatermark: number;
  logStartOffset: number;
}

export interface PartitionReplica {
  readonly topicId: string;
  readonly topicName: string;
  readonly partition: number;
  /** Produce (acks=-1) and Fetch (long poll) wait on this one notifier. */
  readonly highWatermark: HighWatermark;
  /**
   * The high watermark as consumers are told it (Fetch, ListOffsets latest): the committed end less the
   * control batches that end it. Fetch leaves control batches out, so a consumer can never step past one
   * that ends the log; told the full high watermark it would never reach the end of the partition.
   */
  consumerHighWatermark(): number;
  /**
   * The last stable offset (KIP-98): the consumer high watermark, held back to the first offset of the oldest
   * transaction not yet ended by a committed marker. read_committed consumers read below it only.
   */
  lastStableOffset(): number;
  /** The aborted transactions whose records a read of [fromOffset, upToOffset) may return (Fetch, read_committed). */
  abortedTransactions(fromOffset: number, upToOffset: number): AbortedTransaction[];
  /** The producers as the log holds them, open transactions included (DescribeProducers). */
  activeProducers(): ProducerSnapshotEntry[];
  /** Appends a transaction marker on the leader and answers once it is committed (WriteTxnMarkers). */
  appendMarker(marker: MarkerInput): Promise<ReplicaError | null>;
  isLeader(): boolean;
  /** The leader epoch as clients see it (the first is 0; a Raft replica's term − 1); asked of a leader. */
  leaderEpoch(): number;
  logStartOffset(): number;
  logEndOffset(): number;
  /** A validated batch (see broker/produce-validation.ts); its header fields come along to save a re-read. */
  append(batch: { bytes: Uint8Array; header: BatchHeader }, options: { acks: 1 | -1 }): AppendTicket;
  /**
   * Batches from `offset`, up to maxBytes but at least one whole batch (none if `minOneBatch` is false and the
   * first is larger than maxBytes), never past `maxOffset` (exclusive; the high watermark for consumers).
   * OFFSET_OUT_OF_RANGE when offset is outside [logStart, logEnd].
   */
  read(
    offset: number,
    options: { maxBytes: number; maxOffset: number; minOneBatch?: boolean },
  ): ReadOutcome | ReplicaError;
  /** ListOffsets by time: the first offset whose timestamp is at least timestampMs, or null past the end. */
  offsetForTimestamp(timestampMs: number): TimestampedOffset | null;
  /** ListOffsets MAX_TIMESTAMP: the offset holding the largest timestamp, or null for an empty log. */
  maxTimestamp(): TimestampedOffset | null;
  /**
   * OffsetForLeaderEpoch: the largest epoch ≤ `epoch` in this replica's log and the offset where it ends, by
   * Kafka's LeaderEpochFileCache.endOffsetFor rules (see epoch-end-offset.ts); -1/-1 when it cannot say.
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  /**
   * DeleteRecords: moves the log start offset up to `offset` (at most the high watermark, else
   * OFFSET_OUT_OF_RANGE) and answers the new log start offset; an offset at or below it changes nothing.
   */
  deleteRecordsBefore(offset: number): Promise<number | ReplicaError>;
  /** Bytes the partition's log holds on disk (DescribeLogDirs' partitionSize). */
  sizeBytes(): number;
}

export interface TimestampedOffset {
  offset: number;
  timestampMs: number;
}

/** Finds the replica of a partition hosted on this node. */
export interface ReplicaDirectory {
  byName(topicName: string, partition: number): PartitionReplica | undefined;
  byId(topicId: string, partition: number): PartitionReplica | undefined;
}
