// The producer-state snapshot files of one partition directory, `<20-digit offset>.snapshot` beside the
// segments (Kafka's names). Each is written atomically (temporary, fsync, rename, fsync the directory), so a
// crash leaves a whole file or none; a file that is damaged anyway is skipped with a log line and deleted, and
// the next older one is tried. The offsets present are listed once at open and then tracked in memory.

import { join } from "node:path";
import { assert } from "../base/assert.ts";
import { writeFileAtomic, writeFileAtomicInBackground } from "../storage/atomic-file.ts";
import { parseOffsetFileName, segmentFileStem } from "../storage/segment-name.ts";
import { describeError } from "../storage/storage-error.ts";
import { readFully, type StorageFs } from "../storage/storage-fs.ts";
import type { AbortedTransaction } from "./aborted-transactions.ts";
import type { ProducerSnapshotEntry } from "./producer-state.ts";
import { decodeProducerSnapshotFile, encodeProducerSnapshot } from "./producer-state-snapshot.ts";

export const producerSnapshotSuffix = ".snapshot";
/** A larger file is not read (about 1.4 million producers with five batches each): it is damaged. */
export const producerSnapshotBytesMax = 256 * 1024 * 1024;

export function producerSnapshotFileName(offset: number): string {
  return segmentFileStem(offset) + producerSnapshotSuffix;
}

/** The offset a snapshot file is named for, or null if the name is not a snapshot's. */
export function parseProducerSnapshotFileName(name: string): number | null {
  return parseOffsetFileName(name, producerSnapshotSuffix);
}

export interface LoadedProducerSnapshot {
  offset: number;
  entries: ProducerSnapshotEntry[];
  aborted: AbortedTransaction[];
}

export class ProducerSnapshotFiles {
  /** Offsets of the snapshot files present, ascending. */
  private offsets: number[];

  constructor(
    private readonly storageFs: StorageFs,
    private readonly dir: string,
    private readonly logLine: (line: string) => void,
  ) {
    this.offsets = storageFs
      .readdir(dir)
      .map(parseProducerSnapshotFileName)
      .filter((offset): offset is number => offset !== null)
      .sort((a, b) => a - b);
  }

  get snapshotOffsets(): readonly number[] {
    return this.offsets;
  }

  get latestOffset(): number | null {
    return this.offsets.at(-1) ?? null;
  }

  write(
    offset: number,
    entries: readonly ProducerSnapshotEntry[],
    aborted: readonly AbortedTransaction[] = [],
  ): void {
    writeFileAtomic(this.storageFs, this.pathOf(offset), encodeProducerSnapshot(offset, entries, aborted));
    this.list(offset);
  }

  /**
   * write() with both fsyncs on the thread pool. `isCurrent` is asked just before the rename, and the offset
   * is listed in that same turn, so a deletion that comes later always finds the landed file (one whose rename
   * then fails is listed without a file: the next load skips it as unreadable). Resolves true once the
   * snapshot is durable, false if `isCurrent` dropped it; rejects if it could not be written.
   */
  writeInBackground(
    offset: number,
    entries: readonly ProducerSnapshotEntry[],
    options: { tag: string; isCurrent: () => boolean; aborted?: readonly AbortedTransaction[] },
  ): Promise<boolean> {
    return writeFileAtomicInBackground(
      this.storageFs,
      this.pathOf(offset),
      encodeProducerSnapshot(offset, entries, options.aborted ?? []),
      {
        tag: options.tag,
        isCurrent: () => {
          if (!options.isCurrent()) return false;
          this.list(offset);
          return true;
        },
      },
    );
  }

  private list(offset: number): void {
    assert(Number.isSafeInteger(offset) && offset >= 0, `snapshot offset ${offset}`);
    if (this.offsets.includes(offset)) return;
    this.offsets.push(offset);
    this.offsets.sort((a, b) => a - b);
  }

  /** The newest snapshot at or below `offsetMax` that reads back whole; damaged ones are deleted on the way. */
  loadLatest(offsetMax: number): LoadedProducerSnapshot | null {
    for (let index = this.offsets.length - 1; index >= 0; index--) {
      const offset = this.offsets[index]!;
      if (offset > offsetMax) continue;
      assert(index === 0 || this.offsets[index - 1]! < offset, "snapshot offsets ascend, each once");
      const bytes = this.readBytes(offset);
      const decoded = typeof bytes === "string" ? bytes : decodeProducerSnapshotFile(bytes, offset);
      if (typeof decoded !== "string") return { offset, ...decoded };
      this.logLine(`${this.pathOf(offset)}: producer snapshot skipped and deleted (${decoded})`);
      this.delete([offset]);
    }
    return null;
  }

  /** Deletes the snapshots above `offset`: they describe batches the log no longer holds. */
  deleteAbove(offset: number): void {
    this.delete(this.offsets.filter((candidate) => candidate > offset));
  }

  /** Deletes the snapshots below `offset` but the newest, which a reopen may still start from. */
  deleteBelow(offset: number): void {
    const latest = this.latestOffset;
    this.delete(this.offsets.filter((candidate) => candidate < offset && candidate !== latest));
  }

  deleteAll(): void {
    this.delete([...this.offsets]);
  }

  private delete(offsets: readonly number[]): void {
    if (offsets.length === 0) return;
    for (const offset of offsets) {
      const path = this.pathOf(offset);
      if (this.storageFs.exists(path)) this.storageFs.unlink(path);
      this.offsets = this.offsets.filter((kept) => kept !== offset);
    }
    this.storageFs.syncDir(this.dir);
  }

  /** The file's bytes, or why they cannot be read. */
  private readBytes(offset: number): Uint8Array | string {
    try {
      const fd = this.storageFs.openExisting(this.pathOf(offset));
      try {
        const sizeBytes = this.storageFs.sizeOf(fd);
        if (sizeBytes > producerSnapshotBytesMax)
          return `${sizeBytes} bytes, over ${producerSnapshotBytesMax}`;
        const bytes = new Uint8Array(sizeBytes);
        return bytes.subarray(0, readFully(this.storageFs, fd, bytes, 0));
      } finally {
        this.storageFs.close(fd);
      }
    } catch (error) {
      return `unreadable: ${describeError(error)}`;
    }
  }

  private pathOf(offset: number): string {
    return join(this.dir, producerSnapshotFileName(offset));
  }
}
