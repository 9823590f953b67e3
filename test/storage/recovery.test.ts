// Proves recovery at open: a torn or scribbled tail is truncated with a log line, damage before the tail
// refuses to open with a clear error, a background checkpoint's temporary left by a crash is removed, and the
// log manager keeps every other partition online.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { closeSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { manualTime } from "../../src/base/manual-clock.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { CorruptLogError, StorageError } from "../../src/storage/storage-error.ts";
import { makeBatch } from "./batch-fixture.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
let harness: Harness;

beforeEach(() => {
  temp = makeTempDir();
  harness = makeHarness(temp.path);
});
afterEach(() => temp.remove());

function scribble(path: string, position: number, bytes: number[]): void {
  const fd = openSync(path, "r+");
  writeSync(fd, new Uint8Array(bytes), 0, bytes.length, position);
  closeSync(fd);
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".log"))
    .sort()
    .map((name) => join(dir, name));
}

/** A crash before any checkpoint: recovery must scan everything. */
function forgetCheckpoint(): void {
  rmSync(join(harness.dir, "log-checkpoint"));
}

async function writeLog(count: number, segmentBytes = 1 << 30): Promise<Uint8Array[]> {
  const log = harness.open({ segmentBytes });
  const batches: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const batch = makeBatch({ payloadBytes: 200, seed: i });
    await log.append(batch, { leaderEpoch: 0 });
    batches.push(batch);
  }
  await log.close();
  return batches;
}

test("a tail cut short is truncated to the last whole batch, with a log line", async () => {
  const batches = await writeLog(10);
  const path = segmentFiles(harness.dir)[0]!;
  truncateSync(path, statSync(path).size - 7);
  const log = harness.open();
  expect(log.logEndOffset).toBe(9);
  expect(statSync(path).size).toBe(9 * batches[0]!.length);
  expect(harness.lines.join("\n")).toContain("dropping 254 bytes");
  expect(log.read(8, { maxBytes: 1 }).bytes).toEqual(batches[8]!);
  expect((await log.append(makeBatch(), { leaderEpoch: 0 })).baseOffset).toBe(9);
  await log.close();
});

test("a scribbled tail (CRC mismatch) drops that batch and everything after it", async () => {
  const batches = await writeLog(10);
  const path = segmentFiles(harness.dir)[0]!;
  scribble(path, batches[0]!.length * 6 + 100, [1, 2, 3]);
  forgetCheckpoint();
  const log = harness.open();
  expect(log.logEndOffset).toBe(6);
  expect(harness.lines.join("\n")).toContain("CRC-32C mismatch");
  await log.close();
});

test("a scribbled length field beyond the file is a torn tail too", async () => {
  const batches = await writeLog(5);
  scribble(segmentFiles(harness.dir)[0]!, batches[0]!.length * 4 + 8, [0x7f, 0, 0, 0]);
  forgetCheckpoint();
  const log = harness.open();
  expect(log.logEndOffset).toBe(4);
  await log.close();
});

test("after a clean close the active segment is trusted, not scanned (as Kafka after a clean shutdown)", async () => {
  const batches = await writeLog(10);
  // Same size, different bytes: only a scan would notice, and a clean open does not scan.
  scribble(segmentFiles(harness.dir)[0]!, batches[0]!.length * 6 + 100, [1, 2, 3]);
  const log = harness.open();
  expect(log.logEndOffset).toBe(10);
  expect(harness.lines).toEqual([]);
  expect(log.offsetForTimestamp(0)).toBe(0);
  await log.append(makeBatch({ seed: 77 }), { leaderEpoch: 0 });
  await log.close();
  expect(harness.open().logEndOffset).toBe(11);
});

test("damage in a segment before the last refuses to open, when scanned after a crash", async () => {
  await writeLog(20, 1000);
  const files = segmentFiles(harness.dir);
  expect(files.length).toBeGreaterThan(3);
  scribble(files[1]!, 300, [9, 9, 9, 9]);
  forgetCheckpoint();
  expect(() => harness.open({ segmentBytes: 1000 })).toThrow(CorruptLogError);
  expect(() => harness.open({ segmentBytes: 1000 })).toThrow(
    /00000000000000000003\.log: corrupt batch at position 261 \(CRC-32C mismatch\)/,
  );
});

test("a damaged header in a trusted middle segment is caught by the sanity check", async () => {
  await writeLog(20, 1000);
  const files = segmentFiles(harness.dir);
  scribble(files[1]!, 16, [7]);
  expect(() => harness.open({ segmentBytes: 1000 })).toThrow("magic 7, expected 2");
});

test("a middle segment cut short refuses to open", async () => {
  await writeLog(20, 1000);
  const files = segmentFiles(harness.dir);
  truncateSync(files[1]!, 500);
  forgetCheckpoint();
  expect(() => harness.open({ segmentBytes: 1000 })).toThrow(CorruptLogError);
});

test("the log manager opens every partition it can and reports the one it cannot", async () => {
  const dataDir = join(temp.path, "data");
  const lines: string[] = [];
  let manager = new LogManager({ ...manualTime(), dataDir, log: (line) => lines.push(line) });
  for (const partition of [0, 1, 2]) {
    const log = manager.logOf("orders", partition);
    for (let i = 0; i < 8; i++)
      await log.append(makeBatch({ payloadBytes: 200, seed: i }), { leaderEpoch: 0 });
    log.roll();
    await log.append(makeBatch(), { leaderEpoch: 0 });
  }
  await manager.close();
  scribble(join(dataDir, "orders-1", "00000000000000000000.log"), 16, [0]);
  rmSync(join(dataDir, "orders-1", "log-checkpoint"));
  manager = new LogManager({ ...manualTime(), dataDir, log: (line) => lines.push(line) });
  const failed = manager.openAll();
  expect(failed.map((failure) => failure.partition)).toEqual([1]);
  expect(failed[0]!.error).toBeInstanceOf(CorruptLogError);
  expect(manager.get("orders", 0)?.kind).toBe("online");
  expect(manager.get("orders", 2)?.kind).toBe("online");
  expect(() => manager.logOf("orders", 1)).toThrow(StorageError);
  expect(manager.logOf("orders", 2).logEndOffset).toBe(9);
  expect(lines.some((line) => line.startsWith("orders-1: offline"))).toBe(true);
  await manager.close();
}, 30_000);

test("a checkpoint's temporary left by a crash mid-write is removed at open; the checkpoint before it holds", async () => {
  const batches = await writeLog(3);
  // A background checkpoint killed between its write and its rename leaves its own temporary behind.
  const leftover = join(harness.dir, "log-checkpoint.7.tmp");
  const fd = openSync(leftover, "w");
  writeSync(fd, new TextEncoder().encode("1 999 0 -1 12345\n"));
  closeSync(fd);
  const log = harness.open();
  expect(readdirSync(harness.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  expect(log.logEndOffset).toBe(batches.length);
  await log.close();
});
