// The format of a partition directory's batch headers, recorded in its `log-format` file and settled before
// recovery reads anything else there.
//   Version 2: each header's partitionLeaderEpoch is the leader epoch clients see, the first being 0.
//   Version 1: directories written before the file existed, whose headers hold Raft terms — the same epochs
//   one higher (the first was 1; raft/core/leader-epoch.ts maps them now).
// Opening a version-1 directory lowers every header's epoch by one in place (a 4-byte write per batch: the
// field lies outside the CRC, and offsets, positions and indexes stay as they are) and deletes the
// leader-epoch checkpoint, which recovery then rebuilds by scanning the lowered headers.
//
// Crash safety: before the first header changes, the file records the version-1 epochs as runs of offsets.
// Each batch is lowered only when it still holds its recorded epoch, and one already one lower is left as it
// is, so a migration cut short by a crash is run again at the next open and finishes the same way.

import { join } from "node:path";
import { writeInt32 } from "../protocol/primitives/big-endian.ts";
import { batchOffsets } from "../protocol/records/batch-header.ts";
import { readFileIfExists, writeFileAtomic } from "./atomic-file.ts";
import { leaderEpochFileName, logFileName, logFormatFileName, parseLogFileName } from "./segment-name.ts";
import { type BatchInfo, scanSegmentFile } from "./segment-scan.ts";
import { CorruptLogError } from "./storage-error.ts";
import type { StorageFs } from "./storage-fs.ts";

/** The format this build writes. */
export const logFormatVersion = 2;
/** Directories without a `log-format` file: headers hold Raft terms, one above the leader epoch. */
const termHeadersVersion = 1;

/** From `startOffset` on (until the next run), the version-1 headers held `epoch`. */
type EpochRun = [epoch: number, startOffset: number];

interface LogFormat {
  version: number;
  /** Present while a version-1 directory is being lowered. */
  formerEpochs?: EpochRun[];
}

/**
 * Makes the directory's headers version 2: records the format in a new directory, migrates a version-1 one,
 * finishes a migration a crash interrupted. Throws CorruptLogError for a format it cannot read.
 */
export function settleLogFormat(storageFs: StorageFs, dir: string, log: (line: string) => void): void {
  const path = join(dir, logFormatFileName);
  const text = readFileIfExists(storageFs, path);
  let formerEpochs: EpochRun[];
  if (text !== null) {
    const format = decodeLogFormat(path, text);
    if (format.formerEpochs === undefined) return;
    formerEpochs = format.formerEpochs;
  } else {
    const segmentPaths = segmentLogPaths(storageFs, dir);
    if (segmentPaths.length === 0 && !storageFs.exists(join(dir, leaderEpochFileName))) {
      // A new directory: nothing was written in another format.
      writeFileAtomic(storageFs, path, encodeLogFormat({ version: logFormatVersion }));
      return;
    }
    formerEpochs = termHeaderRuns(storageFs, segmentPaths);
    writeFileAtomic(storageFs, path, encodeLogFormat({ version: logFormatVersion, formerEpochs }));
  }
  const lowered = lowerHeaderEpochs(storageFs, segmentLogPaths(storageFs, dir), formerEpochs);
  const checkpointPath = join(dir, leaderEpochFileName);
  if (storageFs.exists(checkpointPath)) storageFs.unlink(checkpointPath);
  storageFs.syncDir(dir);
  writeFileAtomic(storageFs, path, encodeLogFormat({ version: logFormatVersion }));
  // A partition that never held a batch (most of __consumer_offsets) had nothing to migrate: no line.
  if (formerEpochs.length === 0) return;
  log(
    `${dir}: log format ${termHeadersVersion} → ${logFormatVersion}: lowered the leader epoch of ${lowered} ` +
      "batch header(s) by one (they held Raft terms); the leader-epoch checkpoint is rebuilt",
  );
}

function segmentLogPaths(storageFs: StorageFs, dir: string): string[] {
  const bases: number[] = [];
  for (const name of storageFs.readdir(dir)) {
    const base = parseLogFileName(name);
    if (base !== null) bases.push(base);
  }
  return bases.sort((a, b) => a - b).map((base) => join(dir, logFileName(base)));
}

/**
 * Calls `onBatch` for every whole, CRC-valid batch of each segment, in offset order; a file it wrote to
 * (`onBatch` answered true) is synced before the next. Damage (a torn tail) ends the walk of that file:
 * recovery decides what becomes of it afterwards.
 */
function forEachBatch(
  storageFs: StorageFs,
  segmentPaths: readonly string[],
  onBatch: (batch: BatchInfo, fd: number, path: string) => boolean,
): void {
  for (const path of segmentPaths) {
    const fd = storageFs.openExisting(path);
    try {
      let written = false;
      scanSegmentFile(storageFs, fd, storageFs.sizeOf(fd), (batch) => {
        written = onBatch(batch, fd, path) || written;
        return null;
      });
      if (written) storageFs.datasyncSync(fd);
    } finally {
      storageFs.close(fd);
    }
  }
}

/** The version-1 epochs as runs; a header below 1 cannot be a term, and the directory is refused. */
function termHeaderRuns(storageFs: StorageFs, segmentPaths: readonly string[]): EpochRun[] {
  const runs: EpochRun[] = [];
  forEachBatch(storageFs, segmentPaths, (batch, _fd, path) => {
    if (batch.leaderEpoch < 1) {
      throw new CorruptLogError(
        `${path}: batch at offset ${batch.baseOffset} holds leader epoch ${batch.leaderEpoch}, but a ` +
          `log of format ${termHeadersVersion} holds Raft terms (≥ 1); refusing to open`,
      );
    }
    const last = runs[runs.length - 1];
    if (last === undefined || last[0] !== batch.leaderEpoch) runs.push([batch.leaderEpoch, batch.baseOffset]);
    return false;
  });
  return runs;
}

function formerEpochAt(runs: readonly EpochRun[], offset: number): number | undefined {
  let found: number | undefined;
  for (const [epoch, startOffset] of runs) {
    if (startOffset > offset) break;
    found = epoch;
  }
  return found;
}

/** Lowers each header still at its recorded version-1 epoch; returns how many it wrote. */
function lowerHeaderEpochs(
  storageFs: StorageFs,
  segmentPaths: readonly string[],
  runs: readonly EpochRun[],
): number {
  const field = new Uint8Array(4);
  let lowered = 0;
  forEachBatch(storageFs, segmentPaths, (batch, fd, path) => {
    const former = formerEpochAt(runs, batch.baseOffset);
    if (former !== undefined && batch.leaderEpoch === former - 1) return false;
    if (former === undefined || batch.leaderEpoch !== former) {
      throw new CorruptLogError(
        `${path}: batch at offset ${batch.baseOffset} holds leader epoch ${batch.leaderEpoch}, neither its ` +
          `recorded format-${termHeadersVersion} epoch ${former} nor one less; refusing to open`,
      );
    }
    writeInt32(field, 0, former - 1);
    storageFs.writeAll(fd, field, batch.position + batchOffsets.partitionLeaderEpoch);
    lowered += 1;
    return true;
  });
  return lowered;
}

function encodeLogFormat(format: LogFormat): string {
  return `${JSON.stringify(format)}\n`;
}

function decodeLogFormat(path: string, text: string): LogFormat {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const format = parsed as Partial<LogFormat> | null;
  const runsValid =
    format?.formerEpochs === undefined ||
    (Array.isArray(format.formerEpochs) &&
      format.formerEpochs.every(
        (run) =>
          Array.isArray(run) &&
          run.length === 2 &&
          run.every((value) => Number.isSafeInteger(value)) &&
          run[0] >= 1 &&
          run[1] >= 0,
      ));
  if (format === null || typeof format !== "object" || format.version !== logFormatVersion || !runsValid) {
    throw new CorruptLogError(`${path}: not a log format this build reads: ${text.trim()}`);
  }
  return format as LogFormat;
}
