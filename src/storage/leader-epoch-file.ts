// The leader-epoch cache's saving: the partition directory's leader-epoch-checkpoint, rewritten atomically
// (temporary, fsync, rename, fsync the directory) whenever the cache changes. Until a write succeeds the file may
// hold epochs past the log end — never wrong ones below it, which is what the open-time truncation relies on —
// so appends retry a failed write before they go on.

import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.ts";
import { encodeEpochEntries, type LeaderEpochCache } from "./leader-epoch-cache.ts";
import type { LogLine } from "./log-recovery.ts";
import { leaderEpochFileName } from "./segment-name.ts";
import type { BatchInfo } from "./segment-scan.ts";
import { describeError, StorageError } from "./storage-error.ts";
import type { StorageFs } from "./storage-fs.ts";

export class LeaderEpochFile {
  /** The file lags the cache: its last write failed. */
  private stale = false;

  constructor(
    private readonly storageFs: StorageFs,
    private readonly dir: string,
    readonly epochs: LeaderEpochCache,
    private readonly logLine: LogLine,
  ) {}

  /** Persists the cache; throws a StorageError, and the file stays stale, if it cannot. */
  write(): void {
    this.stale = true;
    try {
      const text = encodeEpochEntries(this.epochs.all());
      writeFileAtomic(this.storageFs, join(this.dir, leaderEpochFileName), text);
    } catch (cause) {
      throw new StorageError(
        `${this.dir}: cannot write the leader-epoch checkpoint: ${describeError(cause)}`,
        { cause },
      );
    }
    this.stale = false;
  }

  /** Before an append: a failed write is retried, so the file never lags what the append builds on. */
  retryIfStale(): void {
    if (this.stale) this.write();
  }

  /**
   * Records the epochs these batches begin and persists them, before the batches are staged: if the file cannot
   * be written, the cache goes back to what the file still holds and the error fails the append, leaving no trace.
   */
  assignFrom(batches: readonly Pick<BatchInfo, "leaderEpoch" | "baseOffset">[]): void {
    let changed = false;
    for (const batch of batches) changed = this.epochs.assign(batch.leaderEpoch, batch.baseOffset) || changed;
    if (!changed) return;
    try {
      this.write();
    } catch (error) {
      this.epochs.truncateFromEnd(batches[0]!.baseOffset);
      this.stale = false;
      throw error;
    }
  }

  /** The log end moved back to `endOffset`: the epochs from there on go, from the file too. */
  truncateFromEnd(endOffset: number): void {
    if (this.epochs.truncateFromEnd(endOffset)) this.write();
  }

  /**
   * truncateFromEnd after a failed append: the disk may be full, so a failed write is logged, not thrown — the
   * next append retries it.
   */
  truncateFromEndQuietly(endOffset: number): void {
    if (!this.epochs.truncateFromEnd(endOffset)) return;
    try {
      this.write();
    } catch (error) {
      this.logLine(describeError(error));
    }
  }

  /** The log start moved up to `offset`. */
  truncateFromStart(offset: number): void {
    if (this.epochs.truncateFromStart(offset)) this.write();
  }

  /** The log begins again, empty. */
  clear(): void {
    this.epochs.clear();
    this.write();
  }
}
