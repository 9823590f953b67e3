// Proves partitions opened in one batch share their directory fsyncs: each new partition directory and the data
// directory are fsynced once at the batch's end instead of several times per partition (and the data directory, which
// holds the new names, not at all), the logs reopen from disk as written, and outside a batch nothing changes.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { manualTime } from "../../src/base/manual-clock.ts";
import { dirSyncBatching } from "../../src/storage/dir-sync-batch.ts";
import { logConfigOf } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { nodeStorageFs, type StorageFs } from "../../src/storage/storage-fs.ts";
import { makeBatch } from "./batch-fixture.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.remove());

/** nodeStorageFs that records every directory it fsyncs. */
function countingFs(): { fs: StorageFs; synced: string[] } {
  const synced: string[] = [];
  return {
    synced,
    fs: {
      ...nodeStorageFs,
      syncDir(path) {
        synced.push(path);
        nodeStorageFs.syncDir(path);
      },
    },
  };
}

function manager(dataDir: string, storageFs: StorageFs): LogManager {
  return new LogManager({
    ...manualTime(),
    dataDir,
    storageFs,
    configFor: () => logConfigOf({ flushPolicy: "every" }),
    log: () => {},
  });
}

const partitions = 40;

test("a batch fsyncs each new partition directory and the data directory once", async () => {
  const dataDir = join(temp.path, "data");
  const counting = countingFs();
  const batching = dirSyncBatching(counting.fs);
  const logs = manager(dataDir, batching.storageFs);
  counting.synced.length = 0;
  batching.batch(() => {
    for (let partition = 0; partition < partitions; partition++) logs.open("orders", partition);
    // Nothing is synced until the batch ends.
    expect(counting.synced).toEqual([]);
  });
  const expected = [...Array.from({ length: partitions }, (_, p) => join(dataDir, `orders-${p}`)), dataDir];
  expect(counting.synced.sort()).toEqual(expected.sort());
  expect(batching.stats.deferred).toBeGreaterThanOrEqual(2 * partitions);
  // The logs work and reopen from disk as written.
  await logs.logOf("orders", 7).append(makeBatch({ recordCount: 3 }), { leaderEpoch: 0 });
  await logs.close();
  const again = manager(dataDir, nodeStorageFs);
  expect(again.openAll()).toEqual([]);
  expect(again.partitionCount).toBe(partitions);
  expect(again.logOf("orders", 7).logEndOffset).toBe(3);
  await again.close();
});

test("outside a batch every directory fsync happens where it is asked for", async () => {
  const dataDir = join(temp.path, "data");
  const counting = countingFs();
  const batching = dirSyncBatching(counting.fs);
  const logs = manager(dataDir, batching.storageFs);
  counting.synced.length = 0;
  for (let partition = 0; partition < partitions; partition++) logs.open("orders", partition);
  expect(counting.synced.length).toBeGreaterThanOrEqual(2 * partitions);
  expect(batching.stats.deferred).toBe(0);
  await logs.close();
});
