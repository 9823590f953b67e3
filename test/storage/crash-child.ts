// Crash-test child: appends numbered batches from several concurrent appenders and prints
// "ack <n> <baseOffset> <lastOffset> <epoch>" after each acknowledgement (after its fdatasync), until killed.
// Usage: bun crash-child.ts <dir> <firstN> <appenders>

import { ManualClock } from "../../src/base/manual-clock.ts";
import { FilePool } from "../../src/storage/file-pool.ts";
import { logConfigOf } from "../../src/storage/log-config.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { makeNumberedBatch } from "./batch-fixture.ts";

const [dir, firstNText, appendersText] = process.argv.slice(2);
if (dir === undefined || firstNText === undefined || appendersText === undefined) {
  throw new Error("usage: crash-child.ts <dir> <firstN> <appenders>");
}
const pool = new FilePool(nodeStorageFs, 16);
const log = PartitionLog.open({
  dir,
  config: logConfigOf({ segmentBytes: 48 * 1024, indexIntervalBytes: 1024, flushPolicy: "every" }),
  pool,
  clock: new ManualClock(),
  log: (line) => process.stderr.write(`${line}\n`),
});
let next = Number(firstNText);
const epochOf = (n: number) => Math.floor(n / 40);
process.stdout.write(`ready ${log.logEndOffset}\n`);

async function appender(): Promise<never> {
  for (;;) {
    const n = next++;
    const epoch = epochOf(n);
    const result = await log.append(makeNumberedBatch(n), { leaderEpoch: epoch });
    process.stdout.write(`ack ${n} ${result.baseOffset} ${result.lastOffset} ${epoch}\n`);
  }
}

await Promise.all(Array.from({ length: Number(appendersText) }, () => appender()));
