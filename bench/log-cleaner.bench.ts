// Log cleaner benchmark: how fast a pass cleans (MB/s read, unthrottled and at the default budget), and what a
// running cleaner does to append latency on another log of the same process — p50/p99 of 1 KiB appends
// (flush "every": each waits for its fdatasync) with no cleaner, then with the cleaner cleaning logs beside
// them at its default budget. Both share one event loop, as they do in the broker. Run:
// bun bench/log-cleaner.bench.ts

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock, systemScheduler } from "../src/app/system-time.ts";
import { buildBatch } from "../src/protocol/records/batch-builder.ts";
import { FilePool } from "../src/storage/file-pool.ts";
import { cleanerBudgetDefault, LogCleaner } from "../src/storage/log-cleaner.ts";
import { compactionConfigDefault, logConfigOf } from "../src/storage/log-config.ts";
import { PartitionLog } from "../src/storage/partition-log.ts";
import { nodeStorageFs } from "../src/storage/storage-fs.ts";

const root = mkdtempSync(join(tmpdir(), "chronik-cleaner-bench-"));
const pool = new FilePool(nodeStorageFs, 256);
const compaction = { ...compactionConfigDefault, minCleanableDirtyRatio: 0 };
const logMiB = 48;
const keyCount = 20_000;
const recordsPerBatch = 16;
const valueBytes = 1000;
let logCount = 0;

function openLog(options: { compacted: boolean }): PartitionLog {
  logCount += 1;
  return PartitionLog.open({
    dir: join(root, `bench-${logCount}`),
    config: logConfigOf({ segmentBytes: 8 * 1024 * 1024, compaction: options.compacted ? compaction : null }),
    pool,
    clock: systemClock,
  });
}

/** A compacted log of `logMiB` MiB: 1 KB values over `keyCount` keys, each key written ~3 times. */
async function dirtyLog(): Promise<PartitionLog> {
  const log = openLog({ compacted: true });
  const value = new Uint8Array(valueBytes).map((_, i) => (i * 7) & 0xff);
  const encoder = new TextEncoder();
  let sequence = 0;
  while (log.sizeBytes < logMiB * 1024 * 1024) {
    const records = Array.from({ length: recordsPerBatch }, () => ({
      key: encoder.encode(`key-${sequence++ % keyCount}`),
      value,
      timestamp: systemClock.wallMs(),
    }));
    await log.append(buildBatch(records), { leaderEpoch: 0 });
  }
  log.roll();
  log.highWatermark = log.logEndOffset;
  return log;
}

async function cleanOnce(cleaner: LogCleaner, log: PartitionLog) {
  const decision = cleaner.decide(log);
  if (!decision?.clean) throw new Error("the bench log is not due");
  const started = performance.now();
  const pass = await cleaner.clean(log, decision);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, pass };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/** 1 KiB appends, 4 at a time, for `durationMs`: their latencies in ms. */
async function appendLatencies(durationMs: number): Promise<number[]> {
  const log = openLog({ compacted: false });
  const value = new Uint8Array(1024);
  const samples: number[] = [];
  const deadline = performance.now() + durationMs;
  const appender = async () => {
    while (performance.now() < deadline) {
      const batch = buildBatch([{ key: null, value, timestamp: systemClock.wallMs() }]);
      const started = performance.now();
      await log.append(batch, { leaderEpoch: 0 });
      samples.push(performance.now() - started);
      // About 1,000 appends a second per appender at most: a steady stream, not a saturating one.
      await Bun.sleep(1);
    }
  };
  await Promise.all([appender(), appender(), appender(), appender()]);
  await log.close();
  return samples.sort((a, b) => a - b);
}

function row(label: string, samples: number[]): string {
  return `${label.padEnd(34)} ${String(samples.length).padStart(7)} ${percentile(samples, 0.5).toFixed(2).padStart(8)} ${percentile(samples, 0.99).toFixed(2).padStart(8)} ${samples[samples.length - 1]!.toFixed(2).padStart(8)}`;
}

try {
  console.log(
    `Log cleaner: ${logMiB} MiB logs, ${keyCount} keys, ${recordsPerBatch} × ${valueBytes} B records a batch\n`,
  );
  for (const [label, budget] of [
    ["unthrottled", { ioBytesPerSecondMax: Number.MAX_SAFE_INTEGER }],
    ["default budget (64 MiB/s)", {}],
  ] as const) {
    const log = await dirtyLog();
    const cleaner = new LogCleaner({
      logs: () => [log],
      clock: systemClock,
      scheduler: systemScheduler,
      budget,
      logLine: () => {},
    });
    const { seconds, pass } = await cleanOnce(cleaner, log);
    const mb = pass.bytesRead / 1e6;
    console.log(
      `${label.padEnd(28)} read ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(mb / seconds).toFixed(1)} MB/s; ` +
        `${(pass.bytesBefore / 1e6).toFixed(1)} → ${(pass.bytesAfter / 1e6).toFixed(1)} MB`,
    );
    await log.close();
  }

  const durationMs = 8000;
  console.log(`\nAppend latency on another log, 4 appenders, ${durationMs / 1000} s each (ms)`);
  console.log(
    `${"".padEnd(34)} ${"count".padStart(7)} ${"p50".padStart(8)} ${"p99".padStart(8)} ${"max".padStart(8)}`,
  );
  console.log(row("no cleaner", await appendLatencies(durationMs)));
  const logs = [await dirtyLog(), await dirtyLog(), await dirtyLog()];
  const cleaner = new LogCleaner({
    logs: () => logs,
    clock: systemClock,
    scheduler: systemScheduler,
    budget: cleanerBudgetDefault,
    logLine: () => {},
  });
  let cleaning = true;
  let cleanedBytes = 0;
  const cleaningLoop = (async () => {
    for (const log of logs) {
      if (!cleaning) break;
      cleanedBytes += (await cleanOnce(cleaner, log)).pass.bytesRead;
    }
  })();
  const started = performance.now();
  const withCleaner = await appendLatencies(durationMs);
  const cleanedMbPerSecond = cleanedBytes / 1e6 / ((performance.now() - started) / 1000);
  cleaning = false;
  console.log(row(`cleaner beside (${cleanedMbPerSecond.toFixed(0)} MB/s cleaned)`, withCleaner));
  await cleaningLoop;
  await cleaner.close();
  for (const log of logs) await log.close();
} finally {
  pool.closeAll();
  rmSync(root, { recursive: true, force: true });
}
