// Proves that a failed write (full disk, I/O error) fails only that append, leaves the log consistent with
// no half-indexed batch or gap, and that appends succeed again once space is back; a failed fdatasync
// takes the log offline until it is reopened.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { FaultInjectingFs } from "../../src/storage/fault-injecting-fs.ts";
import { StorageError } from "../../src/storage/storage-error.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { concatBytes, makeBatch } from "./batch-fixture.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
let faults: FaultInjectingFs;
let harness: Harness;

beforeEach(() => {
  temp = makeTempDir();
  faults = new FaultInjectingFs(nodeStorageFs);
  harness = makeHarness(temp.path, { storageFs: faults });
});
afterEach(() => temp.remove());

test("ENOSPC part way through a batch fails that append, cuts the partial bytes, and later appends work", async () => {
  const log = harness.open({ indexIntervalBytes: 100 });
  const good = [makeBatch({ payloadBytes: 1000, seed: 1 }), makeBatch({ payloadBytes: 1000, seed: 2 })];
  for (const batch of good) await log.append(batch, { leaderEpoch: 0 });
  faults.writeBytesLeft = 500;
  const error = await log
    .append(makeBatch({ payloadBytes: 1000, seed: 3 }), { leaderEpoch: 0 })
    .catch((e) => e);
  expect(error).toBeInstanceOf(StorageError);
  expect(error.code).toBe("ENOSPC");
  expect(error.message).toContain("append of 1061 bytes at offset 2 failed");
  expect(log.logEndOffset).toBe(2);
  const logPath = join(harness.dir, "00000000000000000000.log");
  expect(statSync(logPath).size).toBe(2 * 1061);
  faults.writeBytesLeft = null;
  const after = makeBatch({ payloadBytes: 1000, seed: 4 });
  expect((await log.append(after, { leaderEpoch: 0 })).baseOffset).toBe(2);
  expect(log.read(0, { maxBytes: 1 << 20 }).bytes).toEqual(concatBytes([...good, after]));
  await log.close();
  const reopened = harness.open({ indexIntervalBytes: 100 });
  expect(reopened.logEndOffset).toBe(3);
  expect(reopened.read(2, { maxBytes: 1 }).bytes).toEqual(after);
  await reopened.close();
});

test("an I/O error on write fails the append only", async () => {
  const log = harness.open();
  await log.append(makeBatch({ seed: 1 }), { leaderEpoch: 0 });
  faults.failNextWrite = "EIO";
  await expect(log.append(makeBatch({ seed: 2 }), { leaderEpoch: 0 })).rejects.toThrow("EIO");
  expect((await log.append(makeBatch({ seed: 3 }), { leaderEpoch: 0 })).baseOffset).toBe(1);
  await log.close();
});

test("a full disk when rolling keeps the old segment active; the roll succeeds later", async () => {
  const log = harness.open({ segmentBytes: 300 });
  await log.append(makeBatch({ payloadBytes: 200, seed: 1 }), { leaderEpoch: 0 });
  faults.failCreate = "ENOSPC";
  await expect(log.append(makeBatch({ payloadBytes: 200, seed: 2 }), { leaderEpoch: 0 })).rejects.toThrow(
    "cannot create a segment at 1",
  );
  expect(log.segmentCount).toBe(1);
  faults.failCreate = null;
  expect((await log.append(makeBatch({ payloadBytes: 200, seed: 3 }), { leaderEpoch: 0 })).baseOffset).toBe(
    1,
  );
  expect(log.segmentBaseOffsets()).toEqual([0, 1]);
  await log.close();
});

test("a failed fdatasync fails the waiting appends and takes the log offline until reopened", async () => {
  const log = harness.open();
  await log.append(makeBatch({ seed: 1 }), { leaderEpoch: 0 });
  faults.failNextSync = "EIO";
  await expect(log.append(makeBatch({ seed: 2 }), { leaderEpoch: 0 })).rejects.toThrow("fdatasync failed");
  expect(log.offlineError).toBeInstanceOf(StorageError);
  await expect(log.append(makeBatch({ seed: 3 }), { leaderEpoch: 0 })).rejects.toThrow("offline");
  await log.close();
  const reopened = harness.open();
  expect(reopened.offlineError).toBeNull();
  expect((await reopened.append(makeBatch({ seed: 4 }), { leaderEpoch: 0 })).baseOffset).toBe(
    reopened.logEndOffset - 1,
  );
  await reopened.close();
});

test("appends of one turn fail together when their shared write fails, and nothing of them remains", async () => {
  const log = harness.open({ indexIntervalBytes: 10 });
  await log.append(makeBatch({ seed: 1 }), { leaderEpoch: 1 });
  faults.writeBytesLeft = 150;
  const outcomes = await Promise.allSettled([
    log.append(makeBatch({ seed: 2 }), { leaderEpoch: 1 }),
    log.append(makeBatch({ seed: 3 }), { leaderEpoch: 2 }),
    log.append(makeBatch({ seed: 4 }), { leaderEpoch: 2 }),
  ]);
  expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected"]);
  expect(log.logEndOffset).toBe(1);
  expect(log.epochs.all()).toEqual([{ epoch: 1, startOffset: 0 }]);
  expect(log.read(0, { maxBytes: 1 << 20 }).nextOffset).toBe(1);
  faults.writeBytesLeft = null;
  const later = makeBatch({ seed: 5 });
  expect((await log.append(later, { leaderEpoch: 2 })).baseOffset).toBe(1);
  expect(log.read(1, { maxBytes: 1 }).bytes).toEqual(later);
  await log.close();
  const reopened = harness.open({ indexIntervalBytes: 10 });
  expect(reopened.logEndOffset).toBe(2);
  expect(reopened.read(1, { maxBytes: 1 }).bytes).toEqual(later);
  await reopened.close();
});
