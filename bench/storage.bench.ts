// Storage engine benchmark: group-committed append throughput (1 KiB and 16 KiB batches, 1/8/64 concurrent
// appenders, flush policy "every"), fdatasync latency, sequential read throughput from the page cache, and
// how long a segment roll holds the event loop.
// The ceiling is measured in the same run: a plain loop of the same writes with one fdatasync per group of
// as many batches as there are appenders, keeping zeros written ahead as the log does. Run:
// bun bench/storage.bench.ts

import * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/app/system-time.ts";
import { ProducerStateLog } from "../src/cluster/producer-state-log.ts";
import { buildBatch } from "../src/protocol/records/batch-builder.ts";
import { batchHeaderBytes, batchOffsets, writeBatchCrc } from "../src/protocol/records/batch-header.ts";
import { FilePool } from "../src/storage/file-pool.ts";
import { logConfigOf } from "../src/storage/log-config.ts";
import { PartitionLog } from "../src/storage/partition-log.ts";
import { nodeStorageFs, type StorageFs } from "../src/storage/storage-fs.ts";
import { keepZerosAhead } from "./disk-ceilings.ts";

const root = mkdtempSync(join(tmpdir(), "chronik-bench-"));
let runCount = 0;

function makeBatch(totalBytes: number): Uint8Array {
  const bytes = new Uint8Array(totalBytes);
  const view = new DataView(bytes.buffer);
  view.setInt32(batchOffsets.batchLength, totalBytes - 12);
  view.setInt8(batchOffsets.magic, 2);
  view.setInt32(batchOffsets.lastOffsetDelta, 0);
  view.setInt32(batchOffsets.recordCount, 1);
  for (let i = batchHeaderBytes; i < totalBytes; i++) bytes[i] = (i * 31) & 0xff;
  writeBatchCrc(bytes, 0, totalBytes);
  return bytes;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/** A StorageFs that times each fdatasync. */
function timedFs(samples: number[]): StorageFs {
  return {
    ...nodeStorageFs,
    datasync: async (fd) => {
      const start = performance.now();
      await nodeStorageFs.datasync(fd);
      samples.push(performance.now() - start);
    },
  };
}

const slicesPerRun = 4;
const sliceMs = 400;

/**
 * Alternates slices of the log and of the ceiling loop so both see the same background load (this machine
 * is shared), then compares the sums.
 */
async function appendRun(batchBytes: number, appenders: number) {
  const syncMs: number[] = [];
  const dir = join(root, `append-${runCount++}`);
  const log = PartitionLog.open({
    dir,
    config: logConfigOf({ segmentBytes: 512 * 1024 * 1024, flushPolicy: "every" }),
    pool: new FilePool(timedFs(syncMs), 16),
    log: () => {},
    clock: systemClock,
  });
  const ceilingPath = join(root, `ceiling-${runCount++}`);
  const ceilingFd = fs.openSync(ceilingPath, "w+");
  const ceilingState = { endBytes: 0, zeroedTo: 0 };
  const batches = Array.from({ length: appenders }, () => makeBatch(batchBytes));
  let appended = 0;
  let logSeconds = 0;
  let ceilingBatches = 0;
  let ceilingSeconds = 0;
  for (let slice = 0; slice < slicesPerRun; slice++) {
    const started = performance.now();
    const deadline = started + sliceMs;
    await Promise.all(
      batches.map(async (batch) => {
        while (performance.now() < deadline) {
          await log.append(batch, { leaderEpoch: 0 });
          appended++;
        }
      }),
    );
    logSeconds += (performance.now() - started) / 1000;
    const ceiling = await ceilingSlice(ceilingFd, ceilingState, batches[0]!, appenders);
    ceilingBatches += ceiling.batches;
    ceilingSeconds += ceiling.seconds;
  }
  const syncs = log.syncCount;
  await log.close();
  fs.closeSync(ceilingFd);
  rmSync(dir, { recursive: true, force: true });
  rmSync(ceilingPath, { force: true });
  syncMs.sort((a, b) => a - b);
  return {
    mbPerSecond: (appended * batchBytes) / logSeconds / 1e6,
    appendsPerSecond: appended / logSeconds,
    batchesPerSync: appended / Math.max(1, syncs),
    syncP50: percentile(syncMs, 0.5),
    syncP99: percentile(syncMs, 0.99),
    ceilingMbPerSecond: (ceilingBatches * batchBytes) / ceilingSeconds / 1e6,
  };
}

/** The ceiling: the same writes in a plain loop, `group` batches then one fdatasync, repeated. */
async function ceilingSlice(
  fd: number,
  file: { endBytes: number; zeroedTo: number },
  batch: Uint8Array,
  group: number,
) {
  let written = 0;
  const started = performance.now();
  const deadline = started + sliceMs;
  while (performance.now() < deadline) {
    for (let i = 0; i < group; i++) {
      fs.writeSync(fd, batch, 0, batch.length, file.endBytes);
      file.endBytes += batch.length;
    }
    // As a busy log does after a small drain (the log's slices alternate with these within milliseconds).
    keepZerosAhead(fd, file, group * batch.length);
    await nodeStorageFs.datasync(fd);
    written += group;
  }
  return { batches: written, seconds: (performance.now() - started) / 1000 };
}

async function readRun() {
  const dir = join(root, "read");
  const log = PartitionLog.open({
    dir,
    config: logConfigOf({ segmentBytes: 128 * 1024 * 1024, flushPolicy: "never" }),
    pool: new FilePool(nodeStorageFs, 16),
    log: () => {},
    clock: systemClock,
  });
  const batch = makeBatch(16 * 1024);
  const totalBytes = 256 * 1024 * 1024;
  for (let i = 0; i < totalBytes / batch.length; i++) await log.append(batch, { leaderEpoch: 0 });
  await log.flush();
  const results: Array<{ label: string; gbPerSecond: number }> = [];
  for (const maxBytes of [64 * 1024, 1024 * 1024]) {
    let bytes = 0;
    const started = performance.now();
    for (let pass = 0; pass < 3; pass++) {
      let offset = 0;
      while (offset < log.logEndOffset) {
        const read = log.read(offset, { maxBytes });
        bytes += read.bytes.length;
        offset = read.nextOffset;
      }
    }
    results.push({
      label: `log.read, maxBytes ${maxBytes / 1024} KiB`,
      gbPerSecond: bytes / ((performance.now() - started) / 1000) / 1e9,
    });
  }
  // The alternative read path: Bun.file(path).slice(...).arrayBuffer() of the same ranges.
  const file = Bun.file(join(dir, "00000000000000000000.log"));
  let bytes = 0;
  const started = performance.now();
  for (let position = 0; position < Math.min(file.size, 128 * 1024 * 1024); position += 1024 * 1024) {
    bytes += (await file.slice(position, position + 1024 * 1024).arrayBuffer()).byteLength;
  }
  results.push({
    label: "Bun.file().slice().arrayBuffer(), 1 MiB",
    gbPerSecond: bytes / ((performance.now() - started) / 1000) / 1e9,
  });
  await log.close();
  return results;
}

const rollSegmentBytes = 256 * 1024;
const rollsMeasured = 100;

/**
 * The event-loop time of each roll of a partition's log as the broker opens it (with its producer-state
 * listener, which snapshots at every roll), idempotent 8 KiB batches into 256 KiB segments.
 */
async function rollRun(): Promise<number[]> {
  const dir = join(root, "rolls");
  const log = PartitionLog.open({
    dir,
    config: logConfigOf({ segmentBytes: rollSegmentBytes }),
    pool: new FilePool(nodeStorageFs, 16),
    log: () => {},
    clock: systemClock,
  });
  const producers = ProducerStateLog.open(log, { logLine: () => {} });
  const roll = log.roll.bind(log);
  const rollMs: number[] = [];
  log.roll = () => {
    const started = performance.now();
    roll();
    rollMs.push(performance.now() - started);
  };
  const value = new Uint8Array(1024).fill(7);
  for (let sequence = 0; rollMs.length < rollsMeasured; sequence += 8) {
    const records = Array.from({ length: 8 }, () => ({ key: null, value, timestamp: Date.now() }));
    const batch = buildBatch(records, { producerId: 1n, producerEpoch: 0, baseSequence: sequence });
    await log.append(batch, { leaderEpoch: 0 });
  }
  await producers.settled();
  await log.close();
  return rollMs.sort((a, b) => a - b);
}

/**
 * The ceiling: the file-system calls a roll cannot leave to the thread pool, in a plain loop — cut the zeros
 * after the last batch, fdatasync the sealed file, create the next segment's three files, fsync the directory.
 */
function rollCeiling(): number[] {
  const dir = join(root, "roll-ceiling");
  fs.mkdirSync(dir);
  const zeros = new Uint8Array(rollSegmentBytes);
  const rollMs: number[] = [];
  let fd = fs.openSync(join(dir, "0.log"), "w+");
  for (let index = 1; index <= rollsMeasured; index++) {
    fs.writeSync(fd, zeros, 0, zeros.length, 0);
    fs.fdatasyncSync(fd);
    const started = performance.now();
    fs.ftruncateSync(fd, zeros.length / 2);
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    fd = fs.openSync(join(dir, `${index}.log`), "w+");
    fs.closeSync(fs.openSync(join(dir, `${index}.index`), "w+"));
    fs.closeSync(fs.openSync(join(dir, `${index}.timeindex`), "w+"));
    const dirFd = fs.openSync(dir, "r");
    fs.fsyncSync(dirFd);
    fs.closeSync(dirFd);
    rollMs.push(performance.now() - started);
  }
  fs.closeSync(fd);
  return rollMs.sort((a, b) => a - b);
}

// Rows print as they are measured: the whole run takes ~20 s.
console.log("Appends (flush policy every):");
console.log(
  "| batch | appenders | MB/s | appends/s | batches/sync | fdatasync p50 ms | p99 ms | ceiling MB/s | ratio |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const batchBytes of [1024, 16 * 1024]) {
  for (const appenders of [1, 8, 64]) {
    const run = await appendRun(batchBytes, appenders);
    const ceiling = run.ceilingMbPerSecond;
    console.log(
      `| ${batchBytes / 1024} KiB | ${appenders} | ${run.mbPerSecond.toFixed(1)} | ${run.appendsPerSecond.toFixed(0)} | ` +
        `${run.batchesPerSync.toFixed(1)} | ${run.syncP50.toFixed(3)} | ${run.syncP99.toFixed(3)} | ` +
        `${ceiling.toFixed(1)} | ${(run.mbPerSecond / ceiling).toFixed(2)} |`,
    );
  }
}
console.log("\nSequential reads from the page cache (256 MiB of 16 KiB batches, 3 passes):");
for (const result of await readRun())
  console.log(`| ${result.label} | ${result.gbPerSecond.toFixed(2)} GB/s |`);
console.log(
  `\nSegment rolls: event-loop time of each of ${rollsMeasured} rolls (idempotent 8 KiB batches, ` +
    `${rollSegmentBytes / 1024} KiB segments, producer snapshots on):`,
);
console.log("| roll | p50 ms | p90 ms | max ms |");
console.log("|---|---|---|---|");
const rollQuantiles = (label: string, sorted: number[]) =>
  console.log(
    `| ${label} | ${percentile(sorted, 0.5).toFixed(3)} | ${percentile(sorted, 0.9).toFixed(3)} | ` +
      `${sorted.at(-1)!.toFixed(3)} |`,
  );
rollQuantiles("PartitionLog.roll()", await rollRun());
rollQuantiles("ceiling: truncate, fdatasync, 3 creates, directory fsync", rollCeiling());
rmSync(root, { recursive: true, force: true });
