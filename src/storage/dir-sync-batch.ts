// Directory fsyncs shared by a batch of partition creations. Opening a new partition fsyncs its directory twice
// (after its log-format file's rename and after its first segment's creation), and its parent was never synced
// for the new directory's name: with 1,000 partitions created at once that is thousands of fsyncs in a row on
// the event loop. Inside batch(), syncDir only records the directory (and mkdirs its parent); at the batch's end
// each is fsynced once — after the first, the filesystem's journal already holds the others' names, so they
// cost little. Safe because a batch runs in one turn of the event loop: nothing written in it is acknowledged or
// built on before its end, and a crash inside it leaves new partitions with empty segments at worst, which
// opening again completes (settleLogFormat writes a missing format file for empty segments).

import { dirname } from "node:path";
import type { StorageFs } from "./storage-fs.ts";

export interface DirSyncBatching {
  /** The StorageFs to give the logs: its syncDir and mkdirs defer to the end of the batch under way. */
  readonly storageFs: StorageFs;
  /** Runs `work` with directory fsyncs deferred, then fsyncs each recorded directory once. Nests. */
  batch<T>(work: () => T): T;
  /** Directory fsyncs done at the end of batches so far, and those they saved (tests, benchmarks). */
  readonly stats: { synced: number; deferred: number };
}

export function dirSyncBatching(inner: StorageFs): DirSyncBatching {
  let pending: Set<string> | null = null;
  const stats = { synced: 0, deferred: 0 };
  const storageFs: StorageFs = {
    ...boundMethods(inner),
    syncDir(path) {
      if (pending === null) return inner.syncDir(path);
      stats.deferred += 1;
      pending.add(path);
    },
    mkdirs(path) {
      inner.mkdirs(path);
      // The new directory's name must be durable too; outside a batch its creators sync what they write in it.
      pending?.add(dirname(path));
    },
  };
  return {
    storageFs,
    stats,
    batch(work) {
      if (pending !== null) return work();
      pending = new Set();
      try {
        return work();
      } finally {
        const dirs = pending;
        pending = null;
        // Children before parents: a parent's fsync then covers names whose directories are already durable.
        for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
          // A partition deleted within the batch took its directory along.
          if (!inner.exists(dir)) continue;
          inner.syncDir(dir);
          stats.synced += 1;
        }
      }
    },
  };
}

/**
 * Every method of `fs`, bound to it: a spread copies only own properties, and a class instance (the simulator's
 * disk, the fault-injecting file system) keeps its methods on its prototype.
 */
function boundMethods(fs: StorageFs): StorageFs {
  const methods: Record<string, unknown> = {};
  for (let object: object | null = fs; object !== null && object !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(object)) {
      const value = (fs as unknown as Record<string, unknown>)[name];
      if (name !== "constructor" && !(name in methods) && typeof value === "function")
        methods[name] = (value as (...args: unknown[]) => unknown).bind(fs);
    }
    object = Object.getPrototypeOf(object);
  }
  return methods as unknown as StorageFs;
}
