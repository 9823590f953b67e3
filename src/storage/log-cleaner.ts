// The log cleaner (Kafka's LogCleaner): compacts the logs of topics whose cleanup.policy has "compact", one log
// at a time, in the background. A pass (decisions in cleaner-decisions.ts):
//   1. maps every key of the dirty part (from the cleaner's checkpoint to the first uncleanable offset) to the
//      offset of its last record there, stopping at a segment boundary once keysPerPassMax keys are mapped;
//   2. re-writes each inactive segment from the log start up to where the map ends, oldest first, keeping a
//      record unless a later record of its key is mapped or it is a tombstone past its batch's delete horizon
//      (KIP-534: the first pass that keeps a tombstone stamps now + delete.retention.ms on its batch;
//      protocol/records/batch-cleaning.ts: batches keep their offsets, producer fields and boundaries);
//   3. swaps each re-written segment in crash-safely (segment-swap.ts) and saves the checkpoint.
// Oldest first matters: an older record of a key always lies in an earlier segment than its tombstone, so a
// pass stopped part way (a crash, a restart) may leave duplicates but never a tombstone's older value alone.
//
// Budget: the cleaner reads at most sliceBytesMax per event-loop turn and paces reads and writes together to
// ioBytesPerSecondMax (Kafka's log.cleaner.io.max.bytes.per.second), so produce and fetch keep their latency;
// its fsyncs run on the thread pool. One pass runs at a time, across all logs.
//
// On a cluster every replica cleans its own copy (as Kafka's replicas do): cleaning never moves the log start,
// never changes an offset, an epoch or a batch boundary (Raft's entries), and stays below the replica's own high
// watermark, where its log and the leader's hold the same committed batches. Two replicas may then hold
// different bytes for a while — one cleaned, one not yet — but the same offsets, and the same latest record of
// every key; a follower catching up from a cleaned leader stores cleaned batches, which is as good. Following
// the leader's decisions instead would need a replicated record per pass and gain nothing a reader can see.

import { join } from "node:path";
import { assert } from "../base/assert.ts";
import type { Cancel, Clock, Scheduler } from "../base/clock.ts";
import { readInt32 } from "../protocol/primitives/big-endian.ts";
import {
  type CleanedRecord,
  cleanStoredBatch,
  recordsOfStoredBatch,
} from "../protocol/records/batch-cleaning.ts";
import { batchLengthPrefixBytes, batchOffsets, batchSizeAt } from "../protocol/records/batch-header.ts";
import { readFileIfExists, writeFileAtomic } from "./atomic-file.ts";
import { type CleaningDecision, decideCleaning, retainRecord } from "./cleaner-decisions.ts";
import { batchBytesMax } from "./limits.ts";
import type { LogLine } from "./log-recovery.ts";
import type { PartitionLog } from "./partition-log.ts";
import { CleanedSegmentIndex, type Segment } from "./segment.ts";
import { batchInfoAt } from "./segment-scan.ts";
import { cleanedPathOf, type SwapHook } from "./segment-swap.ts";
import { describeError } from "./storage-error.ts";

export interface CleanerBudget {
  /** log.cleaner.io.max.bytes.per.second: bytes read plus written per second, all logs together. */
  ioBytesPerSecondMax: number;
  /** Bytes a pass reads (and cleans) in one event-loop turn before it yields. */
  sliceBytesMax: number;
  /** Keys one pass maps (the role of log.cleaner.dedupe.buffer.size); a pass maps fewer segments past it. */
  keysPerPassMax: number;
  /** log.cleaner.backoff.ms: how long the cleaner sleeps when no log is due. */
  backoffMs: number;
}

export const cleanerBudgetDefault: CleanerBudget = {
  ioBytesPerSecondMax: 64 * 1024 * 1024,
  sliceBytesMax: 64 * 1024,
  keysPerPassMax: 1_000_000,
  backoffMs: 15_000,
};

/** The cleaner's checkpoint, one per partition directory (Kafka's cleaner-offset-checkpoint). */
export const cleanerCheckpointFileName = "cleaner-offset-checkpoint";

interface CleanerCheckpoint {
  firstDirtyOffset: number;
  tombstoneExpiryMs: number | null;
}

export interface CleaningPass {
  dir: string;
  decision: Extract<CleaningDecision, { clean: true }>;
  segmentsRewritten: number;
  bytesRead: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

export interface LogCleanerOptions {
  /** The open logs; those whose config has no compaction are passed over. */
  logs: () => Iterable<PartitionLog>;
  clock: Clock;
  scheduler: Scheduler;
  budget?: Partial<CleanerBudget>;
  logLine: LogLine;
  /** Tests stop (kill) the process at a step of a swap to prove recovery. */
  swapHook?: SwapHook;
}

const decompressedBytesMax = batchBytesMax * 4;

export class LogCleaner {
  private readonly budget: CleanerBudget;
  private readonly checkpoints = new WeakMap<PartitionLog, CleanerCheckpoint>();
  private cancelTimer: Cancel | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Monotonic time before which the I/O budget is spent. */
  private budgetFreeAtMs = 0;

  constructor(private readonly options: LogCleanerOptions) {
    this.budget = { ...cleanerBudgetDefault, ...options.budget };
    assert(
      this.budget.ioBytesPerSecondMax > 0 && this.budget.sliceBytesMax > 0,
      "a cleaner budget is positive",
    );
  }

  start(): void {
    this.schedule(this.budget.backoffMs);
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.running;
  }

  /** Cleans the filthiest due log, if any: what one round of the background loop does (tests call it). */
  async cleanFilthiest(): Promise<CleaningPass | null> {
    let best: { log: PartitionLog; decision: Extract<CleaningDecision, { clean: true }> } | null = null;
    for (const log of this.options.logs()) {
      const decision = this.decide(log);
      if (decision?.clean && (best === null || decision.dirtyRatio > best.decision.dirtyRatio)) {
        best = { log, decision };
      }
    }
    if (best === null) return null;
    return this.clean(best.log, best.decision);
  }

  /** What the cleaner would do with `log` now; null when the log is not compacted or is offline. */
  decide(log: PartitionLog): CleaningDecision | null {
    const compaction = log.config.compaction;
    if (compaction === null || log.offlineError !== null) return null;
    const checkpoint = this.checkpointOf(log);
    return decideCleaning({
      segments: log.segmentSummaries(),
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      firstDirtyOffset: checkpoint.firstDirtyOffset,
      tombstoneExpiryMs: checkpoint.tombstoneExpiryMs,
      wallMs: this.options.clock.wallMs(),
      config: compaction,
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.options.scheduler.setTimeout(() => {
      this.cancelTimer = null;
      this.running = this.round().finally(() => {
        this.running = null;
      });
    }, delayMs);
  }

  private async round(): Promise<void> {
    let pass: CleaningPass | null = null;
    try {
      pass = await this.cleanFilthiest();
    } catch (error) {
      this.options.logLine(`log cleaner: a pass failed: ${describeError(error)}`);
    }
    if (pass !== null) {
      this.options.logLine(
        `${pass.dir}: cleaned ${pass.segmentsRewritten} segment(s) to ${pass.decision.cleanableEndOffset} ` +
          `(${pass.decision.reason}): ${pass.bytesBefore} → ${pass.bytesAfter} bytes, ` +
          `${pass.recordsRemoved} record(s) removed`,
      );
    }
    // Another due log (or the rest of this one) is looked at right away; otherwise after the back-off.
    this.schedule(pass === null ? this.budget.backoffMs : 0);
  }

  /** One pass over `log` as `decision` says (see the top of the file). */
  async clean(
    log: PartitionLog,
    decision: Extract<CleaningDecision, { clean: true }>,
  ): Promise<CleaningPass> {
    const compaction = log.config.compaction;
    assert(compaction !== null, `${log.dir}: cleaning a log that is not compacted`);
    const pass: CleaningPass = {
      dir: log.dir,
      decision,
      segmentsRewritten: 0,
      bytesRead: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      recordsRemoved: 0,
    };
    const segments = log.inactiveSegmentsBelow(decision.cleanableEndOffset);
    const latest = new Map<string, number>();
    let mapEndOffset = decision.firstDirtyOffset;
    for (const segment of segments) {
      if (segment.endOffset <= decision.firstDirtyOffset) continue;
      for await (const batch of this.batchesOf(segment, pass)) {
        for (const record of recordsOfStoredBatch(batch, { decompressedBytesMax })) {
          if (record.key !== null) latest.set(keyText(record.key), record.offset);
        }
      }
      mapEndOffset = segment.endOffset;
      if (latest.size >= this.budget.keysPerPassMax) break;
    }
    const wallMs = this.options.clock.wallMs();
    const expiries: number[] = [];
    for (const segment of segments) {
      if (segment.baseOffset >= mapEndOffset) break;
      if (segment.endOffset <= log.logStartOffset) continue;
      const keep = (record: CleanedRecord, deleteHorizonMs: number | null) =>
        record.key !== null &&
        retainRecord(record, latest.get(keyText(record.key)), { wallMs, deleteHorizonMs });
      const stampHorizonMs = Math.min(Number.MAX_SAFE_INTEGER, wallMs + compaction.deleteRetentionMs);
      const rewritten = await this.rewrite(log, segment, pass, { keep, stampHorizonMs, expiries });
      if (!rewritten) return pass;
    }
    const tombstoneExpiryMs = expiries.length === 0 ? null : Math.min(...expiries);
    this.saveCheckpoint(log, { firstDirtyOffset: mapEndOffset, tombstoneExpiryMs });
    return pass;
  }

  /**
   * Writes the cleaned copy of one segment, fsyncs it and swaps it in; a segment nothing is removed from is
   * left alone. False when the log changed under the pass (the segment is gone): the pass stops there.
   */
  private async rewrite(
    log: PartitionLog,
    segment: Segment,
    pass: CleaningPass,
    cleaning: {
      keep: Parameters<typeof cleanStoredBatch>[1];
      stampHorizonMs: number;
      /** Gets the delete horizon of every batch that keeps a tombstone. */
      expiries: number[];
    },
  ): Promise<boolean> {
    const storageFs = log.storageFs;
    const cleanedPath = cleanedPathOf(segment.dir, segment.baseOffset);
    const fd = storageFs.create(cleanedPath);
    let written = 0;
    const index = new CleanedSegmentIndex(segment.baseOffset, segment.indexIntervalBytes);
    let changed = false;
    let removed = 0;
    try {
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      for await (const batch of this.batchesOf(segment, pass)) {
        const cleaned = cleanStoredBatch(batch, cleaning.keep, {
          decompressedBytesMax,
          stampHorizonMs: cleaning.stampHorizonMs,
        });
        if (cleaned.deleteHorizonMs !== null && cleaned.keptRecords.some((record) => record.tombstone)) {
          cleaning.expiries.push(cleaned.deleteHorizonMs);
        }
        if (cleaned.changed) {
          changed = true;
          removed += recordCountOf(batch) - cleaned.keptRecords.length;
        }
        index.add(batchInfoAt(cleaned.batch, 0, written + pendingBytes));
        pending.push(cleaned.batch);
        pendingBytes += cleaned.batch.length;
        if (pendingBytes >= this.budget.sliceBytesMax) {
          storageFs.writeAllv(fd, pending, written);
          written += pendingBytes;
          await this.pace(pendingBytes);
          pending = [];
          pendingBytes = 0;
        }
      }
      if (changed) {
        storageFs.writeAllv(fd, pending, written);
        written += pendingBytes;
        await storageFs.datasync(fd);
      }
    } finally {
      storageFs.close(fd);
    }
    if (!changed || this.stopped) {
      storageFs.unlink(cleanedPath);
      return !this.stopped;
    }
    this.options.swapHook?.("cleaned-written");
    const before = segment.sizeBytes;
    if (!log.swapCleanedSegment(segment, index, this.options.swapHook)) {
      storageFs.unlink(cleanedPath);
      return false;
    }
    pass.segmentsRewritten += 1;
    pass.bytesBefore += before;
    pass.bytesAfter += written;
    pass.recordsRemoved += removed;
    return true;
  }

  /** The whole batches of an inactive segment, read a slice at a time within the budget. */
  private async *batchesOf(segment: Segment, pass: CleaningPass): AsyncGenerator<Uint8Array> {
    const sizeBytes = segment.sizeBytes;
    let position = 0;
    while (position < sizeBytes) {
      let chunk = segment.readBytes(position, Math.min(this.budget.sliceBytesMax, sizeBytes - position));
      if (chunk.length < batchLengthPrefixBytes || batchSizeAt(chunk, 0) > chunk.length) {
        // A batch larger than a slice is read whole.
        const head =
          chunk.length >= batchLengthPrefixBytes
            ? chunk
            : segment.readBytes(position, batchLengthPrefixBytes);
        chunk = segment.readBytes(position, batchSizeAt(head, 0));
      }
      let at = 0;
      while (at + batchLengthPrefixBytes <= chunk.length && at + batchSizeAt(chunk, at) <= chunk.length) {
        const size = batchSizeAt(chunk, at);
        yield chunk.subarray(at, at + size);
        at += size;
      }
      assert(at > 0, `${segment.logPath}: no whole batch at ${position}`);
      position += at;
      pass.bytesRead += at;
      await this.pace(at);
    }
  }

  /** Spends `bytes` of the I/O budget: yields the turn, and sleeps while the budget is overdrawn. */
  private pace(bytes: number): Promise<void> {
    const nowMs = this.options.clock.monotonicMs();
    this.budgetFreeAtMs =
      Math.max(this.budgetFreeAtMs, nowMs) + (bytes * 1000) / this.budget.ioBytesPerSecondMax;
    const waitMs = Math.max(0, this.budgetFreeAtMs - nowMs);
    return new Promise((resolve) => this.options.scheduler.setTimeout(resolve, waitMs));
  }

  private checkpointOf(log: PartitionLog): CleanerCheckpoint {
    const known = this.checkpoints.get(log);
    if (known !== undefined) return known;
    const read = readCheckpoint(log);
    this.checkpoints.set(log, read);
    return read;
  }

  private saveCheckpoint(log: PartitionLog, checkpoint: CleanerCheckpoint): void {
    writeFileAtomic(
      log.storageFs,
      join(log.dir, cleanerCheckpointFileName),
      JSON.stringify({ version: 1, ...checkpoint }),
    );
    this.checkpoints.set(log, checkpoint);
  }
}

/** A missing or unreadable checkpoint only means the next pass treats the whole log as dirty. */
function readCheckpoint(log: PartitionLog): CleanerCheckpoint {
  const fresh = { firstDirtyOffset: 0, tombstoneExpiryMs: null };
  const text = readFileIfExists(log.storageFs, join(log.dir, cleanerCheckpointFileName));
  if (text === null) return fresh;
  try {
    const parsed = JSON.parse(text) as Partial<CleanerCheckpoint> & { version?: number };
    if (parsed.version !== 1 || !Number.isSafeInteger(parsed.firstDirtyOffset)) return fresh;
    const expiry = parsed.tombstoneExpiryMs;
    return {
      firstDirtyOffset: parsed.firstDirtyOffset!,
      tombstoneExpiryMs: typeof expiry === "number" ? expiry : null,
    };
  } catch {
    return fresh;
  }
}

/** Keys compared as strings of their bytes (latin1 maps each byte to one code unit: no two keys collide). */
function keyText(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

function recordCountOf(batch: Uint8Array): number {
  return readInt32(batch, batchOffsets.recordCount);
}
