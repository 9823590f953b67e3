// A partition replica whose log is replicated by its Raft group: the production PartitionReplica. Standalone
// runs the same code with a group of one voter, which commits on its own fsync (DESIGN.md decision 2).
//
// append() proposes the batch to the group, which assigns its offsets at once (phase one, in request order);
// acks=1 then waits until the leader's own log is durable past it, acks=-1 until the group commits it (the high
// watermark passes it). Idempotent batches are checked and recorded against the producer table in the same
// synchronous step, so a retry can never slip in between. That table starts, at open and whenever this replica
// leads a new term, as a copy of the producer state its log holds (producer-state-log.ts: every stored batch,
// snapshotted at each segment roll), so batches replicated here as a follower are known to it as a leader.

import { ErrorCode, errorCodeByName } from "../protocol/error-codes.ts";
import {
  type BatchHeader,
  isControlBatch,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
} from "../protocol/records/batch-header.ts";
import { readAllRecords } from "../protocol/records/batch-records.ts";
import { leaderEpochOfTerm, type Proposal, type ProposeResult } from "../raft/core/index.ts";
import type { PartitionLog } from "../storage/index.ts";
import { OffsetOutOfRangeError, StorageError } from "../storage/index.ts";
import { type EpochEndOffset, endOffsetForEpoch } from "./epoch-end-offset.ts";
import { HighWatermark } from "./high-watermark.ts";
import { batchesFrom } from "./log-walk.ts";
import type {
  AppendTicket,
  PartitionReplica,
  ReadOutcome,
  ReplicaError,
  TimestampedOffset,
} from "./partition-replica.ts";
import { type ProducerStateTable, producerBatchOf } from "./producer-state.ts";
import { ProducerStateLog, type ProducerStateLogOptions } from "./producer-state-log.ts";

/** What the replica needs of its Raft group (raft/node's RaftGroup). */
export interface ReplicatedLog {
  readonly role: string;
  readonly term: number;
  /** Commit offset + 1. */
  readonly highWatermark: number;
  propose(proposals: readonly Proposal[]): ProposeResult;
  /** Resolves once the group has committed `offset`; rejects if leadership is lost first. */
  waitForCommit(offset: number): Promise<void>;
  /** Resolves once this node's own log is durable past `offset`. */
  waitForPersisted(offset: number): Promise<void>;
}

/** How much a timestamp lookup may inflate one compressed batch to find the exact record. */
const timestampLookupBytesMax = 64 * 1024 * 1024;

const notLeader: ReplicaError = {
  errorCode: ErrorCode.NotLeaderOrFollower,
  errorMessage: "this broker is not the partition's leader",
};

export class RaftReplica implements PartitionReplica {
  readonly highWatermark: HighWatermark;
  /** The producers as the log holds them, snapshotted at each roll. */
  private readonly producerLog: ProducerStateLog;
  /** The leader's check table: the log's, plus what this leader has proposed since. */
  private producers: ProducerStateTable;
  /** The term `producers` was copied from the log in. */
  private producersTerm: number;
  /** consumerHighWatermark() as last computed, and the high watermark and log start it was computed for. */
  private consumerEnd = { highWatermark: -1, logStartOffset: -1, value: 0 };

  constructor(
    readonly topicId: string,
    readonly topicName: string,
    readonly partition: number,
    private readonly group: ReplicatedLog,
    private readonly log: PartitionLog,
    options: ProducerStateLogOptions = {},
  ) {
    this.highWatermark = new HighWatermark(Math.max(group.highWatermark, 0));
    this.producerLog = ProducerStateLog.open(log, options);
    this.producers = this.producerLog.copyTable();
    this.producersTerm = group.term;
    // The log opens with its high watermark at its start; a group restored from its hard state already knows
    // more, and onCommit only passes on increases, so DeleteRecords after a restart needs it here.
    log.highWatermark = Math.max(log.highWatermark, Math.min(this.highWatermark.value, log.logEndOffset));
  }

  isLeader(): boolean {
    return this.group.role === "leader";
  }

  /** The leader epoch clients see: the group's term − 1 (leader-epoch.ts); never asked in term 0. */
  /** The leader epoch clients see; -1 while the group has not reached its first term (a new follower). */
  leaderEpoch(): number {
    return this.group.term === 0 ? -1 : leaderEpochOfTerm(this.group.term);
  }

  logStartOffset(): number {
    return this.log.logStartOffset;
  }

  logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /** The group committed up to `highWatermark` (exclusive): readers may now see it, waiters wake. */
  onCommit(highWatermark: number): void {
    if (highWatermark <= this.highWatermark.value) return;
    this.log.highWatermark = highWatermark;
    this.highWatermark.advance(highWatermark);
  }

  /**
   * The committed end less the LeaderChange control batches that end it. Each is the first batch of its leader
   * epoch and holds one offset, so only an epoch starting just below the end can be one: the epoch cache says
   * where to look, and a read of that one batch confirms it. Recomputed only when the end or the start moves.
   */
  consumerHighWatermark(): number {
    const highWatermark = this.highWatermark.value;
    const logStartOffset = this.log.logStartOffset;
    const cached = this.consumerEnd;
    if (cached.highWatermark === highWatermark && cached.logStartOffset === logStartOffset)
      return cached.value;
    let end = highWatermark;
    const epochs = this.log.epochs.all();
    for (let i = epochs.length - 1; i >= 0 && end > logStartOffset; i--) {
      const start = epochs[i]!.startOffset;
      if (start >= end) continue;
      if (start !== end - 1 || !this.isSingleControlBatchAt(start)) break;
      end = start;
    }
    this.consumerEnd = { highWatermark, logStartOffset, value: end };
    return end;
  }

  private isSingleControlBatchAt(offset: number): boolean {
    const { bytes } = this.log.read(offset, { maxBytes: 1, maxOffset: offset + 1 });
    if (bytes.length === 0) return false;
    const header = readBatchHeader(bytes);
    return (
      isControlBatch(header.attributes) &&
      header.baseOffset === BigInt(offset) &&
      header.lastOffsetDelta === 0
    );
  }

  append(batch: { bytes: Uint8Array; header: BatchHeader }, options: { acks: 1 | -1 }): AppendTicket {
    if (!this.isLeader()) return { placement: notLeader, replicated: Promise.resolve(notLeader) };
    const { header } = batch;
    // Only an idempotent producer's batch has a sequence range to check and record.
    const producerBatch = header.producerId >= 0n ? producerBatchOf(header) : null;
    if (producerBatch !== null) {
      if (this.producersTerm !== this.group.term) {
        // Batches written under other leaders reached this log by replication, never through this table.
        this.producers = this.producerLog.copyTable();
        this.producersTerm = this.group.term;
      }
      const check = this.producers.check(producerBatch);
      if (check.kind === "error") {
        const error = { errorCode: errorCodeByName(check.error), errorMessage: check.message };
        return { placement: error, replicated: Promise.resolve(error) };
      }
      if (check.kind === "duplicate") {
        // A retry: answer with the original offsets once the original is as durable as asked.
        const { baseOffset, lastOffset, timestampMs } = check.placement;
        const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime;
        const placement = { baseOffset, lastOffset, logAppendTimeMs: logAppendTime ? timestampMs : -1 };
        return { placement, replicated: this.replication(placement.lastOffset, options.acks) };
      }
    }
    // The batch may be a view into the request's socket chunk; the Raft log store copies what it keeps.
    const proposed = this.group.propose([
      { recordCount: header.recordCount, byteSize: batch.bytes.length, payload: batch.bytes },
    ]);
    if (!proposed.ok) {
      // Leadership moving means "ask the new leader"; a full uncommitted window means "retry shortly".
      const moving = proposed.refusal === "notLeader" || proposed.refusal === "transferring";
      const error = moving
        ? notLeader
        : {
            errorCode: ErrorCode.NotEnoughReplicas,
            errorMessage: `the partition refused the append: ${proposed.refusal}`,
          };
      return { placement: error, replicated: Promise.resolve(error) };
    }
    const lastOffset = proposed.lastOffset;
    const baseOffset = lastOffset - header.lastOffsetDelta;
    const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime;
    const logAppendTimeMs = logAppendTime ? Number(header.maxTimestamp) : -1;
    if (producerBatch !== null)
      this.producers.record(producerBatch, {
        baseOffset,
        lastOffset,
        timestampMs: Number(header.maxTimestamp),
      });
    return {
      placement: { baseOffset, lastOffset, logAppendTimeMs },
      replicated: this.replication(lastOffset, options.acks),
    };
  }

  private replication(lastOffset: number, acks: 1 | -1): Promise<ReplicaError | null> {
    const durable =
      acks === -1 ? this.group.waitForCommit(lastOffset) : this.group.waitForPersisted(lastOffset);
    return durable.then(
      () => null,
      (error: unknown) => ({
        errorCode: ErrorCode.NotLeaderOrFollower,
        errorMessage: `not replicated: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
  }

  read(
    offset: number,
    options: { maxBytes: number; maxOffset: number; minOneBatch?: boolean },
  ): ReadOutcome | ReplicaError {
    try {
      const result = this.log.read(offset, options);
      return {
        records: result.bytes,
        highWatermark: this.highWatermark.value,
        consumerHighWatermark: this.consumerHighWatermark(),
        logStartOffset: this.log.logStartOffset,
      };
    } catch (error) {
      if (!(error instanceof OffsetOutOfRangeError)) throw error;
      return { errorCode: ErrorCode.OffsetOutOfRange, errorMessage: error.message };
    }
  }

  offsetForTimestamp(timestampMs: number): TimestampedOffset | null {
    const batchOffset = this.log.offsetForTimestamp(timestampMs);
    if (batchOffset === null || batchOffset >= this.highWatermark.value) return null;
    // The log answers at batch granularity; the exact record is found inside that batch (or the next ones).
    for (const { baseOffset, record } of this.recordsFrom(batchOffset)) {
      if (record.timestamp >= timestampMs)
        return { offset: baseOffset + record.offsetDelta, timestampMs: record.timestamp };
    }
    return null;
  }

  maxTimestamp(): TimestampedOffset | null {
    let best: TimestampedOffset | null = null;
    for (const { baseOffset, record } of this.recordsFrom(this.log.logStartOffset)) {
      if (!best || record.timestamp > best.timestampMs) {
        best = { offset: baseOffset + record.offsetDelta, timestampMs: record.timestamp };
      }
    }
    return best;
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return endOffsetForEpoch(this.log.epochs.all(), epoch, this.log.logEndOffset);
  }

  /**
   * Applied to this node's log only, which is right for a group of one voter (standalone). In a replicated
   * cluster this must become a replicated operation — a control or metadata record carrying the new log start
   * offset, applied by every replica when committed — or followers keep the records and a new leader serves
   * them again. Reads below the new start then fail with OFFSET_OUT_OF_RANGE (the log's OffsetOutOfRangeError),
   * which makes consumers reset.
   */
  async deleteRecordsBefore(offset: number): Promise<number | ReplicaError> {
    if (!this.isLeader()) return notLeader;
    if (offset < 0 || offset > this.highWatermark.value) {
      return {
        errorCode: ErrorCode.OffsetOutOfRange,
        errorMessage: `offset ${offset} is outside [0, ${this.highWatermark.value}] (the high watermark)`,
      };
    }
    try {
      return this.log.deleteRecords(offset);
    } catch (error) {
      if (error instanceof OffsetOutOfRangeError) {
        return { errorCode: ErrorCode.OffsetOutOfRange, errorMessage: error.message };
      }
      if (error instanceof StorageError) {
        return { errorCode: ErrorCode.KafkaStorageError, errorMessage: error.message };
      }
      throw error;
    }
  }

  sizeBytes(): number {
    return this.log.sizeBytes;
  }

  /** Every committed record from the batch holding `offset` on (timestamp look-ups; not a hot path). */
  private *recordsFrom(offset: number) {
    for (const { header, bytes } of batchesFrom(this.log, offset, this.highWatermark.value)) {
      if (isControlBatch(header.attributes)) continue;
      for (const record of readAllRecords(bytes, { decompressedBytesMax: timestampLookupBytesMax })) {
        yield { baseOffset: Number(header.baseOffset), record };
      }
    }
  }
}
