// Replacing a segment with its cleaned copy, crash-safe (Kafka's .cleaned and .swap files). The cleaner writes
// `<base>.log.cleaned` and fsyncs it; then, in one synchronous step:
//   1. rename .cleaned → .swap, fsync the directory: from here the copy is complete and will be used;
//   2. delete the segment's two index files (they describe the old bytes);
//   3. rename .swap → .log (atomically replacing the old file), fsync the directory;
//   4. open the new file and build its indexes from what the cleaner gathered as it wrote the copy (no scan).
// A crash at any point leaves, at the next open (completeInterruptedSwaps, run before segments are listed):
// a .cleaned file — deleted, the old segment stays; a .swap file — the rename is finished, the indexes (gone
// or not) are rebuilt by the recovery scan (they are missing); neither — the old or the new .log, each whole.
// The cleaned copy holds every batch the old one did, at the same offsets, with fewer records; the latest
// record of every key is in both, so whichever one survives loses nothing a reader must see.

import { join } from "node:path";
import type { FilePool } from "./file-pool.ts";
import { type CleanedSegmentIndex, Segment } from "./segment.ts";
import { logFileName, logFileSuffix, offsetIndexFileName, timeIndexFileName } from "./segment-name.ts";
import type { StorageFs } from "./storage-fs.ts";

export const cleanedFileSuffix = ".cleaned";
export const swapFileSuffix = ".swap";

/** The steps a fault hook can stop at (tests kill the process there to prove recovery). */
export type SwapStep = "cleaned-written" | "swap-renamed" | "indexes-deleted" | "log-renamed";

export type SwapHook = (step: SwapStep) => void;

export function cleanedPathOf(dir: string, baseOffset: number): string {
  return join(dir, logFileName(baseOffset) + cleanedFileSuffix);
}

/**
 * Puts the fsynced cleaned copy in place of `old` (steps 1–4 above); returns the segment over the new file.
 * `old` is no longer usable afterwards. Throws on an I/O failure: the caller takes the log offline.
 */
export function swapInCleaned(
  pool: FilePool,
  old: Segment,
  options: { index: CleanedSegmentIndex; indexIntervalBytes: number; hook?: SwapHook },
): Segment {
  const storageFs = pool.storageFs;
  const { dir, baseOffset } = old;
  const cleanedPath = cleanedPathOf(dir, baseOffset);
  const swapPath = old.logPath + swapFileSuffix;
  storageFs.rename(cleanedPath, swapPath);
  storageFs.syncDir(dir);
  options.hook?.("swap-renamed");
  old.forgetFiles();
  for (const name of [offsetIndexFileName(baseOffset), timeIndexFileName(baseOffset)]) {
    const path = join(dir, name);
    if (storageFs.exists(path)) storageFs.unlink(path);
  }
  options.hook?.("indexes-deleted");
  storageFs.rename(swapPath, old.logPath);
  storageFs.syncDir(dir);
  options.hook?.("log-renamed");
  // Its index files are missing: open creates them empty, and the gathered entries fill them.
  const opened = Segment.open(pool, dir, baseOffset);
  const segment = opened.segment;
  segment.indexIntervalBytes = options.indexIntervalBytes;
  segment.adoptCleaned(options.index, opened.fileBytes);
  segment.seal();
  return segment;
}

/**
 * At open, before the segments are listed: finishes a swap a crash interrupted (a .swap file becomes the
 * segment's .log, its indexes removed so recovery rebuilds them) and deletes unfinished cleaned copies.
 */
export function completeInterruptedSwaps(
  storageFs: StorageFs,
  dir: string,
  log: (line: string) => void,
): void {
  let changed = false;
  for (const name of storageFs.readdir(dir)) {
    const path = join(dir, name);
    if (name.endsWith(logFileSuffix + cleanedFileSuffix)) {
      storageFs.unlink(path);
      changed = true;
      continue;
    }
    if (!name.endsWith(logFileSuffix + swapFileSuffix)) continue;
    const logPath = path.slice(0, -swapFileSuffix.length);
    const stem = name.slice(0, -(logFileSuffix + swapFileSuffix).length);
    for (const index of [".index", ".timeindex"]) {
      const indexPath = join(dir, stem + index);
      if (storageFs.exists(indexPath)) storageFs.unlink(indexPath);
    }
    storageFs.rename(path, logPath);
    log(`${logPath}: finished swapping in its cleaned copy after a crash`);
    changed = true;
  }
  if (changed) storageFs.syncDir(dir);
}
