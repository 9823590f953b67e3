// Staged writes and their drain. An append is validated, stamped (leader) or checked (follower), indexed and
// staged in the active segment at once, so offsets are fixed in call order; the appends of one event-loop turn
// are then written together by one pwritev at the turn's end — or sooner, when a read, a sync or a roll needs
// them on disk. A failed write undoes exactly those appends (indexes, epochs and end offset go back, leaving no
// half-indexed batch and no gap) and fails only them.

import { assert } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import { type BatchSpan, stampBatch } from "../protocol/records/batch-header.ts";
import type { LeaderEpochFile } from "./leader-epoch-file.ts";
import { zeroAheadDrainGapMsMax } from "./limits.ts";
import { lastOffsetDeltaAt, validSpans } from "./log-batches.ts";
import type { Segment } from "./segment.ts";
import { type BatchInfo, batchInfoAt } from "./segment-scan.ts";
import { describeError, InvalidBatchError, StorageError } from "./storage-error.ts";

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
}

/** What staging needs of the log it stages for. */
export interface StagingLog {
  readonly dir: string;
  readonly epochFile: LeaderEpochFile;
  /** The segment appends go to now. */
  active(): Segment;
  /** segment.bytes: zeros are never written ahead past it. */
  segmentBytes(): number;
  throwIfOffline(): void;
  /** Rolls to a new segment first if one holding these bytes and offsets would be due one. */
  rollIfDue(incomingBytes: number, lastOffset: number): void;
  /** The batches in `bytes` were staged (and counted in the log end). */
  staged(bytes: Uint8Array): void;
  /** A failed write undid the appends from `endOffset` on; they fail with `error`. */
  undone(endOffset: number, error: StorageError): void;
}

export class AppendStaging {
  /** Settles when this turn's staged appends are written (or failed); null when nothing is staged. */
  private group: PromiseWithResolvers<void> | null = null;
  /** When the last drain wrote; -Infinity before the first. */
  private lastDrainMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: StagingLog,
    /** Its monotonic half paces the zeros written ahead (limits.ts) and starts segment.ms. */
    private readonly clock: Clock,
  ) {}

  /**
   * Validates, rolls if due, stamps (leader: `leaderEpoch`) or checks (follower: null) and stages the batches;
   * they are written with the rest of this turn's appends when `drained` settles. No sync. The caller must not
   * change `bytes` until then.
   */
  stage(
    bytes: Uint8Array,
    options: { leaderEpoch: number | null },
  ): { result: AppendResult; drained: Promise<void> } {
    this.log.throwIfOffline();
    this.log.epochFile.retryIfStale();
    const spans = validSpans(bytes);
    let offsetCount = 0;
    for (const span of spans) offsetCount += lastOffsetDeltaAt(bytes, span.position) + 1;
    if (!this.log.active().canStage(bytes.length)) this.drain();
    this.log.rollIfDue(bytes.length, this.log.active().endOffset + offsetCount - 1);
    const segment = this.log.active();
    const batches = stampOrCheck(bytes, spans, {
      leaderEpoch: options.leaderEpoch,
      logEndOffset: segment.endOffset,
      latestEpoch: this.log.epochFile.epochs.latest()?.epoch ?? -1,
    });
    const first = batches[0]!;
    const last = batches[batches.length - 1]!;
    const position = segment.sizeBytes;
    this.log.epochFile.assignFrom(batches);
    segment.stage(bytes, first.baseOffset);
    segment.rollStartMs ??= this.clock.monotonicMs();
    for (const batch of batches) {
      batch.position += position;
      segment.observe(batch);
    }
    assert(
      segment.endOffset === last.lastOffset + 1,
      `log end ${segment.endOffset} after ${last.lastOffset}`,
    );
    this.log.staged(bytes);
    return {
      result: { baseOffset: first.baseOffset, lastOffset: last.lastOffset },
      drained: this.drainPromise(),
    };
  }

  /** Writes what is staged now, if anything is: for a caller that gathered a turn's batches itself. */
  drainIfPending(): void {
    if (this.group !== null) this.drain();
  }

  /**
   * Writes what this turn staged. A failed write (disk full, EIO) undoes exactly those appends and fails only
   * them; the log is told (undone) before their promise rejects.
   */
  drain(): void {
    const group = this.group;
    this.group = null;
    const segment = this.log.active();
    // Every staged append awaits a drain group; staged bytes without one would never be written on time.
    assert(
      group !== null || segment.writtenBytes === segment.sizeBytes,
      `${this.log.dir}: staged without a drain`,
    );
    try {
      const staged = segment.sizeBytes > segment.writtenBytes;
      segment.drain(staged && this.drainsAreFrequent() ? this.log.segmentBytes() : 0);
      group?.resolve();
    } catch (cause) {
      const stagedBytes = segment.sizeBytes - segment.writtenBytes;
      const endOffset = segment.discardStaged();
      const error = new StorageError(
        `${this.log.dir}: append of ${stagedBytes} bytes at offset ${endOffset} failed: ${describeError(cause)}`,
        { cause },
      );
      this.log.undone(endOffset, error);
      this.log.epochFile.truncateFromEndQuietly(endOffset);
      group?.reject(error);
    }
  }

  /** This turn's drain, scheduled for the end of the turn so every append in it shares one pwritev. */
  private drainPromise(): Promise<void> {
    if (this.group === null) {
      const group = Promise.withResolvers<void>();
      // Awaited by every append of the group; the catch only keeps an unawaited rejection quiet.
      group.promise.catch(() => {});
      this.group = group;
      setImmediate(() => {
        if (this.group === group) this.drain();
      });
    }
    return this.group.promise;
  }

  /** Whether this drain follows the last closely enough for zeros written ahead to pay (limits.ts). */
  private drainsAreFrequent(): boolean {
    const nowMs = this.clock.monotonicMs();
    const frequent = nowMs - this.lastDrainMs <= zeroAheadDrainGapMsMax;
    this.lastDrainMs = nowMs;
    return frequent;
  }
}

/**
 * Stamps each batch's baseOffset and partitionLeaderEpoch in place (a leader's append) or checks them (a
 * follower's, leaderEpoch null): offsets must continue the log, epochs never go back.
 */
function stampOrCheck(
  bytes: Uint8Array,
  spans: readonly BatchSpan[],
  log: { leaderEpoch: number | null; logEndOffset: number; latestEpoch: number },
): BatchInfo[] {
  let latestEpoch = log.latestEpoch;
  let next = log.logEndOffset;
  const batches: BatchInfo[] = [];
  for (const span of spans) {
    if (log.leaderEpoch !== null) stampBatch(bytes, span.position, BigInt(next), log.leaderEpoch);
    const batch = batchInfoAt(bytes, span.position, span.position);
    if (batch.baseOffset !== next) {
      throw new InvalidBatchError(`batch at offset ${batch.baseOffset} where the log expects ${next}`);
    }
    if (batch.leaderEpoch < latestEpoch) {
      throw new InvalidBatchError(`leader epoch ${batch.leaderEpoch} is older than the log's ${latestEpoch}`);
    }
    latestEpoch = batch.leaderEpoch;
    next = batch.lastOffset + 1;
    batches.push(batch);
  }
  return batches;
}
