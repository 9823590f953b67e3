// A bounded pool of open file descriptors shared by every partition of a node, so 10,000 partitions with
// several files each need not hold 30,000+ descriptors. Least recently used descriptors close first; a
// descriptor in use (pinned, e.g. during an fdatasync) is never closed under its user.

import { assert } from "../base/assert.ts";
import { openFileHandlesMax } from "./limits.ts";
import type { StorageFs } from "./storage-fs.ts";

interface PoolEntry {
  fd: number;
  pins: number;
  /** The file was deleted or replaced while pinned: close at the last release. */
  doomed: boolean;
}

export interface FileLease {
  readonly fd: number;
  release(): void;
}

export class FilePool {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, PoolEntry>();

  constructor(
    readonly storageFs: StorageFs,
    readonly handlesMax: number = openFileHandlesMax,
  ) {
    assert(handlesMax >= 1, `handlesMax ${handlesMax}`);
  }

  get openCount(): number {
    return this.entries.size;
  }

  /** Runs `use` with the file's descriptor, opening it if the pool had closed it. */
  use<T>(path: string, use: (fd: number) => T): T {
    const lease = this.acquire(path);
    try {
      return use(lease.fd);
    } finally {
      lease.release();
    }
  }

  /** Pins the file's descriptor open until release(); for work that spans an await. */
  acquire(path: string): FileLease {
    const entry = this.entries.get(path) ?? this.open(path, () => this.storageFs.openExisting(path));
    this.touch(path, entry);
    entry.pins++;
    let released = false;
    return {
      fd: entry.fd,
      release: () => {
        assert(!released, `lease of ${path} released twice`);
        released = true;
        this.release(path, entry);
      },
    };
  }

  /** Creates (or empties) the file and keeps its descriptor in the pool. */
  create(path: string): void {
    this.forget(path);
    this.open(path, () => this.storageFs.create(path));
  }

  /** Closes the file's descriptor (now, or at its last release) before the file is deleted or renamed. */
  forget(path: string): void {
    const entry = this.entries.get(path);
    if (entry === undefined) return;
    this.entries.delete(path);
    if (entry.pins === 0) this.storageFs.close(entry.fd);
    else entry.doomed = true;
  }

  closeAll(): void {
    for (const path of [...this.entries.keys()]) this.forget(path);
  }

  private open(path: string, openFile: () => number): PoolEntry {
    this.evictFor(1);
    const entry: PoolEntry = { fd: openFile(), pins: 0, doomed: false };
    this.entries.set(path, entry);
    return entry;
  }

  private touch(path: string, entry: PoolEntry): void {
    this.entries.delete(path);
    this.entries.set(path, entry);
  }

  private release(path: string, entry: PoolEntry): void {
    assert(entry.pins > 0, `release of unpinned ${path}`);
    entry.pins--;
    if (entry.pins === 0 && entry.doomed) this.storageFs.close(entry.fd);
    else if (entry.pins === 0 && this.entries.size > this.handlesMax) this.evictFor(0);
  }

  /** Closes idle descriptors until `needed` more fit; pinned ones may push the pool over its maximum. */
  private evictFor(needed: number): void {
    for (const [path, entry] of this.entries) {
      if (this.entries.size + needed <= this.handlesMax) return;
      if (entry.pins > 0) continue;
      this.entries.delete(path);
      this.storageFs.close(entry.fd);
    }
  }
}
