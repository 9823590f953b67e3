// A partition replica whose log is replicated by its Raft group: the production PartitionReplica. Standalone
// runs the same code with a group of one voter, which commits on its own fsync (DESIGN.md decision 2).
//
// append() proposes the batch to the group, which assigns its offsets at once (phase one, in request order);
// acks=1 then waits until the leader's own log is durable past it, acks=-1 until the group commits it (the high
// watermark passes it). Idempotent batches are checked and recorded against the producer table in the same
// synchronous step, so a retry can never slip in between. That table starts, at open and whenever this replica
// leads a new term, as a copy of the producer state its log holds (producer-state-log.ts: every stored batch,
// snapshotted at each segment roll), so batches replicated here as a follower are known to it as a leader.
//
// The log start moves only through the log: DeleteRecords, retention and __consumer_offsets compaction make the
// leader append a LOG_START control record (control-record.ts) carrying the new start, and every replica —
// the leader included — moves its own log start when that record is committed (its high watermark passes it).
// So all replicas end with the same log start, and a new leader, whose log holds every committed record, never
// serves deleted records again. Retention is decided the same way, by the leader alone: each replica deciding
// for itself (Kafka's way) would delete at its own moment and at its own segment boundaries, so replicas would
// disagree on the log start and a new leader could serve records the old one had already deleted.

import { assert } from "../base/assert.ts";
import { ErrorCode, errorCodeByName } from "../protocol/error-codes.ts";
import {
  type BatchHeader,
  isControlBatch,
  isTransactionalBatch,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
} from "../protocol/records/batch-header.ts";
import { readAllRecords } from "../protocol/records/batch-records.ts";
import {
  buildControlBatch,
  buildLogStartBatch,
  ControlRecordType,
  encodeEndTxnMarker,
} from "../protocol/records/control-record.ts";
import { leaderEpochOfTerm, type Proposal, type ProposeResult } from "../raft/core/index.ts";
import type { PartitionSnapshotState } from "../raft/node/partition-snapshot.ts";
import type { PartitionLog } from "../storage/index.ts";
import { OffsetOutOfRangeError, StorageError } from "../storage/index.ts";
import type { AbortedTransaction } from "./aborted-transactions.ts";
import { type EpochEndOffset, endOffsetForEpoch } from "./epoch-end-offset.ts";
import { HighWatermark } from "./high-watermark.ts";
import { batchesFrom } from "./log-walk.ts";
import type {
  AppendTicket,
  MarkerInput,
  PartitionReplica,
  ReadOutcome,
  ReplicaError,
  TimestampedOffset,
} from "./partition-replica.ts";
import { type ProducerSnapshotEntry, type ProducerStateTable, producerBatchOf } from "./producer-state.ts";
import { ProducerStateLog, type ProducerStateLogOptions } from "./producer-state-log.ts";
import { decodeProducerSnapshot, encodeProducerSnapshot } from "./producer-state-snapshot.ts";

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
  /** Whether the group's log (written or not yet) holds the batch at `offset` in `term`. */
  holds(offset: number, term: number): boolean;
}

/** The LOG_START records this replica's log store has written (raft/node's LogStartRecords). */
export interface LogStartFeed {
  /** Forgets the records below highWatermark and answers the largest start those `holds` confirms decide. */
  takeCommitted(highWatermark: number, holds: (offset: number, term: number) => boolean): number | null;
  /** Whether a known LOG_START record sits at offset. */
  isRecordAt(offset: number): boolean;
  /** Called after the store wrote records (a follower may learn a commit before the record it covers). */
  onWritten(listener: (() => void) | null): void;
}

/** Where the replica's part of partition snapshots plugs in (raft/node's PartitionLogStore). */
export interface SnapshotStatePort {
  attachSnapshotState(state: PartitionSnapshotState): void;
}

export interface RaftReplicaOptions extends ProducerStateLogOptions {
  /** The log store's snapshots; absent, a follower restarted by a snapshot keeps no producer state. */
  snapshots?: SnapshotStatePort;
  /** The log store's LOG_START records; absent, log-start moves are never applied (tests of appends alone). */
  logStarts?: LogStartFeed;
  /** The wall clock: the timestamp of the LOG_START records this replica appends as leader. */
  wallMs?: () => number;
}

/** How much a timestamp lookup may inflate one compressed batch to find the exact record. */
const timestampLookupBytesMax = 64 * 1024 * 1024;

const notLeader: ReplicaError = {
  errorCode: ErrorCode.NotLeaderOrFollower,
  errorMessage: "this broker is not the partition's leader",
};

/** Leadership moving means "ask the new leader"; a full uncommitted window means "retry shortly". */
function refusalError(refusal: string): ReplicaError {
  if (refusal === "notLeader" || refusal === "transferring") return notLeader;
  return {
    errorCode: ErrorCode.NotEnoughReplicas,
    errorMessage: `the partition refused the append: ${refusal}`,
  };
}

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
  private readonly logStarts: LogStartFeed | undefined;
  private readonly wallMs: () => number;
  private readonly logLine: (line: string) => void;
  /** The log-start moves this leader has asked for, one at a time (each waits for the one before). */
  private logStartMoves: Promise<unknown> = Promise.resolve();
  /** A committed log start not yet applied because the disk refused it; -1 when none. */
  private logStartDue = -1;
  /** Whether a retention move is asked for and not yet answered: retention checks never pile up. */
  private retentionMoving = false;

  constructor(
    readonly topicId: string,
    readonly topicName: string,
    readonly partition: number,
    private readonly group: ReplicatedLog,
    private readonly log: PartitionLog,
    options: RaftReplicaOptions = {},
  ) {
    this.highWatermark = new HighWatermark(Math.max(group.highWatermark, 0));
    this.producerLog = ProducerStateLog.open(log, options);
    this.producers = this.producerLog.copyTable();
    this.producersTerm = group.term;
    this.logStarts = options.logStarts;
    this.logLine = options.logLine ?? ((line) => console.warn(line));
    this.wallMs = options.wallMs ?? (() => -1);
    // The log opens with its high watermark at its start; a group restored from its hard state already knows
    // more, and onCommit only passes on increases, so DeleteRecords after a restart needs it here.
    log.highWatermark = Math.max(log.highWatermark, Math.min(this.highWatermark.value, log.logEndOffset));
    // Records committed before a restart but applied after it (the crash fell between): applied now.
    this.applyLogStarts(this.highWatermark.value);
    this.logStarts?.onWritten(() => this.applyLogStarts(this.highWatermark.value));
    options.snapshots?.attachSnapshotState({
      capture: (firstOffset) =>
        encodeProducerSnapshot(firstOffset, this.producerLog.entriesBelow(firstOffset)),
      install: (firstOffset, producerState) => this.installProducerState(firstOffset, producerState),
    });
  }

  /** A snapshot began the log again at firstOffset: the producers below it are the leader's. */
  private installProducerState(firstOffset: number, producerState: Uint8Array): void {
    let entries: ProducerSnapshotEntry[] = [];
    if (producerState.length > 0) {
      const decoded = decodeProducerSnapshot(producerState, firstOffset);
      // Inside a snapshot whose own CRC held: a bad table is a bug of the leader that built it.
      assert(typeof decoded !== "string", `producer state of a snapshot at ${firstOffset}: ${decoded}`);
      entries = decoded;
    }
    this.producerLog.install(firstOffset, entries);
    this.producers = this.producerLog.copyTable();
    this.producersTerm = this.group.term;
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
    // Before readers wake: none of them may be answered from below a start that is committed.
    this.applyLogStarts(highWatermark);
    this.highWatermark.advance(highWatermark);
  }

  /** Moves the log start as the committed LOG_START records this replica holds decide. */
  private applyLogStarts(highWatermark: number): void {
    const committed = this.logStarts?.takeCommitted(highWatermark, (offset, term) =>
      this.group.holds(offset, term),
    );
    const logStart = Math.max(committed ?? -1, this.logStartDue);
    if (logStart <= this.log.logStartOffset) return;
    try {
      // A record's start never lies past the record itself, which is in this log — unless its write failed and
      // was undone (the group then stops; the record, committed elsewhere, comes again on the next start).
      this.log.advanceLogStart(Math.min(logStart, this.log.logEndOffset));
      this.logStartDue = -1;
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      // The checkpoint could not be written (a full disk): the move is tried again at the next commit.
      this.logStartDue = logStart;
      this.logLine(`cannot move the log start to ${logStart} yet: ${error.message}`);
    }
  }

  /**
   * The committed end less the control batches that end it: LeaderChange batches and LOG_START records. A
   * LeaderChange is the first batch of its leader epoch and holds one offset, so only an epoch starting just
   * below the end can be one: the epoch cache says where to look, and a read of that one batch confirms it. The
   * LOG_START records are known by offset (LogStartFeed). Recomputed only when the end or the start moves.
   */
  consumerHighWatermark(): number {
    const highWatermark = this.highWatermark.value;
    const logStartOffset = this.log.logStartOffset;
    const cached = this.consumerEnd;
    if (cached.highWatermark === highWatermark && cached.logStartOffset === logStartOffset)
      return cached.value;
    let end = highWatermark;
    const epochs = this.log.epochs.all();
    let epochIndex = epochs.length - 1;
    while (end > logStartOffset) {
      while (epochIndex >= 0 && epochs[epochIndex]!.startOffset >= end) epochIndex -= 1;
      const epochStartsHere = epochIndex >= 0 && epochs[epochIndex]!.startOffset === end - 1;
      if (this.logStarts?.isRecordAt(end - 1) === true) {
        end -= 1;
      } else if (epochStartsHere && this.isSingleControlBatchAt(end - 1)) {
        end -= 1;
      } else {
        break;
      }
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
    // Only an idempotent producer's batch has a sequence range to check and record. The group coordinator's
    // transactional offset commits carry the producer but no sequence (Kafka's coordinator-origin appends);
    // clients cannot send such a batch (produce-validation.ts).
    const producerBatch =
      header.producerId >= 0n && header.baseSequence >= 0 ? producerBatchOf(header) : null;
    if (producerBatch !== null) {
      this.refreshProducers();
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
      const error = refusalError(proposed.refusal);
      return { placement: error, replicated: Promise.resolve(error) };
    }
    const lastOffset = proposed.lastOffset;
    const baseOffset = lastOffset - header.lastOffsetDelta;
    const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime;
    const logAppendTimeMs = logAppendTime ? Number(header.maxTimestamp) : -1;
    if (producerBatch !== null)
      this.producers.record(
        producerBatch,
        { baseOffset, lastOffset, timestampMs: Number(header.maxTimestamp) },
        { transactional: isTransactionalBatch(header.attributes) },
      );
    return {
      placement: { baseOffset, lastOffset, logAppendTimeMs },
      replicated: this.replication(lastOffset, options.acks),
    };
  }

  /**
   * A transaction marker (WriteTxnMarkers, from the transaction coordinator): a COMMIT or ABORT control batch
   * in the producer's name, answered once committed. A marker older than the producer's epoch is refused with
   * INVALID_PRODUCER_EPOCH (a newer coordinator has moved on); a newer one fences the producer's older epoch.
   */
  appendMarker(marker: MarkerInput): Promise<ReplicaError | null> {
    if (!this.isLeader()) return Promise.resolve(notLeader);
    this.refreshProducers();
    const refused = this.producers.checkMarker(marker.producerId, marker.producerEpoch);
    if (refused !== null)
      return Promise.resolve({ errorCode: ErrorCode.InvalidProducerEpoch, errorMessage: refused });
    const timestampMs = this.wallMs();
    const payload = buildControlBatch(
      {
        type: marker.commit ? ControlRecordType.Commit : ControlRecordType.Abort,
        value: encodeEndTxnMarker(marker.coordinatorEpoch),
        timestamp: timestampMs,
      },
      { producerId: marker.producerId, producerEpoch: marker.producerEpoch, transactional: true },
    );
    const proposed = this.group.propose([{ recordCount: 1, byteSize: payload.length, payload }]);
    if (!proposed.ok) return Promise.resolve(refusalError(proposed.refusal));
    this.producers.recordMarker({ ...marker, offset: proposed.lastOffset, timestampMs });
    return this.replication(proposed.lastOffset, -1);
  }

  /** The check table as of this term: batches written under other leaders reached the log by replication. */
  private refreshProducers(): void {
    if (this.producersTerm === this.group.term) return;
    this.producers = this.producerLog.copyTable();
    this.producersTerm = this.group.term;
  }

  /** The last stable offset: the consumer high watermark, held back by the oldest unfinished transaction. */
  lastStableOffset(): number {
    const end = this.consumerHighWatermark();
    const unstable = this.producerLog.firstUnstableOffset(this.highWatermark.value);
    return unstable === null ? end : Math.min(end, unstable);
  }

  abortedTransactions(fromOffset: number, upToOffset: number): AbortedTransaction[] {
    return this.producerLog.abortedTransactions(fromOffset, upToOffset);
  }

  activeProducers(): ProducerSnapshotEntry[] {
    return this.producerLog.activeProducers();
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
   * DeleteRecords, and the log-start moves of compaction and retention: appends a LOG_START record and answers
   * once it is committed, when every replica moves (or will move, as its commit catches up) its own log start
   * there. Moves are proposed one at a time; one already at or below the start changes nothing. Reads below the
   * new start then fail with OFFSET_OUT_OF_RANGE (the log's OffsetOutOfRangeError), which makes consumers reset.
   */
  deleteRecordsBefore(offset: number): Promise<number | ReplicaError> {
    const refused = this.refuseLogStart(offset);
    if (refused !== null) return Promise.resolve(refused);
    const moved = this.logStartMoves.then(() => this.moveLogStart(offset));
    this.logStartMoves = moved.catch(() => {});
    return moved;
  }

  /** Time and size retention, on the leader only: followers move when its LOG_START record commits. */
  applyRetention(): void {
    if (!this.isLeader() || this.retentionMoving) return;
    const logStart = this.log.retentionLogStart();
    if (logStart === null || logStart > this.highWatermark.value) return;
    this.retentionMoving = true;
    void this.deleteRecordsBefore(logStart).then((outcome) => {
      this.retentionMoving = false;
      if (typeof outcome !== "number")
        this.logLine(`retention could not move the log start to ${logStart}: ${outcome.errorMessage}`);
    });
  }

  private refuseLogStart(offset: number): ReplicaError | null {
    if (!this.isLeader()) return notLeader;
    if (offset < 0 || offset > this.highWatermark.value) {
      return {
        errorCode: ErrorCode.OffsetOutOfRange,
        errorMessage: `offset ${offset} is outside [0, ${this.highWatermark.value}] (the high watermark)`,
      };
    }
    return null;
  }

  private async moveLogStart(offset: number): Promise<number | ReplicaError> {
    const refused = this.refuseLogStart(offset);
    if (refused !== null) return refused;
    if (offset <= this.log.logStartOffset) return this.log.logStartOffset;
    if (this.log.offlineError !== null) {
      return { errorCode: ErrorCode.KafkaStorageError, errorMessage: this.log.offlineError.message };
    }
    const payload = buildLogStartBatch(offset, { timestamp: this.wallMs() });
    const proposed = this.group.propose([{ recordCount: 1, byteSize: payload.length, payload }]);
    if (!proposed.ok) return refusalError(proposed.refusal);
    const failed = await this.replication(proposed.lastOffset, -1);
    if (failed !== null) return failed;
    // onCommit applied the record in the turn the commit was learned, before this continuation runs.
    return this.log.logStartOffset;
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
