// Proves each replica of a compacted topic on a three-node raft-cluster cleans its own copy: once the cleaner
// has run, the segment files on every node hold exactly the latest record of every key at its offset, with the
// same batch boundaries on all three — and after the node that led the partition is killed, kcat reads the
// same from the new leader.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { readBatchHeader, scanBatches } from "../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../src/protocol/records/batch-records.ts";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";
import { kcatRows, latestOf, produceKeyed, type Row } from "../support/keyed-records.ts";

const topic = "compacted-replicas";
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ args: ["--log-cleaner-backoff-ms", "100"] });
});

afterAll(async () => {
  await cluster.close();
});

/** The records and batch offset ranges in a node's segment files (read-only; the node keeps running). */
function onDisk(dataDir: string) {
  const dir = join(dataDir, `${topic}-0`);
  const decoder = new TextDecoder();
  const rows: Row[] = [];
  const batches: Array<[number, number]> = [];
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith(".log"))
    .sort()) {
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    for (const span of scanBatches(bytes, { verifyCrc: true }).spans) {
      const batch = bytes.subarray(span.position, span.position + span.size);
      const header = readBatchHeader(batch);
      const base = Number(header.baseOffset);
      batches.push([base, base + header.lastOffsetDelta]);
      if ((header.attributes & 0x20) !== 0) continue;
      for (const record of readAllRecords(batch, { decompressedBytesMax: 1 << 24 })) {
        const value = record.value === null ? null : decoder.decode(record.value);
        rows.push({ offset: base + record.offsetDelta, key: decoder.decode(record.key!), value });
      }
    }
  }
  return { rows, batches, checkpointed: existsSync(join(dir, "cleaner-offset-checkpoint")) };
}

test("every replica compacts its own copy to the latest record per key; the next leader serves it", async () => {
  const admin = new Kafka({
    clientId: "compaction",
    brokers: cluster.bootstrap().split(","),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 3,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.ms", value: "100" },
            { name: "min.cleanable.dirty.ratio", value: "0.01" },
            { name: "min.compaction.lag.ms", value: "6000" },
          ],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  for (let round = 0; round < 5; round++) {
    await produceKeyed(
      cluster.bootstrap(),
      topic,
      Array.from({ length: 100 }, (_, i) => `k${i % 15}:${round}.${i}`),
    );
    await Bun.sleep(150);
  }
  await produceKeyed(cluster.bootstrap(), topic, ["last:x"]);
  const written = await kcatRows(cluster.bootstrap(), topic);
  expect(written).toHaveLength(501);
  const latest = latestOf(written);

  const deadline = performance.now() + 30_000;
  const cleaned = () =>
    cluster.specs.every((spec) => {
      const disk = onDisk(spec.dataDir);
      return disk.checkpointed && disk.rows.length === latest.length;
    });
  while (!cleaned() && performance.now() < deadline) await Bun.sleep(200);
  const copies = cluster.specs.map((spec) => onDisk(spec.dataDir));
  for (const copy of copies) {
    expect(copy.rows).toEqual(latest);
    // Offsets and batch boundaries (the Raft entries) are the same on every replica as they were written.
    expect(copy.batches).toEqual(copies[0]!.batches);
  }

  await cluster.kill(1);
  let read: Row[] = [];
  const readDeadline = performance.now() + 20_000;
  while (performance.now() < readDeadline) {
    read = await kcatRows(cluster.bootstrap(), topic).catch(() => []);
    if (read.length === latest.length) break;
    await Bun.sleep(250);
  }
  expect(read).toEqual(latest);
}, 120_000);
