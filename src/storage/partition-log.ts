// A partition's log (Kafka's UnifiedLog, and the Raft log of the partition's group): segments of record
// batches on local disk, read back as slices of the stored bytes.
// Writes: the appends of one event-loop turn are staged and written together by one pwritev at the turn's
// end; then one fdatasync covers everything written before it began (group commit), so a write syscall
// and a sync are shared by every concurrent appender (bench/storage.bench.ts).
// Reads: synchronous preads from a pooled descriptor into one fresh, unzeroed buffer holding whole batches
// exactly as stored (one copy out of the page cache; 3-5 GB/s here, on par with the async
// Bun.file().slice(), and usable from synchronous code); Bun.listen sockets take bytes, not file ranges.
// Offsets are JS numbers (exact to 2^53); batch headers carry them as int64 and are converted at the edge.

import { join } from "node:path";
import { assert } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import { type BatchSpan, stampBatch } from "../protocol/records/batch-header.ts";
import { writeFileAtomic, writeFileAtomicInBackground } from "./atomic-file.ts";
import { encodeCheckpoint } from "./checkpoint-format.ts";
import type { FilePool } from "./file-pool.ts";
import { GroupCommit, type SyncStart } from "./group-commit.ts";
import { encodeEpochEntries, type LeaderEpochCache } from "./leader-epoch-cache.ts";
import { zeroAheadDrainGapMsMax } from "./limits.ts";
import { lastOffsetDeltaAt, type ReadResult, readWholeBatches, validSpans } from "./log-batches.ts";
import type { LogConfig } from "./log-config.ts";
import type { LogListener } from "./log-listener.ts";
import { type LogLine, loadLog } from "./log-recovery.ts";
import { decideRetention, type RetentionDecision } from "./retention.ts";
import { Segment } from "./segment.ts";
import { checkpointFileName, leaderEpochFileName } from "./segment-name.ts";
import { type BatchInfo, batchInfoAt } from "./segment-scan.ts";
import { describeError, InvalidBatchError, OffsetOutOfRangeError, StorageError } from "./storage-error.ts";

export interface PartitionLogOptions {
  dir: string;
  config: LogConfig;
  pool: FilePool;
  /** Monotonic for flush.ms, segment.ms and write pacing; wall for retention.ms against record timestamps. */
  clock: Clock;
  log?: LogLine;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
}

interface ReadCursor {
  offset: number;
  segment: Segment;
  position: number;
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
  private segments: Segment[];
  private readonly pool: FilePool;
  private readonly clock: Clock;
  private readonly logLine: LogLine;
  private readonly commit: GroupCommit;
  private failure: StorageError | null = null;
  private readCursor: ReadCursor | null = null;
  private lastFlushMs: number;
  /** When the last drain wrote; -Infinity before the first. */
  private lastDrainMs = Number.NEGATIVE_INFINITY;
  /** Settles when this turn's staged appends are written (or failed); null when nothing is staged. */
  private drainGroup: PromiseWithResolvers<void> | null = null;
  private closed = false;
  /** The leader-epoch file lags memory after a failed write; see writeEpochs. */
  private epochsFileStale = false;
  /** What the checkpoint file holds (the last write that landed). */
  private lastCheckpointText: string | null = null;
  /** Bumped by every checkpoint write: a background one lands only if none began after it. */
  private checkpointGeneration = 0;
  private listener: LogListener | null = null;

  private constructor(options: PartitionLogOptions) {
    this.dir = options.dir;
    this.settings = options.config;
    this.pool = options.pool;
    this.clock = options.clock;
    this.logLine = options.log ?? ((line) => console.warn(line));
    const loaded = loadLog(this.pool, this.dir, this.logLine, this.config.indexIntervalBytes);
    this.segments = loaded.segments;
    this.logStartOffset = loaded.logStartOffset;
    this.epochs = loaded.epochs;
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
    if (loaded.epochsChanged) this.writeEpochs();
    this.lastCheckpointText = encodeCheckpoint(loaded.checkpoint);
    this.writeCheckpoint();
  }

  /** Opens (recovering if needed) or creates the log in `dir`; throws StorageError if it cannot open. */
  static open(options: PartitionLogOptions): PartitionLog {
    return new PartitionLog(options);
  }

  get logEndOffset(): number {
    return this.active.endOffset;
  }

  /** Offsets below this are on disk: Raft's "persisted up to". */
  get flushedOffset(): number {
    return this.commit.flushedOffset;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get sizeBytes(): number {
    return this.segments.reduce((total, segment) => total + segment.sizeBytes, 0);
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
    return this.segments.map((segment) => segment.baseOffset);
  }

  /**
   * Appends one or more whole batches as leader: stamps each batch's baseOffset and partitionLeaderEpoch
   * in `bytes` (in place) and resolves once they are durable per the flush policy ("every": after the
   * fdatasync covering them; otherwise once written). The log keeps `bytes` until the promise settles (it
   * is written at the end of the turn), so the caller must not change it before then.
   */
  async append(bytes: Uint8Array, options: { leaderEpoch: number }): Promise<AppendResult> {
    const { result, drained } = this.write(bytes, { leaderEpoch: options.leaderEpoch });
    await drained;
    if (this.config.flushPolicy === "every") await this.commit.waitFor(result.lastOffset + 1);
    return result;
  }

  /** Appends batches that already carry offsets and epochs (a follower copying the leader's log). */
  async appendReplicated(bytes: Uint8Array): Promise<AppendResult> {
    const { result, drained } = this.write(bytes, { leaderEpoch: null });
    await drained;
    if (this.config.flushPolicy === "every") await this.commit.waitFor(result.lastOffset + 1);
    return result;
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

  /** The batches from the one holding `offset`: at most maxBytes, but always one whole batch if any. */
  read(offset: number, options: { maxBytes: number; maxOffset?: number }): ReadResult {
    this.drainWrites();
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.logEndOffset);
    }
    const upTo = Math.min(options.maxOffset ?? this.logEndOffset, this.logEndOffset);
    const empty = { bytes: new Uint8Array(0), nextOffset: offset };
    if (offset >= upTo) return empty;
    const start = this.locate(offset);
    if (start === null) return empty;
    let endPosition = start.segment.sizeBytes;
    if (upTo < start.segment.endOffset) endPosition = start.segment.locate(upTo)?.position ?? endPosition;
    const found = readWholeBatches(start.segment, start.position, endPosition, options.maxBytes);
    if (found === null) return empty;
    this.readCursor = {
      offset: found.nextOffset,
      segment: start.segment,
      position: start.position + found.bytes.length,
    };
    return found;
  }

  /** Drops every batch from the one holding `offset` on (a divergent suffix); returns the new log end. */
  truncate(offset: number): number {
    this.drainWrites();
    if (offset >= this.logEndOffset) return this.logEndOffset;
    // The log start never moves back: a cut in the batch that holds it leaves the log empty at it.
    const holding = this.segments[this.floorSegmentIndex(offset)]!.locate(offset);
    if (offset <= this.logStartOffset || (holding !== null && holding.baseOffset <= this.logStartOffset)) {
      this.restartAt(Math.min(offset, this.logStartOffset));
      return this.logEndOffset;
    }
    this.readCursor = null;
    while (this.segments.length > 1 && this.active.baseOffset > offset) {
      this.segments.pop()!.deleteFiles();
    }
    this.active.truncateTo(offset);
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
    if (this.epochs.truncateFromEnd(endOffset)) this.writeEpochs();
    if (this.recoveryPoint > endOffset) {
      this.recoveryPoint = endOffset;
      this.writeCheckpoint();
    }
    this.listener?.onTruncate(endOffset);
    return endOffset;
  }

  /** Empties the log and begins it again at `offset` (a replica restarting at the leader's log start). */
  restartAt(offset: number): void {
    this.drainWrites();
    this.readCursor = null;
    // Newest first: a crash part way leaves an older, consistent prefix of the log.
    while (this.segments.length > 0) this.segments.pop()!.deleteFiles();
    const segment = Segment.create(this.pool, this.dir, offset);
    segment.indexIntervalBytes = this.config.indexIntervalBytes;
    this.segments.push(segment);
    this.pool.storageFs.syncDir(this.dir);
    this.logStartOffset = offset;
    this.highWatermark = offset;
    this.recoveryPoint = offset;
    this.commit.truncated(offset, `log restarted at ${offset}`);
    this.epochs.clear();
    this.writeEpochs();
    this.writeCheckpoint();
    this.listener?.onRestart(offset);
  }

  /** DeleteRecords: advances the log start offset (≤ high watermark) and deletes segments wholly below it. */
  deleteRecords(offset: number): number {
    if (offset > this.highWatermark) {
      throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.highWatermark);
    }
    if (offset <= this.logStartOffset) return this.logStartOffset;
    this.logStartOffset = offset;
    this.readCursor = null;
    if (this.epochs.truncateFromStart(offset)) this.writeEpochs();
    this.writeCheckpoint();
    this.listener?.onStartAdvance(this.logStartOffset);
    this.applyRetention();
    return this.logStartOffset;
  }

  /** Deletes whole segments past retention.ms / retention.bytes or below the log start offset. */
  applyRetention(): RetentionDecision {
    const decision = decideRetention({
      segments: this.segments.map((segment) => ({
        baseOffset: segment.baseOffset,
        endOffset: segment.endOffset,
        sizeBytes: segment.sizeBytes,
        maxTimestampMs: segment.maxTimestampMs,
      })),
      logStartOffset: this.logStartOffset,
      highWatermark: this.highWatermark,
      retentionMs: this.config.retentionMs,
      retentionBytes: this.config.retentionBytes,
      wallMs: this.clock.wallMs(),
    });
    if (decision.deleteCount === 0) return decision;
    this.readCursor = null;
    // Advance the start first and persist it, so a crash mid-delete never serves a hole.
    this.logStartOffset = Math.max(this.logStartOffset, this.segments[decision.deleteCount]!.baseOffset);
    if (this.epochs.truncateFromStart(this.logStartOffset)) this.writeEpochs();
    this.writeCheckpoint();
    for (const segment of this.segments.splice(0, decision.deleteCount)) segment.deleteFiles();
    this.pool.storageFs.syncDir(this.dir);
    this.logLine(`${this.dir}: deleted ${decision.deleteCount} segment(s) (${decision.reason})`);
    this.listener?.onStartAdvance(this.logStartOffset);
    return decision;
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
    this.drainWrites();
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
    let segment: Segment;
    try {
      segment = Segment.create(this.pool, this.dir, this.logEndOffset);
      this.pool.storageFs.syncDir(this.dir);
    } catch (error) {
      Segment.discard(this.pool, this.dir, this.logEndOffset);
      throw new StorageError(
        `${this.dir}: cannot create a segment at ${this.logEndOffset}: ${describeError(error)}`,
        { cause: error },
      );
    }
    segment.indexIntervalBytes = this.config.indexIntervalBytes;
    this.segments.push(segment);
    this.recoveryPoint = this.logEndOffset;
    // Off the event loop, like the manager's: an older checkpoint only means a longer scan at the next open.
    void this.startBackgroundCheckpoint();
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
    return this.startBackgroundCheckpoint();
  }

  private startBackgroundCheckpoint(): Promise<void> {
    const text = this.checkpointText();
    if (text === this.lastCheckpointText) return Promise.resolve();
    this.checkpointGeneration += 1;
    return this.writeCheckpointInBackground(text, this.checkpointGeneration);
  }

  private async writeCheckpointInBackground(text: string, generation: number): Promise<void> {
    try {
      const landed = await writeFileAtomicInBackground(
        this.pool.storageFs,
        join(this.dir, checkpointFileName),
        text,
        { tag: String(generation), isCurrent: () => generation === this.checkpointGeneration },
      );
      if (landed) this.lastCheckpointText = text;
    } catch (error) {
      if (!this.closed) this.logLine(`${this.dir}: cannot write the checkpoint: ${describeError(error)}`);
    }
  }

  private prepareCheckpoint(): void {
    this.drainWrites();
    for (const segment of this.segments) segment.writeIndexes();
    this.recoveryPoint = this.commit.flushedOffset;
  }

  /** Offset of the first batch whose max timestamp is ≥ `timestampMs`, or null (ListOffsets by time). */
  offsetForTimestamp(timestampMs: number): number | null {
    this.drainWrites();
    for (const segment of this.segments) {
      if (segment.maxTimestampMs < timestampMs) continue;
      const entry = segment.timeIndex.floor(timestampMs - 1);
      let offset = Math.max(
        entry ? segment.baseOffset + entry.value : segment.baseOffset,
        this.logStartOffset,
      );
      for (;;) {
        const batch = segment.locate(offset);
        if (batch === null) break;
        if (batch.maxTimestampMs >= timestampMs) return Math.max(batch.baseOffset, this.logStartOffset);
        offset = batch.lastOffset + 1;
      }
    }
    return null;
  }

  /** Flushes, checkpoints and closes the files; the next open then needs no recovery scan. */
  async close(): Promise<void> {
    this.closed = true;
    this.drainWrites();
    if (this.failure === null) {
      await this.commit.waitFor(this.logEndOffset);
      this.trimActiveForClose();
      this.checkpoint();
      this.listener?.onClose(this.logEndOffset);
    }
    for (const segment of this.segments) segment.close();
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

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Validates, rolls if due, stamps (leader) or checks (follower) and stages the batches; they are written
   * with the rest of this turn's appends when `drained` settles. No sync.
   */
  private write(
    bytes: Uint8Array,
    options: { leaderEpoch: number | null },
  ): { result: AppendResult; drained: Promise<void> } {
    this.throwIfOffline();
    if (this.epochsFileStale) this.writeEpochs();
    const spans = validSpans(bytes);
    let offsetCount = 0;
    for (const span of spans) offsetCount += lastOffsetDeltaAt(bytes, span.position) + 1;
    if (!this.active.canStage(bytes.length)) this.drainWrites();
    this.maybeRoll(bytes.length, this.logEndOffset + offsetCount - 1);
    const batches = this.stampOrCheck(bytes, spans, options.leaderEpoch);
    const first = batches[0]!;
    const last = batches[batches.length - 1]!;
    const segment = this.active;
    const position = segment.sizeBytes;
    this.persistNewEpochs(batches);
    segment.stage(bytes, first.baseOffset);
    segment.rollStartMs ??= this.clock.monotonicMs();
    for (const batch of batches) {
      batch.position += position;
      segment.observe(batch);
    }
    assert(
      this.logEndOffset === last.lastOffset + 1,
      `log end ${this.logEndOffset} after ${last.lastOffset}`,
    );
    this.listener?.onAppend(bytes);
    return {
      result: { baseOffset: first.baseOffset, lastOffset: last.lastOffset },
      drained: this.drainPromise(),
    };
  }

  /** Records and persists epochs these batches begin, before staging them: a failure leaves no trace. */
  private persistNewEpochs(batches: readonly BatchInfo[]): void {
    let changed = false;
    for (const batch of batches) changed = this.epochs.assign(batch.leaderEpoch, batch.baseOffset) || changed;
    if (!changed) return;
    try {
      this.writeEpochs();
    } catch (error) {
      // Memory goes back to what the file still holds.
      this.epochs.truncateFromEnd(batches[0]!.baseOffset);
      this.epochsFileStale = false;
      throw error;
    }
  }

  private stampOrCheck(
    bytes: Uint8Array,
    spans: readonly BatchSpan[],
    leaderEpoch: number | null,
  ): BatchInfo[] {
    let latestEpoch = this.epochs.latest()?.epoch ?? -1;
    let next = this.logEndOffset;
    const batches: BatchInfo[] = [];
    for (const span of spans) {
      if (leaderEpoch !== null) stampBatch(bytes, span.position, BigInt(next), leaderEpoch);
      const batch = batchInfoAt(bytes, span.position, span.position);
      if (batch.baseOffset !== next) {
        throw new InvalidBatchError(`batch at offset ${batch.baseOffset} where the log expects ${next}`);
      }
      if (batch.leaderEpoch < latestEpoch) {
        throw new InvalidBatchError(
          `leader epoch ${batch.leaderEpoch} is older than the log's ${latestEpoch}`,
        );
      }
      latestEpoch = batch.leaderEpoch;
      next = batch.lastOffset + 1;
      batches.push(batch);
    }
    return batches;
  }

  /**
   * Writes the appends staged so far now instead of at the end of the turn: for a caller that has already
   * gathered a turn's batches (the Raft store writes one Ready at a time), the wait would only add latency.
   */
  writeStaged(): void {
    if (this.drainGroup !== null) this.drainWrites();
  }

  /** This turn's drain, scheduled for the end of the turn so every append in it shares one pwritev. */
  private drainPromise(): Promise<void> {
    if (this.drainGroup === null) {
      const group = Promise.withResolvers<void>();
      // Awaited by every append of the group; the catch only keeps an unawaited rejection quiet.
      group.promise.catch(() => {});
      this.drainGroup = group;
      setImmediate(() => {
        if (this.drainGroup === group) this.drainWrites();
      });
    }
    return this.drainGroup.promise;
  }

  /**
   * Writes what this turn staged. A failed write (disk full, EIO) undoes exactly those appends — indexes,
   * epochs and end offset go back, leaving no half-indexed batch and no gap — and fails only them.
   */
  private drainWrites(): void {
    const group = this.drainGroup;
    this.drainGroup = null;
    const segment = this.active;
    // Every staged append awaits a drain group; staged bytes without one would never be written on time.
    assert(
      group !== null || segment.writtenBytes === segment.sizeBytes,
      `${this.dir}: staged without a drain`,
    );
    try {
      const staged = segment.sizeBytes > segment.writtenBytes;
      segment.drain(staged && this.drainsAreFrequent() ? this.config.segmentBytes : 0);
      group?.resolve();
    } catch (cause) {
      const stagedBytes = segment.sizeBytes - segment.writtenBytes;
      const endOffset = segment.discardStaged();
      // Only appends never written are undone: nothing synced, so nothing acknowledged, is lost.
      assert(
        endOffset >= this.commit.flushedOffset,
        `undid to ${endOffset} below flushed ${this.commit.flushedOffset}`,
      );
      const error = new StorageError(
        `${this.dir}: append of ${stagedBytes} bytes at offset ${endOffset} failed: ${describeError(cause)}`,
        { cause },
      );
      this.readCursor = null;
      this.commit.dropAbove(endOffset, error);
      this.listener?.onTruncate(endOffset);
      if (this.epochs.truncateFromEnd(endOffset)) this.writeEpochsQuietly();
      group?.reject(error);
    }
  }

  /** Whether this drain follows the last closely enough for zeros written ahead to pay (limits.ts). */
  private drainsAreFrequent(): boolean {
    const nowMs = this.clock.monotonicMs();
    const frequent = nowMs - this.lastDrainMs <= zeroAheadDrainGapMsMax;
    this.lastDrainMs = nowMs;
    return frequent;
  }

  private maybeRoll(incomingBytes: number, lastOffset: number): void {
    const active = this.active;
    if (active.sizeBytes === 0) return;
    const full = active.sizeBytes + incomingBytes > this.config.segmentBytes;
    const born = active.rollStartMs;
    const old = born !== null && this.clock.monotonicMs() - born > this.config.segmentMs;
    if (full || old || !active.fitsOffsets(lastOffset)) this.roll();
  }

  private locate(offset: number): { segment: Segment; position: number } | null {
    const cursor = this.readCursor;
    if (cursor !== null && cursor.offset === offset && cursor.position < cursor.segment.sizeBytes) {
      return { segment: cursor.segment, position: cursor.position };
    }
    let index = this.floorSegmentIndex(offset);
    for (; index < this.segments.length; index++) {
      const segment = this.segments[index]!;
      const batch = segment.locate(offset);
      if (batch !== null) return { segment, position: batch.position };
    }
    return null;
  }

  private floorSegmentIndex(offset: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.segments[middle]!.baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  private startSync(): SyncStart {
    this.drainWrites();
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
        {
          cause: error,
        },
      );
      this.logLine(this.failure.message);
    }
    return this.failure;
  }

  private throwIfOffline(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closed) throw new StorageError(`${this.dir}: log is closed`);
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

  /**
   * Durable on return. Any background checkpoint still in flight is dropped, even when this one has
   * nothing new to write: the file then holds lastCheckpointText, which the caller's change (a truncation,
   * say) may need it to keep.
   */
  private writeCheckpoint(): void {
    this.checkpointGeneration += 1;
    const text = this.checkpointText();
    // The manager checkpoints every log each minute: an idle partition costs no fsync.
    if (text === this.lastCheckpointText) return;
    writeFileAtomic(this.pool.storageFs, join(this.dir, checkpointFileName), text);
    this.lastCheckpointText = text;
  }

  /** After a failed write the disk may be full; appends retry the epoch file before going on. */
  private writeEpochsQuietly(): void {
    try {
      this.writeEpochs();
    } catch (error) {
      this.logLine(describeError(error));
    }
  }

  /**
   * Persists the epoch cache. Until that succeeds the file may hold epochs past the log end (never wrong
   * ones below it, which is what the open-time truncation relies on), so appends wait for a good write.
   */
  private writeEpochs(): void {
    this.epochsFileStale = true;
    try {
      const text = encodeEpochEntries(this.epochs.all());
      writeFileAtomic(this.pool.storageFs, join(this.dir, leaderEpochFileName), text);
    } catch (cause) {
      throw new StorageError(
        `${this.dir}: cannot write the leader-epoch checkpoint: ${describeError(cause)}`,
        {
          cause,
        },
      );
    }
    this.epochsFileStale = false;
  }
}

export type { ReadResult } from "./log-batches.ts";
