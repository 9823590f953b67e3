// Proves the partition log's contract: stamped appends, whole-batch reads of the stored bytes, rolls, group
// commit, truncation, restart, DeleteRecords, retention, checkpoints and the leader-epoch cache.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { batchOffsets, readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { decodeCheckpoint } from "../../src/storage/checkpoint-format.ts";
import { OffsetOutOfRangeError } from "../../src/storage/storage-error.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { baseOffsetOf, concatBytes, makeBatch } from "./batch-fixture.ts";
import { blockingCallsFs } from "./blocking-calls-fs.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;

/** node:fs with every fdatasync it starts counted (the fd of each, in order). */
function syncCountingFs() {
  const syncStarts: number[] = [];
  const countingFs = {
    ...nodeStorageFs,
    datasync: (fd: number) => {
      syncStarts.push(fd);
      return nodeStorageFs.datasync(fd);
    },
  };
  return { syncStarts, countingFs };
}

/** A copy of `batch` as a leader stored it: at `baseOffset`, in epoch 0 (neither field is under the CRC). */
function stampedAt(batch: Uint8Array, baseOffset: number): Uint8Array {
  const copy = batch.slice();
  const view = new DataView(copy.buffer);
  view.setBigInt64(batchOffsets.baseOffset, BigInt(baseOffset));
  view.setInt32(batchOffsets.partitionLeaderEpoch, 0);
  return copy;
}
let harness: Harness;

beforeEach(() => {
  temp = makeTempDir();
  harness = makeHarness(temp.path);
});
afterEach(() => temp.remove());

describe("append and read", () => {
  test("stamps offsets and epochs and reads back the stored bytes", async () => {
    const log = harness.open();
    const first = makeBatch({ recordCount: 3, seed: 1 });
    const second = makeBatch({ recordCount: 2, seed: 2 });
    expect(await log.append(first, { leaderEpoch: 5 })).toEqual({ baseOffset: 0, lastOffset: 2 });
    expect(await log.append(second, { leaderEpoch: 5 })).toEqual({ baseOffset: 3, lastOffset: 4 });
    expect(log.logEndOffset).toBe(5);
    expect(log.flushedOffset).toBe(5);
    const read = log.read(0, { maxBytes: 1 << 20 });
    expect(read.bytes).toEqual(concatBytes([first, second]));
    expect(read.nextOffset).toBe(5);
    const header = readBatchHeader(read.bytes, first.length);
    expect(header.baseOffset).toBe(3n);
    expect(header.partitionLeaderEpoch).toBe(5);
    await log.close();
  });

  test("a read is a plain Uint8Array of its own, whose slice() copies", async () => {
    // Read into memory taken without zeroing (a Buffer underneath): a Buffer's slice() would be a view, and a
    // caller keeping a slice of a record (a group's subscription, say) would pin the whole read.
    const log = harness.open();
    await log.append(makeBatch({ recordCount: 2, seed: 3 }), { leaderEpoch: 0 });
    const { bytes } = log.read(0, { maxBytes: 1 << 20 });
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect(bytes.slice(0, 8).buffer).not.toBe(bytes.buffer);
    await log.close();
  });

  test("reads from the batch holding the offset, whole batches only, at least one", async () => {
    const log = harness.open();
    const batches = [0, 1, 2, 3].map((seed) => makeBatch({ recordCount: 10, payloadBytes: 500, seed }));
    for (const batch of batches) await log.append(batch, { leaderEpoch: 0 });
    const middle = log.read(25, { maxBytes: 1 });
    expect(baseOffsetOf(middle.bytes)).toBe(20);
    expect(middle.bytes.length).toBe(batches[2]!.length);
    expect(middle.nextOffset).toBe(30);
    const two = log.read(10, { maxBytes: batches[1]!.length * 2 + 100 });
    expect(two.bytes).toEqual(concatBytes([batches[1]!, batches[2]!]));
    expect(log.read(40, { maxBytes: 100 }).bytes.length).toBe(0);
    expect(log.read(0, { maxBytes: 1 << 20, maxOffset: 20 }).bytes).toEqual(concatBytes(batches.slice(0, 2)));
    expect(() => log.read(41, { maxBytes: 100 })).toThrow(OffsetOutOfRangeError);
    await log.close();
  });

  test("without minOneBatch a first batch larger than maxBytes is left for a later read", async () => {
    const log = harness.open();
    const batches = [0, 1, 2].map((seed) => makeBatch({ recordCount: 10, payloadBytes: 500, seed }));
    for (const batch of batches) await log.append(batch, { leaderEpoch: 0 });
    const size = batches[0]!.length;
    expect(log.read(0, { maxBytes: size - 1, minOneBatch: false })).toEqual({
      bytes: new Uint8Array(0),
      nextOffset: 0,
    });
    expect(log.read(0, { maxBytes: size, minOneBatch: false }).bytes).toEqual(batches[0]!);
    const two = log.read(10, { maxBytes: batches[1]!.length + batches[2]!.length, minOneBatch: false });
    expect(two.bytes).toEqual(concatBytes(batches.slice(1)));
    expect(log.read(0, { maxBytes: size - 1 }).bytes).toEqual(batches[0]!);
    await log.close();
  });

  test("rejects bytes that are not whole batches and leaves the log as it was", async () => {
    const log = harness.open();
    const batch = makeBatch();
    await expect(log.append(batch.subarray(0, 40), { leaderEpoch: 0 })).rejects.toThrow("truncated");
    expect(log.logEndOffset).toBe(0);
    await log.append(batch, { leaderEpoch: 0 });
    expect(log.logEndOffset).toBe(1);
    await log.close();
  });

  test("a follower append keeps the leader's offsets and must continue the log", async () => {
    const leader = harness.open();
    await leader.append(makeBatch({ recordCount: 4 }), { leaderEpoch: 2 });
    const copy = leader.read(0, { maxBytes: 1 << 20 }).bytes.slice();
    await leader.close();
    const followerHarness = makeHarness(join(temp.path, "follower"));
    const follower = followerHarness.open();
    expect(await follower.appendReplicated(copy)).toEqual({ baseOffset: 0, lastOffset: 3 });
    await expect(follower.appendReplicated(copy)).rejects.toThrow("expects 4");
    expect(follower.epochs.epochAt(2)).toBe(2);
    await follower.close();
  });

  test("writeStaged writes a turn's appends at once; their sync starts before the event loop turns", async () => {
    const { syncStarts, countingFs } = syncCountingFs();
    const log = makeHarness(join(temp.path, "counted"), { storageFs: countingFs }).open();
    const dir = join(temp.path, "counted", "topic-0");
    const segmentPath = join(dir, readdirSync(dir).find((name) => name.endsWith(".log"))!);
    const batches = [1, 2].map((seed) => makeBatch({ recordCount: 2, seed }));
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const stamped = batches.map((batch, i) => stampedAt(batch, 2 * i));
    const appended = Promise.all(stamped.map((batch) => log.appendReplicated(batch)));
    expect(statSync(segmentPath).size).toBe(0);
    log.writeStaged();
    const written = concatBytes(stamped);
    expect(readFileSync(segmentPath).subarray(0, written.length)).toEqual(Buffer.from(written));
    for (let i = 0; i < 4; i++) await Promise.resolve();
    expect(syncStarts.length).toBe(1);
    expect(turned).toBe(false);
    await appended;
    expect(log.flushedOffset).toBe(4);
    expect(syncStarts.length).toBe(1);
    await log.close();
  });

  test("a sync writes what is staged first: one sync covers a flush() of unwritten appends", async () => {
    const { syncStarts, countingFs } = syncCountingFs();
    const log = makeHarness(join(temp.path, "flushed"), { storageFs: countingFs }).open({
      flushPolicy: "never",
    });
    const appended = log.append(makeBatch({ recordCount: 3 }), { leaderEpoch: 0 });
    await log.flush();
    expect(log.flushedOffset).toBe(3);
    expect(syncStarts.length).toBe(1);
    await appended;
    await log.close();
  });

  test("concurrent appends share fdatasyncs (group commit) and each resolves after its sync", async () => {
    const log = harness.open();
    const appends = Array.from({ length: 64 }, (_, i) =>
      log.append(makeBatch({ seed: i, payloadBytes: 1024 }), { leaderEpoch: 0 }).then((result) => {
        expect(log.flushedOffset).toBeGreaterThan(result.lastOffset);
        return result;
      }),
    );
    const results = await Promise.all(appends);
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(log.syncCount).toBeLessThan(64);
    expect(log.syncCount).toBeGreaterThan(0);
    await log.close();
  });

  test("the 'never' policy acknowledges before syncing; flush() syncs", async () => {
    const log = harness.open({ flushPolicy: "never" });
    await log.append(makeBatch(), { leaderEpoch: 0 });
    expect(log.logEndOffset).toBe(1);
    expect(log.flushedOffset).toBe(0);
    await log.flush();
    expect(log.flushedOffset).toBe(1);
    await log.close();
  });

  test("the 'interval' policy syncs once flush.ms has passed", async () => {
    const log = harness.open({ flushPolicy: "interval", flushIntervalMs: 1000 });
    await log.append(makeBatch(), { leaderEpoch: 0 });
    log.flushIfDue();
    await Bun.sleep(5);
    expect(log.flushedOffset).toBe(0);
    harness.clock.advance(1000);
    log.flushIfDue();
    await log.flush();
    expect(log.flushedOffset).toBe(1);
    await log.close();
  });
});

describe("segments", () => {
  test("roll at segment.bytes, name files by 20-digit base offset, and read across segments", async () => {
    const log = harness.open({ segmentBytes: 2000, indexIntervalBytes: 300 });
    const batches = Array.from({ length: 20 }, (_, i) =>
      makeBatch({ recordCount: 2, payloadBytes: 400, seed: i }),
    );
    for (const batch of batches) await log.append(batch, { leaderEpoch: 0 });
    expect(log.segmentCount).toBe(5);
    const names = readdirSync(harness.dir)
      .filter((name) => name.endsWith(".log"))
      .sort();
    expect(names[1]).toBe("00000000000000000008.log");
    for (let offset = 0; offset < 40; offset += 3) {
      const read = log.read(offset, { maxBytes: 1 });
      expect(read.bytes).toEqual(batches[Math.floor(offset / 2)]!);
    }
    let offset = 0;
    const all: Uint8Array[] = [];
    while (offset < log.logEndOffset) {
      const read = log.read(offset, { maxBytes: 1500 });
      all.push(read.bytes);
      offset = read.nextOffset;
    }
    expect(concatBytes(all)).toEqual(concatBytes(batches));
    await log.close();
  });

  test("roll at segment.ms counted from the segment's first append, whatever the batch timestamps", async () => {
    const log = harness.open({ segmentMs: 60_000 });
    await log.append(makeBatch({ timestampMs: 0 }), { leaderEpoch: 0 });
    harness.clock.advance(30_000);
    await log.append(makeBatch({ timestampMs: 0 }), { leaderEpoch: 0 });
    expect(log.segmentCount).toBe(1);
    harness.clock.advance(31_000);
    await log.append(makeBatch({ timestampMs: harness.clock.wallMs() }), { leaderEpoch: 0 });
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
    await log.close();
  });

  test("a clean close checkpoints; reopening needs no scan and rebuilds a deleted index", async () => {
    let log = harness.open({ segmentBytes: 3000, indexIntervalBytes: 200 });
    const batches = Array.from({ length: 30 }, (_, i) => makeBatch({ payloadBytes: 300, seed: i }));
    for (const batch of batches) await log.append(batch, { leaderEpoch: 1 });
    await log.close();
    rmSync(join(harness.dir, "00000000000000000008.index"));
    log = harness.open({ segmentBytes: 3000, indexIntervalBytes: 200 });
    expect(log.logEndOffset).toBe(30);
    expect(harness.lines.some((line) => line.includes("rebuilding"))).toBe(true);
    expect(existsSync(join(harness.dir, "00000000000000000008.index"))).toBe(true);
    for (let offset = 0; offset < 30; offset++) {
      expect(log.read(offset, { maxBytes: 1 }).bytes).toEqual(batches[offset]!);
    }
    await log.close();
  });

  test("a stale index (an entry past the segment's end) is detected at open and rebuilt", async () => {
    let log = harness.open({ segmentBytes: 3000, indexIntervalBytes: 200 });
    const batches = Array.from({ length: 30 }, (_, i) => makeBatch({ payloadBytes: 300, seed: i }));
    for (const batch of batches) await log.append(batch, { leaderEpoch: 1 });
    await log.close();
    const stale = new Uint8Array(8);
    new DataView(stale.buffer).setInt32(0, 7);
    new DataView(stale.buffer).setInt32(4, 1_000_000);
    appendFileSync(join(harness.dir, "00000000000000000000.index"), stale);
    log = harness.open({ segmentBytes: 3000, indexIntervalBytes: 200 });
    expect(
      harness.lines.some((line) => line.includes("00000000000000000000.log: index missing or stale")),
    ).toBe(true);
    for (let offset = 0; offset < 30; offset++) {
      expect(log.read(offset, { maxBytes: 1 }).bytes).toEqual(batches[offset]!);
    }
    await log.close();
  });

  test("offsetForTimestamp finds the first batch at or after a time", async () => {
    const log = harness.open({ segmentBytes: 1000, indexIntervalBytes: 100 });
    for (let i = 0; i < 20; i++)
      await log.append(makeBatch({ timestampMs: 1000 + i * 10, seed: i }), { leaderEpoch: 0 });
    expect(log.offsetForTimestamp(1000)).toBe(0);
    expect(log.offsetForTimestamp(1095)).toBe(10);
    expect(log.offsetForTimestamp(1190)).toBe(19);
    expect(log.offsetForTimestamp(5000)).toBeNull();
    await log.close();
  });
});

/**
 * node:fs that records every call that makes the event loop wait for the disk, and can hold back the
 * fdatasync of checkpoint temporaries until `release` is called.
 */
const checkpointOf = (dir: string) => decodeCheckpoint(readFileSync(join(dir, "log-checkpoint"), "utf8"));
const temporariesIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".tmp"));

describe("background checkpoints", () => {
  test("the manager's checkpoint writes and fsyncs on the thread pool, never on the event loop", async () => {
    const { spyFs, blockingCalls } = blockingCallsFs();
    harness = makeHarness(temp.path, { storageFs: spyFs });
    const log = harness.open();
    for (let i = 0; i < 3; i++) await log.append(makeBatch({ seed: i }), { leaderEpoch: 0 });
    blockingCalls.length = 0;
    await log.checkpointInBackground();
    expect(blockingCalls).toEqual([]);
    expect(checkpointOf(harness.dir)).toMatchObject({ recoveryPoint: 3, logStartOffset: 0 });
    expect(temporariesIn(harness.dir)).toEqual([]);
    // It counts as written: the same checkpoint is not written again.
    log.checkpoint();
    expect(blockingCalls).toEqual([]);
    await log.close();
  });

  test("a roll's checkpoint is written in the background too", async () => {
    const { spyFs, blockingCalls } = blockingCallsFs();
    harness = makeHarness(temp.path, { storageFs: spyFs });
    const log = harness.open();
    for (let i = 0; i < 3; i++) await log.append(makeBatch({ seed: i }), { leaderEpoch: 0 });
    blockingCalls.length = 0;
    log.roll();
    // The old segment's last fdatasync, the new segment's files and their directory entries stay synchronous;
    // the checkpoint, its temporary's creation included, does not.
    expect(blockingCalls).toEqual([
      "datasyncSync",
      "create 00000000000000000003.log",
      "create 00000000000000000003.index",
      "create 00000000000000000003.timeindex",
      "syncDir",
    ]);
    const landed = () => (checkpointOf(harness.dir) as { recoveryPoint?: number }).recoveryPoint === 3;
    for (let i = 0; i < 100 && !landed(); i++) await Bun.sleep(2);
    expect(checkpointOf(harness.dir)).toMatchObject({ recoveryPoint: 3 });
    await log.close();
  });

  test("one overtaken by a synchronous checkpoint (a truncation) never lands over it", async () => {
    const { spyFs, release, untilHeld } = blockingCallsFs({ holdBackgroundSyncs: true });
    harness = makeHarness(temp.path, { storageFs: spyFs });
    const log = harness.open();
    for (let i = 0; i < 20; i++) await log.append(makeBatch({ seed: i }), { leaderEpoch: i < 10 ? 1 : 2 });
    const background = log.checkpointInBackground();
    expect(await untilHeld(1)).toBe(1);
    // The background write holds recovery point 20; the truncation lowers it to 10 and writes that at once.
    expect(log.truncate(10)).toBe(10);
    expect(checkpointOf(harness.dir)).toMatchObject({ recoveryPoint: 10 });
    release();
    await background;
    expect(checkpointOf(harness.dir)).toMatchObject({ recoveryPoint: 10 });
    expect(temporariesIn(harness.dir)).toEqual([]);
    await log.close();
  });
});

describe("truncation, restart, deletion and retention", () => {
  test("truncate drops a divergent suffix across segments, then appends continue", async () => {
    const log = harness.open({ segmentBytes: 1000 });
    for (let i = 0; i < 20; i++)
      await log.append(makeBatch({ recordCount: 2, payloadBytes: 200, seed: i }), {
        leaderEpoch: i < 10 ? 1 : 2,
      });
    log.highWatermark = 40;
    expect(log.truncate(15)).toBe(14);
    expect(log.logEndOffset).toBe(14);
    expect(log.highWatermark).toBe(14);
    expect(log.epochs.all()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(log.segmentBaseOffsets().every((base) => base <= 14)).toBe(true);
    const next = await log.append(makeBatch({ seed: 99 }), { leaderEpoch: 3 });
    expect(next.baseOffset).toBe(14);
    await log.close();
    const reopened = harness.open({ segmentBytes: 1000 });
    expect(reopened.logEndOffset).toBe(15);
    expect(reopened.epochs.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 14 },
    ]);
    const tail = reopened.read(14, { maxBytes: 1 }).bytes;
    expect(baseOffsetOf(tail)).toBe(14);
    expect(tail.subarray(batchOffsets.crc)).toEqual(makeBatch({ seed: 99 }).subarray(batchOffsets.crc));
    await reopened.close();
  });

  test("restartAt empties the log and begins again at the given offset", async () => {
    const log = harness.open();
    for (let i = 0; i < 5; i++) await log.append(makeBatch({ seed: i }), { leaderEpoch: 1 });
    log.restartAt(1000);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([1000, 1000]);
    expect(log.epochs.all()).toEqual([]);
    expect((await log.append(makeBatch(), { leaderEpoch: 4 })).baseOffset).toBe(1000);
    await log.close();
    const reopened = harness.open();
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([1000, 1001]);
    expect(() => reopened.read(999, { maxBytes: 10 })).toThrow(OffsetOutOfRangeError);
    await reopened.close();
  });

  test("deleteRecords advances the log start offset durably and deletes whole segments below it", async () => {
    const log = harness.open({ segmentBytes: 1000 });
    for (let i = 0; i < 20; i++)
      await log.append(makeBatch({ payloadBytes: 200, seed: i }), { leaderEpoch: 0 });
    expect(() => log.deleteRecords(5)).toThrow(OffsetOutOfRangeError);
    log.highWatermark = 20;
    const segmentsBefore = log.segmentCount;
    expect(log.deleteRecords(9)).toBe(9);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    expect(log.segmentBaseOffsets()[0]).toBeLessThanOrEqual(9);
    expect(() => log.read(8, { maxBytes: 10 })).toThrow(OffsetOutOfRangeError);
    expect(baseOffsetOf(log.read(9, { maxBytes: 1 }).bytes)).toBe(9);
    await log.close();
    const reopened = harness.open({ segmentBytes: 1000 });
    expect(reopened.logStartOffset).toBe(9);
    await reopened.close();
  });

  test("reconfigure takes effect at the next append: segment.bytes lowered rolls, as AlterConfigs wants", async () => {
    const log = harness.open();
    for (let i = 0; i < 4; i++)
      await log.append(makeBatch({ payloadBytes: 300, seed: i }), { leaderEpoch: 0 });
    expect(log.segmentCount).toBe(1);
    log.reconfigure({ ...log.config, segmentBytes: 1000 });
    for (let i = 4; i < 10; i++)
      await log.append(makeBatch({ payloadBytes: 300, seed: i }), { leaderEpoch: 0 });
    expect(log.segmentCount).toBeGreaterThanOrEqual(3);
    expect(log.config.segmentBytes).toBe(1000);
    await log.close();
  });

  test("retention by size and by time deletes whole segments below the high watermark only", async () => {
    const log = harness.open({ segmentBytes: 1000, retentionBytes: 2500, retentionMs: -1 });
    for (let i = 0; i < 20; i++)
      await log.append(makeBatch({ payloadBytes: 200, seed: i, timestampMs: 1000 + i }), { leaderEpoch: 0 });
    expect(log.applyRetention().deleteCount).toBe(0);
    log.highWatermark = 20;
    const bySize = log.applyRetention();
    expect(bySize.reason).toBe("retention-bytes");
    expect(log.sizeBytes).toBeGreaterThanOrEqual(2500 - 1000);
    expect(log.sizeBytes).toBeLessThan(2500 + 1000);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]!);
    log.reconfigure({ ...log.config, retentionBytes: -1, retentionMs: 1000 });
    harness.clock.setWallMs(1000 + 19 + 1000 + 1);
    const byTime = log.applyRetention();
    expect(byTime.reason).toBe("retention-ms");
    expect(log.segmentCount).toBe(1);
    await log.close();
  });
});

describe("leader-epoch cache", () => {
  test("records each epoch's first offset and survives reopen", async () => {
    const log = harness.open();
    await log.append(makeBatch({ recordCount: 5 }), { leaderEpoch: 1 });
    await log.append(makeBatch({ recordCount: 5 }), { leaderEpoch: 1 });
    await log.append(makeBatch({ recordCount: 5 }), { leaderEpoch: 4 });
    expect(log.epochs.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 10 },
    ]);
    expect(log.epochs.epochAt(12)).toBe(4);
    await expect(log.append(makeBatch(), { leaderEpoch: 3 })).rejects.toThrow("older");
    await log.close();
    const reopened = harness.open();
    expect(reopened.epochs.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 10 },
    ]);
    await reopened.close();
  });

  test("a lost epoch checkpoint is rebuilt from the batches", async () => {
    const log = harness.open({ segmentBytes: 500 });
    for (let i = 0; i < 10; i++) await log.append(makeBatch({ seed: i }), { leaderEpoch: Math.floor(i / 3) });
    await log.close();
    rmSync(join(harness.dir, "leader-epoch-checkpoint"));
    const reopened = harness.open({ segmentBytes: 500 });
    expect(reopened.epochs.all().map((entry) => entry.startOffset)).toEqual([0, 3, 6, 9]);
    await reopened.close();
  });
});

test("stamped header fields sit where the batch header module says", async () => {
  const log = harness.open();
  const batch = makeBatch();
  await log.append(batch, { leaderEpoch: 7 });
  const view = new DataView(batch.buffer);
  expect(view.getInt32(batchOffsets.partitionLeaderEpoch)).toBe(7);
  await log.close();
});
