// A sparse index file (Kafka's OffsetIndex and TimeIndex): fixed-size entries sorted by key, appended as the
// segment grows. Entries not yet written stay in a short in-memory tail; lookups binary-search the file with
// preads, so no index is ever held whole in memory (10,000 partitions × 1 GiB segments would not fit).
// The index is a hint: the log can always rebuild it from the segment, and verifies what it reads.

import { assert } from "../base/assert.ts";
import type { FilePool } from "./file-pool.ts";
import { floorIndex } from "./index-search.ts";
import { indexPendingEntriesMax } from "./limits.ts";
import { readFully } from "./storage-fs.ts";

export interface IndexEntry {
  key: number;
  value: number;
}

export interface IndexLayout {
  entryBytes: number;
  encode(view: DataView, position: number, entry: IndexEntry): void;
  decode(view: DataView, position: number): IndexEntry;
  /** The segment-relative offset an entry refers to, for truncation. */
  relativeOffsetOf(entry: IndexEntry): number;
}

/** Offset index: (relative offset int32, position int32), 8 bytes, as in Kafka. */
export const offsetIndexLayout: IndexLayout = {
  entryBytes: 8,
  encode(view, position, entry) {
    view.setInt32(position, entry.key);
    view.setInt32(position + 4, entry.value);
  },
  decode: (view, position) => ({ key: view.getInt32(position), value: view.getInt32(position + 4) }),
  relativeOffsetOf: (entry) => entry.key,
};

/** Time index: (timestamp int64, relative offset int32), 12 bytes, as in Kafka. */
export const timeIndexLayout: IndexLayout = {
  entryBytes: 12,
  encode(view, position, entry) {
    view.setBigInt64(position, BigInt(entry.key));
    view.setInt32(position + 8, entry.value);
  },
  decode: (view, position) => ({
    key: Number(view.getBigInt64(position)),
    value: view.getInt32(position + 8),
  }),
  relativeOffsetOf: (entry) => entry.value,
};

export class IndexFile {
  private diskCount: number;
  private pending: IndexEntry[] = [];
  private lastEntry: IndexEntry | undefined;
  private readonly scratch: Uint8Array;
  private readonly scratchView: DataView;

  /** Opens the index at `path` (which must exist) whose file holds `diskBytes` bytes. */
  constructor(
    private readonly pool: FilePool,
    readonly path: string,
    private readonly layout: IndexLayout,
    diskBytes: number,
  ) {
    this.scratch = new Uint8Array(layout.entryBytes);
    this.scratchView = new DataView(this.scratch.buffer);
    this.diskCount = Math.floor(diskBytes / layout.entryBytes);
    this.lastEntry = this.diskCount > 0 ? this.readEntry(this.diskCount - 1) : undefined;
  }

  get count(): number {
    return this.diskCount + this.pending.length;
  }

  last(): IndexEntry | undefined {
    return this.lastEntry;
  }

  entryAt(index: number): IndexEntry {
    assert(index >= 0 && index < this.count, `index entry ${index} of ${this.count}`);
    return index < this.diskCount ? this.readEntry(index) : this.pending[index - this.diskCount]!;
  }

  append(entry: IndexEntry): void {
    assert(
      this.lastEntry === undefined || entry.key >= this.lastEntry.key,
      `index key ${entry.key} regresses`,
    );
    this.pending.push(entry);
    this.lastEntry = entry;
    if (this.pending.length >= indexPendingEntriesMax) this.tryWritePending();
  }

  /**
   * Writing the tail while appending must not fail the append (the batch is already counted): on a full
   * disk the entries stay pending, and past a bound they are dropped — a hole in a sparse index only makes
   * lookups in that range scan further.
   */
  private tryWritePending(): void {
    try {
      this.writePending();
    } catch {
      if (this.pending.length < indexPendingEntriesMax * 4) return;
      this.pending = [];
      this.lastEntry = this.diskCount > 0 ? this.readEntry(this.diskCount - 1) : undefined;
    }
  }

  /** Writes the in-memory tail to the file (no fsync: a lost tail only makes lookups scan further). */
  writePending(): void {
    if (this.pending.length === 0) return;
    const bytes = new Uint8Array(this.pending.length * this.layout.entryBytes);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < this.pending.length; i++) {
      this.layout.encode(view, i * this.layout.entryBytes, this.pending[i]!);
    }
    this.pool.use(this.path, (fd) =>
      this.pool.storageFs.writeAll(fd, bytes, this.diskCount * this.layout.entryBytes),
    );
    this.diskCount += this.pending.length;
    this.pending = [];
  }

  /** The last entry whose key is ≤ `key`, or undefined. */
  floor(key: number): IndexEntry | undefined {
    const found = floorIndex(this.count, (i) => this.entryAt(i).key, key);
    return found === -1 ? undefined : this.entryAt(found);
  }

  /** Drops the entries that refer to relative offsets ≥ `relativeOffset` (the segment was truncated). */
  truncateToRelativeOffset(relativeOffset: number): void {
    const keep =
      floorIndex(this.count, (i) => this.layout.relativeOffsetOf(this.entryAt(i)), relativeOffset - 1) + 1;
    this.truncateToCount(keep);
  }

  truncateToCount(keep: number): void {
    if (keep >= this.count) return;
    if (keep >= this.diskCount) {
      this.pending.length = keep - this.diskCount;
    } else {
      this.pending = [];
      this.diskCount = keep;
      this.pool.use(this.path, (fd) => this.pool.storageFs.truncate(fd, keep * this.layout.entryBytes));
    }
    this.lastEntry = keep > 0 ? this.entryAt(keep - 1) : undefined;
  }

  private readEntry(index: number): IndexEntry {
    const position = index * this.layout.entryBytes;
    const count = this.pool.use(this.path, (fd) =>
      readFully(this.pool.storageFs, fd, this.scratch, position),
    );
    assert(count === this.layout.entryBytes, `short read of ${this.path} entry ${index}`);
    return this.layout.decode(this.scratchView, 0);
  }
}
