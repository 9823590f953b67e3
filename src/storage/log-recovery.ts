// Opening a partition directory (Kafka's LogLoader): its header format is settled first (log-format.ts), then
// segments at or after the recovery point are scanned — lengths, magic, CRC, offsets in sequence — and a torn
// or corrupt tail of the last segment is truncated with a log line saying what was dropped. Damage anywhere
// else cannot be a torn write (older segments were synced when they rolled), so the partition refuses to open
// rather than drop acknowledged data.

import { join } from "node:path";
import { batchHeaderBytes } from "../protocol/records/batch-header.ts";
import { readFileIfExists } from "./atomic-file.ts";
import { decodeCheckpoint, type LogCheckpoint } from "./checkpoint-format.ts";
import type { FilePool } from "./file-pool.ts";
import { decodeEpochEntries, LeaderEpochCache } from "./leader-epoch-cache.ts";
import { settleLogFormat } from "./log-format.ts";
import { Segment } from "./segment.ts";
import {
  checkpointFileName,
  leaderEpochFileName,
  logFileSuffix,
  offsetIndexFileSuffix,
  parseLogFileName,
  temporaryFileSuffix,
  timeIndexFileSuffix,
} from "./segment-name.ts";
import { completeInterruptedSwaps } from "./segment-swap.ts";
import { CorruptLogError } from "./storage-error.ts";

export interface LoadedLog {
  segments: Segment[];
  logStartOffset: number;
  epochs: LeaderEpochCache;
  /** The epoch cache differs from its file and must be written. */
  epochsChanged: boolean;
  /** Segments recovery scanned: what they hold may not be on disk yet (a crash after write, before sync). */
  scanned: Segment[];
  /** The checkpoint as found, to skip rewriting an unchanged one. */
  checkpoint: LogCheckpoint;
}

export type LogLine = (line: string) => void;

export function loadLog(pool: FilePool, dir: string, log: LogLine, indexIntervalBytes: number): LoadedLog {
  const storageFs = pool.storageFs;
  storageFs.mkdirs(dir);
  settleLogFormat(storageFs, dir, log);
  completeInterruptedSwaps(storageFs, dir, log);
  const bases = listSegmentBases(pool, dir);
  const checkpoint = readCheckpoint(pool, dir, log);
  const epochText = readFileIfExists(storageFs, join(dir, leaderEpochFileName));
  const decoded = epochText === null ? "missing" : decodeEpochEntries(epochText);
  let recoveryPoint = checkpoint.recoveryPoint;
  if (typeof decoded === "string" && bases.length > 0) {
    // Without a trustworthy epoch cache every batch is scanned so the cache is rebuilt from the log.
    log(`${dir}: leader-epoch checkpoint ${decoded}; rebuilding it by scanning every segment`);
    recoveryPoint = 0;
  }
  const epochs = new LeaderEpochCache(typeof decoded === "string" ? [] : decoded);
  if (bases.length === 0) bases.push(checkpoint.logStartOffset);
  const segments: Segment[] = [];
  const scanned: Segment[] = [];
  let epochsChanged = false;
  for (let i = 0; i < bases.length; i++) {
    const nextBase = bases[i + 1];
    const segment = openSegment(pool, dir, bases[i]!, indexIntervalBytes);
    segments.push(segment.segment);
    const trusted = trustedExtent(segment.segment, segment.fileBytes, {
      nextBase,
      recoveryPoint,
      activeSegmentBytes: checkpoint.activeSegmentBytes,
    });
    if (trusted !== null) {
      const { bytes, endOffset } = trusted;
      if (!segment.indexMissing && segment.segment.adoptTrusted(bytes, endOffset, segment.fileBytes)) {
        // Zeros written ahead past the checkpointed length go: the file ends at its last batch again.
        segment.segment.trimZeroAhead();
        continue;
      }
      log(`${segment.segment.logPath}: index missing or stale; rebuilding it`);
    }
    // A trusted segment whose index is merely stale keeps its epochs: the checkpointed cache already holds
    // them, and those of the trusted segments after it, which are not scanned again.
    const trackEpochs = trusted === null;
    if (trackEpochs && epochs.truncateFromEnd(segment.segment.baseOffset)) epochsChanged = true;
    scanned.push(segment.segment);
    const changed = recoverSegment(segment.segment, segment.fileBytes, {
      nextBase,
      epochs,
      log,
      trackEpochs,
    });
    epochsChanged ||= changed;
    // A rebuilt inactive segment gets its final time-index entry, or the next open would rebuild it again.
    if (nextBase !== undefined) segment.segment.seal();
  }
  const logEnd = segments[segments.length - 1]!.endOffset;
  const firstBase = segments[0]!.baseOffset;
  let logStartOffset = Math.max(checkpoint.logStartOffset, firstBase);
  if (logStartOffset > logEnd) {
    log(`${dir}: log start offset ${logStartOffset} is past the recovered end ${logEnd}; using ${logEnd}`);
    logStartOffset = logEnd;
  }
  if (epochs.truncateFromEnd(logEnd)) epochsChanged = true;
  if (epochs.truncateFromStart(logStartOffset)) epochsChanged = true;
  return { segments, logStartOffset, epochs, epochsChanged, scanned, checkpoint };
}

/**
 * The end offset and length in bytes of a segment that needs no scan, or null: a segment wholly below the
 * recovery point, or the last one when the checkpoint says everything was synced at a length the file still
 * has — or still has followed only by zeros written ahead (limits.ts zeroAheadBytes). A batch appended after
 * the checkpoint would begin right at that length, and no batch header is zeros, so zeros there mean none
 * reached the disk whole, let alone acknowledged.
 */
function trustedExtent(
  segment: Segment,
  fileBytes: number,
  context: { nextBase: number | undefined; recoveryPoint: number; activeSegmentBytes: number },
): { endOffset: number; bytes: number } | null {
  if (context.nextBase !== undefined) {
    return context.nextBase <= context.recoveryPoint
      ? { endOffset: context.nextBase, bytes: fileBytes }
      : null;
  }
  const checkpointed = context.activeSegmentBytes;
  if (checkpointed <= 0 || context.recoveryPoint <= segment.baseOffset) return null;
  const unchanged = checkpointed === fileBytes;
  const zerosAfter =
    fileBytes > checkpointed &&
    segment.zeroFilled(checkpointed, Math.min(fileBytes, checkpointed + batchHeaderBytes));
  return unchanged || zerosAfter ? { endOffset: context.recoveryPoint, bytes: checkpointed } : null;
}

function listSegmentBases(pool: FilePool, dir: string): number[] {
  const storageFs = pool.storageFs;
  const names = storageFs.readdir(dir);
  const bases: number[] = [];
  for (const name of names) {
    if (name.endsWith(temporaryFileSuffix)) {
      storageFs.unlink(join(dir, name));
      continue;
    }
    const base = parseLogFileName(name);
    if (base !== null) bases.push(base);
  }
  // Index files whose segment is gone (a crash while deleting segments) are removed too.
  for (const name of names) {
    for (const suffix of [offsetIndexFileSuffix, timeIndexFileSuffix]) {
      if (!name.endsWith(suffix)) continue;
      const logName = name.slice(0, -suffix.length) + logFileSuffix;
      if (!names.includes(logName)) storageFs.unlink(join(dir, name));
    }
  }
  return bases.sort((a, b) => a - b);
}

function readCheckpoint(pool: FilePool, dir: string, log: LogLine) {
  const text = readFileIfExists(pool.storageFs, join(dir, checkpointFileName));
  if (text === null) return { recoveryPoint: 0, logStartOffset: 0, activeSegmentBytes: -1 };
  const decoded = decodeCheckpoint(text);
  if (typeof decoded !== "string") return decoded;
  log(`${dir}: ${decoded}; recovering from offset 0`);
  return { recoveryPoint: 0, logStartOffset: 0, activeSegmentBytes: -1 };
}

function openSegment(pool: FilePool, dir: string, base: number, indexIntervalBytes: number) {
  const storageFs = pool.storageFs;
  const logPath = join(dir, `${String(base).padStart(20, "0")}${logFileSuffix}`);
  if (!storageFs.exists(logPath)) {
    Segment.create(pool, dir, base);
    storageFs.syncDir(dir);
  }
  const opened = Segment.open(pool, dir, base);
  opened.segment.indexIntervalBytes = indexIntervalBytes;
  return opened;
}

/** Scans one segment; returns whether the epoch cache changed. Throws CorruptLogError if it may not heal. */
function recoverSegment(
  segment: Segment,
  fileBytes: number,
  context: { nextBase: number | undefined; epochs: LeaderEpochCache; log: LogLine; trackEpochs: boolean },
): boolean {
  let changed = false;
  const result = segment.recover(fileBytes, (batch) => {
    const latest = context.trackEpochs ? context.epochs.latest() : undefined;
    if (latest !== undefined && batch.leaderEpoch < latest.epoch) {
      return `leader epoch ${batch.leaderEpoch} after epoch ${latest.epoch}`;
    }
    if (context.nextBase !== undefined && batch.lastOffset >= context.nextBase) {
      return `batch ends at offset ${batch.lastOffset}, past the next segment's base ${context.nextBase}`;
    }
    if (context.trackEpochs && context.epochs.assign(batch.leaderEpoch, batch.baseOffset)) changed = true;
    return null;
  });
  const isLast = context.nextBase === undefined;
  if (result.problem !== null) {
    const what = `${result.problem.kind} batch at position ${result.problem.position} (${result.problem.reason})`;
    if (!isLast) {
      throw new CorruptLogError(`${segment.logPath}: ${what} in a segment before the last; refusing to open`);
    }
    const droppedBytes = fileBytes - result.validBytes;
    // Zeros past the last batch are what the log writes ahead of its appends (limits.ts zeroAheadBytes):
    // expected after any crash, and no sign of damage.
    const why = segment.zeroFilled(result.validBytes, fileBytes)
      ? "zeros written ahead of the appends"
      : what;
    context.log(
      `${segment.logPath}: dropping ${droppedBytes} bytes from position ${result.validBytes}: ${why}; ` +
        `log ends at offset ${segment.endOffset}`,
    );
    segment.truncateFile(result.validBytes);
  } else if (!isLast && segment.endOffset !== context.nextBase) {
    throw new CorruptLogError(
      `${segment.logPath}: segment ends at offset ${segment.endOffset} but the next begins at ${context.nextBase}`,
    );
  }
  return changed;
}
