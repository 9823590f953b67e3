// Storage engine benchmark: group-committed append throughput (1 KiB and 16 KiB batches, 1/8/64 concurrent
// appenders, flush policy "every"), fdatasync latency, and sequential read throughput from the page cache.
// The ceiling is measured in the same run: a plain loop of the same writes with one fdatasync per group of
// as many batches as there are appenders, keeping zeros written ahead as the log does. Run:
// bun bench/storage.bench.ts

import * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
rmSync(root, { recursive: true, force: true });
