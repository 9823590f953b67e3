// Proves the zeros a segment keeps written ahead of its last batch (limits.ts zeroAheadBytes): small appends
// land in blocks already written, so their syncs need no journal commit; reads, sizes and recovery see only
// the batches; a roll and a close cut the zeros off; a crash leaves them to recovery, which drops them as such;
// and a full disk refusing them fails no append.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { FaultInjectingFs } from "../../src/storage/fault-injecting-fs.ts";
import { zeroAheadBytes, zeroAheadDrainBytesMax, zeroAheadDrainGapMsMax } from "../../src/storage/limits.ts";
import type { PartitionLog } from "../../src/storage/partition-log.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { concatBytes, makeBatch } from "./batch-fixture.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
let harness: Harness;

beforeEach(() => {
  temp = makeTempDir();
  harness = makeHarness(temp.path);
});
afterEach(() => temp.remove());

function segmentFiles(): string[] {
  return readdirSync(harness.dir)
    .filter((name) => name.endsWith(".log"))
    .sort()
    .map((name) => join(harness.dir, name));
}

function onlyZerosFrom(path: string, position: number): boolean {
  return readFileSync(path)
    .subarray(position)
    .every((byte) => byte === 0);
}

/** Appends one batch at a time, each synced before the next: every drain is one small batch. */
async function appendEach(log: PartitionLog, batches: readonly Uint8Array[]): Promise<void> {
  for (const batch of batches) await log.append(batch, { leaderEpoch: 0 });
}

const smallBatches = (count: number, payloadBytes = 1000) =>
  Array.from({ length: count }, (_, seed) => makeBatch({ payloadBytes, seed }));

test("small appends keep zeros written ahead of the last batch; reads and sizes see only the batches", async () => {
  const log = harness.open();
  const batches = smallBatches(20);
  await appendEach(log, batches);
  const dataBytes = concatBytes(batches).length;
  const [path] = segmentFiles();
  const fileBytes = statSync(path!).size;
  expect(fileBytes - dataBytes).toBeGreaterThanOrEqual(zeroAheadBytes / 2);
  expect(fileBytes - dataBytes).toBeLessThanOrEqual(zeroAheadBytes);
  expect(onlyZerosFrom(path!, dataBytes)).toBe(true);
  expect(log.sizeBytes).toBe(dataBytes);
  expect(log.read(0, { maxBytes: 10 * fileBytes }).bytes).toEqual(concatBytes(batches));
  await log.close();
});

test("the zeros are topped up once fewer than half are left, and never reach past segment.bytes", async () => {
  const log = harness.open();
  const batches = smallBatches(40, 30_000);
  let dataBytes = 0;
  for (const [i, batch] of batches.entries()) {
    await log.append(batch, { leaderEpoch: 0 });
    dataBytes += batch.length;
    const ahead = statSync(segmentFiles()[0]!).size - dataBytes;
    // The first drain has no predecessor to say the log is busy: zeros begin with the second.
    if (i === 0) expect(ahead).toBe(0);
    else expect(ahead).toBeGreaterThanOrEqual(zeroAheadBytes / 2);
    expect(ahead).toBeLessThanOrEqual(zeroAheadBytes);
  }
  await log.close();

  const small = makeHarness(join(temp.path, "small"));
  const capped = small.open({ segmentBytes: 100_000 });
  await appendEach(capped, smallBatches(2));
  const file = readdirSync(small.dir).find((name) => name.endsWith(".log"))!;
  expect(statSync(join(small.dir, file)).size).toBe(100_000);
  await capped.close();
});

test("a large drain writes no zeros: under load the disk's bandwidth goes to the batches", async () => {
  const log = harness.open();
  const big = [1, 2].map((seed) => makeBatch({ payloadBytes: zeroAheadDrainBytesMax + 1, seed }));
  await appendEach(log, big);
  expect(statSync(segmentFiles()[0]!).size).toBe(concatBytes(big).length);
  await log.close();
});

test("a quiet log writes no zeros: its drains come too far apart for them to pay", async () => {
  const log = harness.open();
  const batches = smallBatches(5);
  for (const batch of batches) {
    harness.clock.advance(zeroAheadDrainGapMsMax + 1);
    await log.append(batch, { leaderEpoch: 0 });
  }
  expect(statSync(segmentFiles()[0]!).size).toBe(concatBytes(batches).length);
  await log.append(makeBatch({ seed: 9 }), { leaderEpoch: 0 });
  expect(statSync(segmentFiles()[0]!).size).toBeGreaterThan(concatBytes(batches).length + zeroAheadBytes / 2);
  await log.close();
});

test("a roll and a clean close cut the zeros; the next open trusts the files unscanned", async () => {
  const log = harness.open({ segmentBytes: 5000 });
  const batches = smallBatches(12);
  await appendEach(log, batches);
  const files = segmentFiles();
  expect(files.length).toBeGreaterThan(2);
  for (const path of files.slice(0, -1)) expect(onlyZerosFrom(path, 0)).toBe(false);
  const rolledBytes = files.slice(0, -1).reduce((sum, path) => sum + statSync(path).size, 0);
  const perSegment = Math.floor(5000 / batches[0]!.length);
  expect(rolledBytes).toBe((files.length - 1) * perSegment * batches[0]!.length);
  expect(statSync(files.at(-1)!).size).toBe(5000);
  await log.close();
  const totalBytes = segmentFiles().reduce((sum, path) => sum + statSync(path).size, 0);
  expect(totalBytes).toBe(concatBytes(batches).length);

  const reopened = harness.open({ segmentBytes: 5000 });
  expect(harness.lines).toEqual([]);
  expect(reopened.logEndOffset).toBe(12);
  expect(reopened.read(0, { maxBytes: 1 << 20 }).bytes.length).toBeGreaterThan(0);
  await reopened.close();
});

test("after a crash recovery drops the zeros as such and keeps every synced batch", async () => {
  const log = harness.open();
  const batches = smallBatches(10);
  await appendEach(log, batches);
  expect(log.flushedOffset).toBe(10);
  // No close: the process died here. A new pool opens the same directory.
  const afterCrash = makeHarness(temp.path);
  const recovered = afterCrash.open();
  expect(recovered.logEndOffset).toBe(10);
  const dataBytes = concatBytes(batches).length;
  expect(afterCrash.lines.join("\n")).toContain(
    `from position ${dataBytes}: zeros written ahead of the appends; log ends at offset 10`,
  );
  expect(statSync(segmentFiles()[0]!).size).toBe(dataBytes);
  let offset = 0;
  for (const batch of batches) {
    expect(recovered.read(offset, { maxBytes: 1 }).bytes).toEqual(batch);
    offset++;
  }
  expect((await recovered.append(makeBatch({ seed: 99 }), { leaderEpoch: 0 })).baseOffset).toBe(10);
  await recovered.close();
});

test("after a crash with nothing appended since the checkpoint, its length is trusted unscanned", async () => {
  const log = harness.open();
  const batches = smallBatches(12);
  await appendEach(log, batches);
  log.checkpoint();
  const dataBytes = concatBytes(batches).length;
  expect(statSync(segmentFiles()[0]!).size).toBeGreaterThan(dataBytes);
  // No close: the process died here, with zeros past the checkpointed length.
  const afterCrash = makeHarness(temp.path);
  const recovered = afterCrash.open();
  expect(afterCrash.lines).toEqual([]);
  expect(recovered.logEndOffset).toBe(12);
  expect(statSync(segmentFiles()[0]!).size).toBe(dataBytes);
  expect(recovered.read(11, { maxBytes: 1 }).bytes).toEqual(batches[11]!);
  await recovered.close();
});

test("a batch appended after the checkpoint is not hidden by that trust: recovery scans and keeps it", async () => {
  const log = harness.open();
  const batches = smallBatches(13);
  await appendEach(log, batches.slice(0, 12));
  log.checkpoint();
  await log.append(batches[12]!, { leaderEpoch: 0 });
  expect(log.flushedOffset).toBe(13);
  const afterCrash = makeHarness(temp.path);
  const recovered = afterCrash.open();
  expect(afterCrash.lines.join("\n")).toContain("zeros written ahead of the appends; log ends at offset 13");
  expect(recovered.logEndOffset).toBe(13);
  expect(recovered.read(12, { maxBytes: 1 }).bytes).toEqual(batches[12]!);
  await recovered.close();
});

test("a truncation cuts the zeros with the batches it drops", async () => {
  const log = harness.open();
  const batches = smallBatches(6);
  await appendEach(log, batches);
  expect(log.truncate(4)).toBe(4);
  expect(statSync(segmentFiles()[0]!).size).toBe(concatBytes(batches.slice(0, 4)).length);
  expect((await log.append(makeBatch({ seed: 7 }), { leaderEpoch: 0 })).baseOffset).toBe(4);
  await log.close();
});

test("a full disk that refuses the zeros fails no append, and the part it took is trimmed at the roll", async () => {
  const faults = new FaultInjectingFs(nodeStorageFs);
  const full = makeHarness(join(temp.path, "full"), { storageFs: faults });
  const log = full.open();
  const [first, batch] = smallBatches(2);
  await log.append(first!, { leaderEpoch: 0 });
  faults.writeBytesLeft = batch!.length + 100;
  expect(await log.append(batch!, { leaderEpoch: 0 })).toEqual({ baseOffset: 1, lastOffset: 1 });
  expect(log.flushedOffset).toBe(2);
  expect(log.read(1, { maxBytes: 1 << 20 }).bytes).toEqual(batch!);
  const dataBytes = first!.length + batch!.length;
  const segmentPath = join(full.dir, readdirSync(full.dir).find((name) => name.endsWith(".log"))!);
  expect(statSync(segmentPath).size).toBe(dataBytes + 100);
  faults.writeBytesLeft = null;
  log.roll();
  // The rolled segment is trusted at its length by the next open: the 100 bytes of zeros must be gone.
  expect(statSync(segmentPath).size).toBe(dataBytes);
  await log.close();
  expect(full.open().logEndOffset).toBe(2);
});
