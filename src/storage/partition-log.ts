// A partition's log (Kafka's UnifiedLog, and the Raft log of the partition's group): segments of record
// batches on local disk, read back as slices of the stored bytes. This file is the log's surface and its
// offsets — log start, high watermark, recovery point, flushed — and says what each change means for them; the
// parts live beside it, one concept each:
// - append-staging.ts: the appends of one event-loop turn are staged and written together by one pwritev at
//   the turn's end; then one fdatasync covers everything written before it began (group commit), so a write
//   syscall and a sync are shared by every concurrent appender (bench/storage.bench.ts).
// - log-segments.ts: the segment list, reads, and the mechanics of truncation, retention and rolls.
// - checkpoint-file.ts: the recovery checkpoint, written at once or in the background.
// - leader-epoch-file.ts: the leader-epoch cache's saving.
// Reads: synchronous preads from a pooled descriptor into one fresh, unzeroed buffer holding whole batches
// exactly as stored (one copy out of the page cache; 3-5 GB/s here, on par with the async
// Bun.file().slice(), and usable from synchronous code); Bun.listen sockets take bytes, not file ranges.
// Offsets are JS numbers (exact to 2^53); batch headers carry them as int64 and are converted at the edge.

import { assert } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import { readInt32 } from "../protocol/primitives/big-endian.ts";
import { batchHeaderBytes, batchOffsets, batchSizeAt } from "../protocol/records/batch-header.ts";
import { type AppendResult, AppendStaging } from "./append-staging.ts";
import { CheckpointFile } from "./checkpoint-file.ts";
import { encodeCheckpoint } from "./checkpoint-format.ts";
import type { FilePool } from "./file-pool.ts";
import { GroupCommit, type SyncStart } from "./group-commit.ts";
import type { LeaderEpochCache } from "./leader-epoch-cache.ts";
import { LeaderEpochFile } from "./leader-epoch-file.ts";
import type { ReadResult } from "./log-batches.ts";
import type { LogConfig } from "./log-config.ts";
import type { LogListener } from "./log-listener.ts";
import { type LogLine, loadLog } from "./log-recovery.ts";
import { LogSegments } from "./log-segments.ts";
import { decideRetention, type RetentionDecision, type SegmentSummary } from "./retention.ts";
import type { CleanedSegmentIndex, Segment } from "./segment.ts";
import { type SwapHook, swapInCleaned } from "./segment-swap.ts";
import { describeError, OffsetOutOfRangeError, StorageError } from "./storage-error.ts";

export interface PartitionLogOptions {
  dir: string;
  config: LogConfig;
  pool: FilePool;
  /** Monotonic for flush.ms, segment.ms and write pacing; wall for retention.ms against record timestamps. */
  clock: Clock;
  log?: LogLine;
}

/** Segments one read of a compacted log may cross while it has found only emptied batches. */
const emptyReadSegmentsMax = 16;

/** Whether every batch in `bytes` (whole batches) holds no records. */
function onlyEmptyBatches(bytes: Uint8Array): boolean {
  for (let at = 0; at + batchHeaderBytes <= bytes.length; at += batchSizeAt(bytes, at)) {
    if (readInt32(bytes, at + batchOffsets.recordCount) !== 0) return false;
  }
  return true;
}

export class PartitionLog {
  readonly dir: string;
  /** The topic's settings; reconfigure() changes them. */
  private settings: LogConfig;

  get config(): LogConfig {
    return this.settings;
  }
  logStartOffset: number;
  /** Set by the caller (the Raft commit index); reads for consumers stop here. */
  highWatermark: number;
  /** Offsets below this were synced and checkpointed: recovery scans from here. */
  recoveryPoint: number;
  readonly epochs: LeaderEpochCache;
  private readonly segments: LogSegments;
  private readonly pool: FilePool;
  private readonly clock: Clock;
  private readonly logLine: LogLine;
  private readonly commit: GroupCommit;
  private readonly staging: AppendStaging;
  private readonly epochFile: LeaderEpochFile;
  private readonly checkpointFile: CheckpointFile;
  private failure: StorageError | null = null;
  private lastFlushMs: number;
  private closed = false;
  private listener: LogListener | null = null;

  private constructor(options: PartitionLogOptions) {
    this.dir = options.dir;
    this.settings = options.config;
    this.pool = options.pool;
    this.clock = options.clock;
    this.logLine = options.log ?? ((line) => console.warn(line));
    const loaded = loadLog(this.pool, this.dir, this.logLine, this.config.indexIntervalBytes);
    this.segments = new LogSegments(this.pool, this.dir, loaded.segments);
    this.logStartOffset = loaded.logStartOffset;
    this.epochs = loaded.epochs;
    this.epochFile = new LeaderEpochFile(this.pool.storageFs, this.dir, this.epochs, this.logLine);
    // What recovery accepted is synced now, so it is durable before anything is served or built on it.
    for (const segment of loaded.scanned) segment.datasyncSync();
    this.recoveryPoint = this.logEndOffset;
    this.highWatermark = this.logStartOffset;
    this.lastFlushMs = this.clock.monotonicMs();
    if (this.active.sizeBytes > 0) this.active.rollStartMs = this.lastFlushMs;
    this.commit = new GroupCommit(
      this.logEndOffset,
      () => this.startSync(),
      (error) => this.failWith(error),
    );
    this.staging = new AppendStaging(this.stagingLog(), this.clock);
    if (loaded.epochsChanged) this.epochFile.write();
    this.checkpointFile = new CheckpointFile(
      this.pool.storageFs,
      this.dir,
      this.logLine,
      encodeCheckpoint(loaded.checkpoint),
    );
    this.writeCheckpoint();
  }

  /** Opens (recovering if needed) or creates the log in `dir`; throws StorageError if it cannot open. */
  static open(options: PartitionLogOptions): PartitionLog {
    return new PartitionLog(options);
  }

  /** The file system this log's files live on (the cleaner writes its copies beside them). */
  get storageFs() {
    return this.pool.storageFs;
  }

  get logEndOffset(): number {
    return this.active.endOffset;
  }

  /** Offsets below this are on disk: Raft's "persisted up to". */
  get flushedOffset(): number {
    return this.commit.flushedOffset;
  }

  get segmentCount(): number {
    return this.segments.count;
  }

  get sizeBytes(): number {
    return this.segments.sizeBytes;
  }

  get syncCount(): number {
    return this.commit.syncCount;
  }

  /** The error that took this log offline (a failed fdatasync), or null. */
  get offlineError(): StorageError | null {
    return this.failure;
  }

  /** From now on tells `listener` of every append, roll, truncation and log-start move (null: no one). */
  setListener(listener: LogListener | null): void {
    this.listener = listener;
  }

  segmentBaseOffsets(): number[] {
    return this.segments.baseOffsets();
  }

  /**
   * Appends one or more whole batches as leader: stamps each batch's baseOffset and partitionLeaderEpoch
   * in `bytes` (in place) and resolves once they are durable per the flush policy ("every": after the
   * fdatasync covering them; otherwise once written). The log keeps `bytes` until the promise settles (it
   * is written at the end of the turn), so the caller must not change it before then.
   */
  async append(bytes: Uint8Array, options: { leaderEpoch: number }): Promise<AppendResult> {
    const { result, drained } = this.staging.stage(bytes, { leaderEpoch: options.leaderEpoch });
    await drained;
    if (this.config.flushPolicy === "every") await this.commit.waitFor(result.lastOffset + 1);
    return result;
  }

  /** Appends batches that already carry offsets and epochs (a follower copying the leader's log). */
  async appendReplicated(bytes: Uint8Array): Promise<AppendResult> {
    const { result, drained } = this.staging.stage(bytes, { leaderEpoch: null });
    await drained;
    if (this.config.flushPolicy === "every") await this.commit.waitFor(result.lastOffset + 1);
    return result;
  }

  /**
   * Writes the appends staged so far now instead of at the end of the turn: for a caller that has already
   * gathered a turn's batches (the Raft store writes one Ready at a time), the wait would only add latency.
   */
  writeStaged(): void {
    this.staging.drainIfPending();
  }

  /** Resolves when everything written so far is on disk. */
  async flush(): Promise<void> {
    this.throwIfOffline();
    await this.commit.waitFor(this.logEndOffset);
  }

  /** For the "interval" policy: starts a sync if flush.ms has passed (the log manager ticks this). */
  flushIfDue(): void {
    if (this.config.flushPolicy !== "interval" || this.failure) return;
    const nowMs = this.clock.monotonicMs();
    if (nowMs - this.lastFlushMs < this.config.flushIntervalMs) return;
    this.lastFlushMs = nowMs;
    this.commit
      .waitFor(this.logEndOffset)
      .catch((error) => this.logLine(`${this.dir}: flush failed: ${describeError(error)}`));
  }

  /**
   * The batches from the one holding `offset`: at most maxBytes, but always one whole batch if any — unless
   * `minOneBatch` is false, when a first batch larger than maxBytes is left for a later read (empty bytes).
   */
  read(offset: number, options: { maxBytes: number; maxOffset?: number; minOneBatch?: boolean }): ReadResult {
    this.staging.drain();
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.logEndOffset);
    }
    const upTo = Math.min(options.maxOffset ?? this.logEndOffset, this.logEndOffset);
    const read = this.segments.read(offset, upTo, {
      maxBytes: options.maxBytes,
      minOneBatch: options.minOneBatch ?? true,
    });
    return this.config.compaction === null ? read : this.pastEmptyBatches(read, upTo, options.maxBytes);
  }

  /**
   * A read of a compacted log that found only batches the cleaner emptied (a whole segment of them, where a
   * read stops) goes on into the next segments while the bytes allow: a client that advances only past the
   * records it sees (kafkajs) would otherwise fetch the same empty batches forever. Bounded by
   * emptyReadSegmentsMax segments.
   */
  private pastEmptyBatches(read: ReadResult, upTo: number, maxBytes: number): ReadResult {
    let result = read;
    for (let extra = 0; extra < emptyReadSegmentsMax; extra++) {
      if (result.bytes.length === 0 || result.bytes.length >= maxBytes || result.nextOffset >= upTo) break;
      if (!onlyEmptyBatches(result.bytes)) break;
      const more = this.segments.read(result.nextOffset, upTo, {
        maxBytes: maxBytes - result.bytes.length,
        minOneBatch: false,
      });
      if (more.bytes.length === 0) break;
      const joined = new Uint8Array(result.bytes.length + more.bytes.length);
      joined.set(result.bytes);
      joined.set(more.bytes, result.bytes.length);
      result = { bytes: joined, nextOffset: more.nextOffset };
    }
    return result;
  }

  /** Offset of the first batch whose max timestamp is ≥ `timestampMs`, or null (ListOffsets by time). */
  offsetForTimestamp(timestampMs: number): number | null {
    this.staging.drain();
    return this.segments.offsetForTimestamp(timestampMs, this.logStartOffset);
  }

  /** Drops every batch from the one holding `offset` on (a divergent suffix); returns the new log end. */
  truncate(offset: number): number {
    this.staging.drain();
    if (offset >= this.logEndOffset) return this.logEndOffset;
    // The log start never moves back: a cut in the batch that holds it leaves the log empty at it.
    if (this.segments.cutsLogStart(offset, this.logStartOffset)) {
      this.restartAt(Math.min(offset, this.logStartOffset));
      return this.logEndOffset;
    }
    this.segments.truncateTail(offset);
    try {
      this.active.datasyncSync();
    } catch (error) {
      throw this.failWith(error);
    }
    this.pool.storageFs.syncDir(this.dir);
    const endOffset = this.logEndOffset;
    assert(endOffset <= offset && endOffset > this.logStartOffset, `truncated to ${endOffset} for ${offset}`);
    this.commit.truncated(endOffset, `log truncated to ${endOffset}`);
    this.highWatermark = Math.min(this.highWatermark, endOffset);
    this.epochFile.truncateFromEnd(endOffset);
    if (this.recoveryPoint > endOffset) {
      this.recoveryPoint = endOffset;
      this.writeCheckpoint();
    }
    this.listener?.onTruncate(endOffset);
    return endOffset;
  }

  /**
   * Empties the log and begins it again at `offset` (a replica restarting at the leader's log start); with
   * `leaderEpoch`, the leader-epoch history begins with that epoch at `offset` (the leader's first batch's).
   */
  restartAt(offset: number, leaderEpoch?: number): void {
    this.staging.drain();
    this.segments.restartAt(offset, this.config.indexIntervalBytes);
    this.logStartOffset = offset;
    this.highWatermark = offset;
    this.recoveryPoint = offset;
    this.commit.truncated(offset, `log restarted at ${offset}`);
    this.epochFile.clear();
    if (leaderEpoch !== undefined) this.epochFile.assignFrom([{ leaderEpoch, baseOffset: offset }]);
    this.writeCheckpoint();
    this.listener?.onRestart(offset);
  }

  /** DeleteRecords: advances the log start offset (≤ high watermark) and deletes segments wholly below it. */
  deleteRecords(offset: number): number {
    if (offset > this.highWatermark) {
      throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.highWatermark);
    }
    return this.advanceLogStart(offset);
  }

  /**
   * Moves the log start offset up to `offset` and deletes the segments wholly below it; an offset at or below
   * the start changes nothing. For a decision already made safe by the caller: a partition replica applying a
   * committed LOG_START record (raft-replica.ts), which may run ahead of the high watermark this log was told.
   */
  advanceLogStart(offset: number): number {
    this.staging.drain();
    assert(
      offset <= this.logEndOffset,
      `${this.dir}: log start ${offset} past the log end ${this.logEndOffset}`,
    );
    if (offset <= this.logStartOffset) return this.logStartOffset;
    this.logStartOffset = offset;
    this.segments.forgetCursor();
    this.epochFile.truncateFromStart(offset);
    this.writeCheckpoint();
    this.listener?.onStartAdvance(this.logStartOffset);
    this.deleteSegments(this.decideRetention({ byTimeAndSize: false }));
    return this.logStartOffset;
  }

  /** Deletes whole segments past retention.ms / retention.bytes or below the log start offset. */
  applyRetention(): RetentionDecision {
    const decision = this.decideRetention({ byTimeAndSize: true });
    if (decision.deleteCount === 0) return decision;
    // Advance the start first and persist it, so a crash mid-delete never serves a hole.
    const firstKept = this.segments.all[decision.deleteCount]!;
    if (firstKept.baseOffset > this.logStartOffset) {
      this.logStartOffset = firstKept.baseOffset;
      this.epochFile.truncateFromStart(this.logStartOffset);
      this.writeCheckpoint();
      this.listener?.onStartAdvance(this.logStartOffset);
    }
    this.deleteSegments(decision);
    return decision;
  }

  /**
   * Where retention.ms and retention.bytes would move the log start now (the base of the first segment they
   * keep), or null when they delete nothing. A replicated partition's leader proposes this as a LOG_START
   * record instead of deleting on its own, so that every replica moves to the same start.
   */
  retentionLogStart(): number | null {
    const decision = this.decideRetention({ byTimeAndSize: true });
    if (decision.deleteCount === 0) return null;
    const firstKept = this.segments.all[decision.deleteCount]!.baseOffset;
    return firstKept > this.logStartOffset ? firstKept : null;
  }

  private decideRetention(options: { byTimeAndSize: boolean }): RetentionDecision {
    this.staging.drain();
    return decideRetention({
      segments: this.segments.summaries(),
      logStartOffset: this.logStartOffset,
      // What lies below the log start was committed, even where this replica was not yet told so.
      highWatermark: Math.max(this.highWatermark, this.logStartOffset),
      retentionMs: options.byTimeAndSize ? this.config.retentionMs : -1,
      retentionBytes: options.byTimeAndSize ? this.config.retentionBytes : -1,
      wallMs: this.clock.wallMs(),
    });
  }

  /** Deletes the oldest segments the decision names; the log start already lies at or past their end. */
  private deleteSegments(decision: RetentionDecision): void {
    if (decision.deleteCount === 0) return;
    this.segments.forgetCursor();
    this.segments.deleteOldest(decision.deleteCount);
    this.logLine(`${this.dir}: deleted ${decision.deleteCount} segment(s) (${decision.reason})`);
  }

  /** The segments, oldest first, the last one active: what the cleaner decides on (cleaner-decisions.ts). */
  segmentSummaries(): SegmentSummary[] {
    this.staging.drain();
    return this.segments.summaries();
  }

  /** The inactive segments wholly below `endOffset`, oldest first: what a cleaning pass reads. */
  inactiveSegmentsBelow(endOffset: number): Segment[] {
    this.staging.drain();
    return this.segments.all.slice(0, -1).filter((segment) => segment.endOffset <= endOffset);
  }

  /**
   * Swaps in the cleaned copy of `segment` the cleaner wrote and fsynced beside it (segment-swap.ts); false,
   * and the copy left for the caller to delete, when the segment is no longer part of the log (retention, a
   * restart or a truncation took it while the copy was written). Offsets, the log start and the high
   * watermark stay; reads from now on see the cleaned batches.
   */
  swapCleanedSegment(segment: Segment, index: CleanedSegmentIndex, hook?: SwapHook): boolean {
    this.throwIfOffline();
    this.staging.drain();
    if (!this.segments.holdsInactive(segment)) return false;
    let fresh: Segment;
    try {
      fresh = swapInCleaned(this.pool, segment, {
        index,
        indexIntervalBytes: this.config.indexIntervalBytes,
        hook,
      });
    } catch (error) {
      // Half a swap cannot be undone in memory: the next open finishes it (completeInterruptedSwaps).
      this.failure ??= new StorageError(
        `${this.dir}: swapping in a cleaned segment failed, log offline until reopened: ${describeError(error)}`,
        { cause: error },
      );
      this.logLine(this.failure.message);
      throw this.failure;
    }
    this.segments.replace(segment, fresh);
    return true;
  }

  /**
   * The topic's configs changed (AlterConfigs, or the metadata replayed after the log opened with defaults):
   * the next appends, rolls, flushes and retention checks follow `config`, as Kafka's updateConfig.
   */
  reconfigure(config: LogConfig): void {
    this.settings = config;
    this.active.indexIntervalBytes = config.indexIntervalBytes;
  }

  /** Rolls to a new segment now (also done automatically at segment.bytes and segment.ms). */
  roll(): void {
    this.throwIfOffline();
    this.staging.drain();
    const old = this.active;
    if (old.sizeBytes === 0) return;
    try {
      // An inactive segment is trusted at its file's length by the next open, so no zeros may follow it.
      old.trimZeroAhead();
    } catch (error) {
      throw new StorageError(`${this.dir}: cannot trim ${old.logPath} to roll: ${describeError(error)}`, {
        cause: error,
      });
    }
    try {
      old.datasyncSync();
    } catch (error) {
      throw this.failWith(error);
    }
    old.seal();
    this.commit.synced(this.logEndOffset);
    this.segments.startSegment(this.logEndOffset, this.config.indexIntervalBytes);
    this.recoveryPoint = this.logEndOffset;
    // Off the event loop, like the manager's: an older checkpoint only means a longer scan at the next open.
    void this.checkpointFile.writeInBackground(this.checkpointText());
    this.listener?.onRoll(this.logEndOffset);
  }

  /** Writes the recovery point (what is flushed) and log start offset atomically and durably. */
  checkpoint(): void {
    this.prepareCheckpoint();
    this.writeCheckpoint();
  }

  /**
   * checkpoint() for the manager's periodic round: the file is written and fsynced on the thread pool, so
   * the partitions' produces never wait for it. Resolves once it is durable, dropped (a newer checkpoint
   * overtook it) or failed (logged: the older checkpoint only means a longer scan at the next open).
   */
  checkpointInBackground(): Promise<void> {
    this.prepareCheckpoint();
    return this.checkpointFile.writeInBackground(this.checkpointText());
  }

  /** Flushes, checkpoints and closes the files; the next open then needs no recovery scan. */
  async close(): Promise<void> {
    this.closed = true;
    this.checkpointFile.silence();
    this.staging.drain();
    if (this.failure === null) {
      await this.commit.waitFor(this.logEndOffset);
      this.trimActiveForClose();
      this.checkpoint();
      this.listener?.onClose(this.logEndOffset);
    }
    this.segments.closeAll();
  }

  private get active(): Segment {
    return this.segments.active;
  }

  /** What staging needs of this log, as closures: the log's own state stays private. */
  private stagingLog() {
    return {
      dir: this.dir,
      epochFile: this.epochFile,
      active: () => this.active,
      segmentBytes: () => this.config.segmentBytes,
      throwIfOffline: () => this.throwIfOffline(),
      rollIfDue: (incomingBytes: number, lastOffset: number) => this.rollIfDue(incomingBytes, lastOffset),
      staged: (bytes: Uint8Array) => this.listener?.onAppend(bytes),
      undone: (endOffset: number, error: StorageError) => {
        // Only appends never written are undone: nothing synced, so nothing acknowledged, is lost.
        assert(
          endOffset >= this.commit.flushedOffset,
          `undid to ${endOffset} below flushed ${this.commit.flushedOffset}`,
        );
        this.segments.forgetCursor();
        this.commit.dropAbove(endOffset, error);
        this.listener?.onTruncate(endOffset);
      },
    };
  }

  /** Rolls before an append of `incomingBytes` ending at `lastOffset` at segment.bytes, segment.ms or int32 offsets. */
  private rollIfDue(incomingBytes: number, lastOffset: number): void {
    const active = this.active;
    if (active.sizeBytes === 0) return;
    const full = active.sizeBytes + incomingBytes > this.config.segmentBytes;
    const born = active.rollStartMs;
    // A compacted log also rolls at max.compaction.lag.ms, so no record waits in the active segment past it.
    const rollMs = Math.min(
      this.config.segmentMs,
      this.config.compaction?.maxCompactionLagMs ?? Number.MAX_SAFE_INTEGER,
    );
    const old = born !== null && this.clock.monotonicMs() - born > rollMs;
    if (full || old || !active.fitsOffsets(lastOffset)) this.roll();
  }

  /** The file then ends at its last batch, so the checkpoint lets the next open trust it unscanned. */
  private trimActiveForClose(): void {
    try {
      this.active.trimZeroAhead();
    } catch (error) {
      // Harmless: the checkpoint then names a length the file does not have, and the next open scans it.
      this.logLine(`${this.dir}: cannot trim the active segment at close: ${describeError(error)}`);
    }
  }

  private startSync(): SyncStart {
    this.staging.drain();
    const upTo = this.logEndOffset;
    const lease = this.pool.acquire(this.active.logPath);
    this.lastFlushMs = this.clock.monotonicMs();
    const done = this.pool.storageFs.datasync(lease.fd).finally(() => lease.release());
    return { upTo, done };
  }

  /** A failed fdatasync leaves the page cache in an unknown state (fsyncgate): the log goes offline. */
  private failWith(error: unknown): StorageError {
    if (this.failure === null) {
      this.failure = new StorageError(
        `${this.dir}: fdatasync failed, log offline until reopened: ${describeError(error)}`,
        { cause: error },
      );
      this.logLine(this.failure.message);
    }
    return this.failure;
  }

  private throwIfOffline(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closed) throw new StorageError(`${this.dir}: log is closed`);
  }

  private prepareCheckpoint(): void {
    this.staging.drain();
    for (const segment of this.segments.all) segment.writeIndexes();
    this.recoveryPoint = this.commit.flushedOffset;
  }

  private checkpointText(): string {
    // The checkpoint tells the next open what it may trust unscanned: never more than is on disk.
    assert(
      this.recoveryPoint <= this.commit.flushedOffset && this.recoveryPoint <= this.logEndOffset,
      `${this.dir}: recovery point ${this.recoveryPoint} past flushed ${this.commit.flushedOffset}`,
    );
    const active = this.active;
    const allSynced = this.recoveryPoint === this.logEndOffset && active.writtenBytes === active.sizeBytes;
    return encodeCheckpoint({
      recoveryPoint: this.recoveryPoint,
      logStartOffset: this.logStartOffset,
      activeSegmentBytes: allSynced ? active.sizeBytes : -1,
    });
  }

  /** Durable on return; drops any background checkpoint still in flight (checkpoint-file.ts). */
  private writeCheckpoint(): void {
    this.checkpointFile.write(this.checkpointText());
  }
}

export type { AppendResult } from "./append-staging.ts";
export type { ReadResult } from "./log-batches.ts";
