// Proves a partition directory's header format is settled at open: a new directory is marked format 2 and its
// headers kept as written, a directory written before the format file existed (headers holding Raft terms)
// has every header and its leader-epoch cache lowered by one, exactly once, even when a crash cuts the
// migration short at any write, and a directory the migration cannot read is refused untouched.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { readInt32 } from "../../src/protocol/primitives/big-endian.ts";
import { batchOffsets, scanBatches } from "../../src/protocol/records/batch-header.ts";
import { FilePool } from "../../src/storage/file-pool.ts";
import { logConfigOf } from "../../src/storage/log-config.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { CorruptLogError } from "../../src/storage/storage-error.ts";
import { nodeStorageFs, type StorageFs } from "../../src/storage/storage-fs.ts";
import { makeBatch } from "./batch-fixture.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";
import { rewriteWithTermHeaders } from "./term-headers.ts";

let temp: ReturnType<typeof makeTempDir>;
let harness: Harness;

beforeEach(() => {
  temp = makeTempDir();
  harness = makeHarness(temp.path);
});
afterEach(() => temp.remove());

/** Leader epochs 0, 0, 1, 1, 1, 2, 4 over small segments, so the log spans several files. */
const writtenEpochs = [0, 0, 1, 1, 1, 2, 4];
const expectedCache = [
  { epoch: 0, startOffset: 0 },
  { epoch: 1, startOffset: 2 },
  { epoch: 2, startOffset: 5 },
  { epoch: 4, startOffset: 6 },
];

async function writeLog(): Promise<Uint8Array[]> {
  const log = harness.open({ segmentBytes: 400 });
  const batches: Uint8Array[] = [];
  for (const [index, leaderEpoch] of writtenEpochs.entries()) {
    const batch = makeBatch({ payloadBytes: 150, seed: index });
    await log.append(batch, { leaderEpoch });
    batches.push(batch);
  }
  expect(log.segmentCount).toBeGreaterThan(2);
  await log.close();
  return batches;
}

/** Every header's leader epoch, read straight from the segment files. */
function headerEpochs(): number[] {
  const epochs: number[] = [];
  const names = nodeStorageFs
    .readdir(harness.dir)
    .filter((name) => name.endsWith(".log"))
    .sort();
  for (const name of names) {
    const bytes = new Uint8Array(readFileSync(join(harness.dir, name)));
    for (const span of scanBatches(bytes, { verifyCrc: true }).spans) {
      epochs.push(readInt32(bytes, span.position + batchOffsets.partitionLeaderEpoch));
    }
  }
  return epochs;
}

function formatFile(): string {
  return readFileSync(join(harness.dir, "log-format"), "utf8").trim();
}

test("a new directory is marked format 2 and keeps its headers as written", async () => {
  await writeLog();
  expect(formatFile()).toBe('{"version":2}');
  expect(headerEpochs()).toEqual(writtenEpochs);
  const log = harness.open();
  expect(log.epochs.all()).toEqual(expectedCache);
  expect(harness.lines.join("\n")).not.toContain("log format");
  await log.close();
});

test("a directory whose headers hold Raft terms is lowered by one, once, and reads as if written now", async () => {
  const batches = await writeLog();
  expect(rewriteWithTermHeaders(harness.dir)).toBe(writtenEpochs.length);
  expect(headerEpochs()).toEqual(writtenEpochs.map((epoch) => epoch + 1));

  const log = harness.open();
  expect(headerEpochs()).toEqual(writtenEpochs);
  expect(log.epochs.all()).toEqual(expectedCache);
  expect(formatFile()).toBe('{"version":2}');
  expect(harness.lines.join("\n")).toContain("lowered the leader epoch of 7 batch header(s) by one");
  // Reads serve the bytes as written now: the same batch, its header's epoch lowered.
  const read = log.read(5, { maxBytes: 1 }).bytes;
  expect(readInt32(read, batchOffsets.partitionLeaderEpoch)).toBe(2);
  expect(read.subarray(batchOffsets.magic)).toEqual(batches[5]!.subarray(batchOffsets.magic));
  expect((await log.append(makeBatch(), { leaderEpoch: 4 })).baseOffset).toBe(7);
  await log.close();

  harness.lines.length = 0;
  const again = harness.open();
  expect(headerEpochs()).toEqual([...writtenEpochs, 4]);
  expect(again.epochs.all()).toEqual(expectedCache);
  expect(harness.lines.join("\n")).not.toContain("log format");
  await again.close();
});

/** node:fs that "crashes" (throws, and writes nothing more) at its `writesLeft`+1-th write of any kind. */
function crashingFs(writesLeft: number): StorageFs & { crashed: boolean } {
  let left = writesLeft;
  const fs = {
    ...nodeStorageFs,
    crashed: false,
    writeAll(fd: number, bytes: Uint8Array, position: number) {
      if (left-- <= 0) {
        fs.crashed = true;
        throw new Error("crash");
      }
      nodeStorageFs.writeAll(fd, bytes, position);
    },
    writeFileSynced(path: string, bytes: Uint8Array) {
      if (left-- <= 0) {
        fs.crashed = true;
        throw new Error("crash");
      }
      nodeStorageFs.writeFileSynced(path, bytes);
    },
  };
  return fs;
}

test("a migration cut short at any write finishes at the next open with every header lowered once", async () => {
  await writeLog();
  const original = join(temp.path, "original");
  nodeStorageFs.mkdirs(original);
  rewriteWithTermHeaders(harness.dir);
  const copyDir = (from: string, to: string) => {
    rmSync(to, { recursive: true, force: true });
    nodeStorageFs.mkdirs(to);
    for (const name of nodeStorageFs.readdir(from)) {
      writeFileSync(join(to, name), readFileSync(join(from, name)));
    }
  };
  copyDir(harness.dir, original);
  let crashes = 0;
  for (let writesLeft = 0; ; writesLeft++) {
    copyDir(original, harness.dir);
    const fs = crashingFs(writesLeft);
    const open = () =>
      PartitionLog.open({
        dir: harness.dir,
        config: logConfigOf({}),
        pool: new FilePool(fs, 16),
        clock: new ManualClock(),
        log: () => {},
      });
    let crashed: PartitionLog | null = null;
    try {
      crashed = open();
    } catch (error) {
      expect(fs.crashed).toBe(true);
      expect(String(error)).toContain("crash");
    }
    if (crashed !== null) {
      // Past the migration's last write: the open itself finished it.
      await crashed.close().catch(() => {});
      break;
    }
    crashes += 1;
    const log = harness.open();
    expect(headerEpochs()).toEqual(writtenEpochs);
    expect(log.epochs.all()).toEqual(expectedCache);
    expect(formatFile()).toBe('{"version":2}');
    await log.close();
  }
  // The format file, each of the seven headers, and the format file again.
  expect(crashes).toBeGreaterThanOrEqual(9);
});

test("a header below 1 in a directory of Raft terms is refused, and nothing is changed", async () => {
  await writeLog();
  rmSync(join(harness.dir, "log-format"));
  // Epoch 0 in the first batch: no build ever stamped term 0 into a header.
  const before = headerEpochs();
  expect(() => harness.open()).toThrow(CorruptLogError);
  expect(() => harness.open()).toThrow(/holds leader epoch 0, but a log of format 1 holds Raft terms/);
  expect(headerEpochs()).toEqual(before);
});

test("a format this build does not know is refused", async () => {
  await writeLog();
  writeFileSync(join(harness.dir, "log-format"), '{"version":3}\n');
  expect(() => harness.open()).toThrow(/not a log format this build reads/);
});
