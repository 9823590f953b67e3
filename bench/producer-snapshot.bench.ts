// Producer-state snapshots: what following the log costs each append (1 KiB idempotent batches appended with
// and without the producer-state listener, flush policy "never" so the CPU cost shows), what a roll's snapshot
// costs (encode + atomic write, by producer count), and how fast a reopen loads a snapshot and replays the
// batches after it. Run: bun bench/producer-snapshot.bench.ts

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/app/system-time.ts";
import { ProducerStateTable } from "../src/cluster/producer-state.ts";
import { ProducerStateLog } from "../src/cluster/producer-state-log.ts";
import {
  ProducerSnapshotFiles,
  producerSnapshotFileName,
} from "../src/cluster/producer-state-snapshot-files.ts";
import { buildBatch } from "../src/protocol/records/batch-builder.ts";
import { FilePool } from "../src/storage/file-pool.ts";
import { logConfigOf } from "../src/storage/log-config.ts";
import { PartitionLog } from "../src/storage/partition-log.ts";
import { nodeStorageFs } from "../src/storage/storage-fs.ts";

const root = mkdtempSync(join(tmpdir(), "chronik-bench-producers-"));
let runCount = 0;
const batchCount = 100_000;
const producerCount = 100;

function openLog(): PartitionLog {
  return PartitionLog.open({
    dir: join(root, `log-${runCount++}`),
    config: logConfigOf({ segmentBytes: 64 * 1024 * 1024, flushPolicy: "never" }),
    pool: new FilePool(nodeStorageFs, 64),
    log: () => {},
    clock: systemClock,
  });
}

/** One 1 KiB batch per producer in turn, each at its next sequence. */
function batches(): Uint8Array[] {
  const value = new Uint8Array(1024 - 61 - 10);
  return Array.from({ length: batchCount }, (_, index) =>
    buildBatch([{ key: null, value, timestamp: 1 }], {
      producerId: BigInt(index % producerCount),
      producerEpoch: 0,
      baseSequence: Math.floor(index / producerCount),
    }),
  );
}

async function appendMs(log: PartitionLog, input: readonly Uint8Array[]): Promise<number> {
  const start = performance.now();
  const pending: Promise<unknown>[] = [];
  for (const bytes of input) {
    pending.push(log.append(bytes.slice(), { leaderEpoch: 0 }));
    if (pending.length === 256) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return performance.now() - start;
}

async function appendCost(): Promise<void> {
  const input = batches();
  const rows: string[] = [];
  for (const round of [1, 2]) {
    const plain = openLog();
    const plainMs = await appendMs(plain, input);
    const followed = openLog();
    ProducerStateLog.open(followed);
    const followedMs = await appendMs(followed, input);
    const perBatch = (ms: number) => ((ms * 1000) / batchCount).toFixed(2);
    rows.push(
      `| ${round} | ${perBatch(plainMs)} | ${perBatch(followedMs)} | ${followed.segmentCount - 1} | ${(((followedMs - plainMs) / plainMs) * 100).toFixed(1)}% |`,
    );
    await plain.close();
    if (round === 2) {
      printAppendRows(rows);
      replayCost(followed);
    }
    await followed.close();
  }
}

function printAppendRows(rows: readonly string[]): void {
  console.log(
    `\nAppends of ${batchCount} 1 KiB batches from ${producerCount} idempotent producers (µs/batch)\n`,
  );
  console.log("| round | log alone | log + producer state | rolls (snapshots) | difference |");
  console.log("|---|---|---|---|---|");
  for (const row of rows) console.log(row);
}

function replayCost(log: PartitionLog): void {
  // Everything after the latest snapshot is replayed; the earliest (none) means the whole log.
  const start = performance.now();
  const table = ProducerStateLog.open(log).copyTable();
  const fromSnapshotMs = performance.now() - start;
  const files = new ProducerSnapshotFiles(nodeStorageFs, log.dir, () => {});
  files.deleteAll();
  const fullStart = performance.now();
  ProducerStateLog.open(log);
  const fullMs = performance.now() - fullStart;
  const megabytes = log.sizeBytes / 1e6;
  console.log(`\nReopen of a ${megabytes.toFixed(0)} MB log, ${table.producerCount} producers\n`);
  console.log("| replay from | ms | replay MB/s |\n|---|---|---|");
  console.log(`| latest snapshot (the active segment's base) | ${fromSnapshotMs.toFixed(1)} | - |`);
  console.log(
    `| log start (no snapshot) | ${fullMs.toFixed(1)} | ${(megabytes / (fullMs / 1000)).toFixed(0)} |`,
  );
}

function snapshotCost(): void {
  console.log("\nSnapshot at a roll: encode + atomic write (fsync, rename, fsync dir), then load\n");
  console.log("| producers | bytes | write ms | load ms |\n|---|---|---|---|");
  for (const count of [1_000, 10_000, 100_000]) {
    const table = new ProducerStateTable();
    let offset = 0;
    for (let producer = 0; producer < count; producer++) {
      for (let batch = 0; batch < 5; batch++) {
        const placement = { baseOffset: offset, lastOffset: offset, timestampMs: 1 };
        table.record(
          { producerId: BigInt(producer), producerEpoch: 0, baseSequence: batch, lastSequence: batch },
          placement,
        );
        offset++;
      }
    }
    const dir = join(root, `snapshots-${count}`);
    nodeStorageFs.mkdirs(dir);
    const files = new ProducerSnapshotFiles(nodeStorageFs, dir, () => {});
    const writeStart = performance.now();
    files.write(offset, table.toSnapshot());
    const writeMs = performance.now() - writeStart;
    const loadStart = performance.now();
    const loaded = files.loadLatest(offset);
    const loadMs = performance.now() - loadStart;
    const bytes = statSync(join(dir, producerSnapshotFileName(offset))).size;
    console.log(`| ${count} | ${bytes} | ${writeMs.toFixed(1)} | ${loadMs.toFixed(1)} |`);
    if (loaded?.entries.length !== count) throw new Error("snapshot did not load back");
  }
}

try {
  await appendCost();
  snapshotCost();
} finally {
  rmSync(root, { recursive: true, force: true });
}
