// Proves cleanup.policy=compact on a real broker with real clients: a topic created by kafkajs with small
// segments and a low min.cleanable.dirty.ratio, written by kcat with many updates per key and tombstones, reads
// back from offset 0 (kcat, confluent-kafka and kafkajs) as exactly the latest record of every key at its original
// offset once the cleaner has run — tombstones included until delete.retention.ms, gone after — and the same
// after a restart and after a SIGKILL; a broker SIGKILLed at random moments while it swaps cleaned segments in
// recovers every time to a log holding each key's latest record at its offset; keyless records are refused with
// INVALID_RECORD; AlterConfigs switches a topic from delete to compact and the cleaner then compacts it.

import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { runClient } from "../support/in-process-broker.ts";
import { kcatRows, latestOf, produceKeyed, type Row } from "../support/keyed-records.ts";
import { brokerForFile, type ServerProcess, startServer } from "../support/server-process.ts";

const broker = brokerForFile("compaction", { args: ["--log-cleaner-backoff-ms", "100"] });
/** The broker the clients talk to: the file's, or one a test started itself. */
let addressOverride: string | null = null;
const address = () => addressOverride ?? broker.address();
const deleteRetentionMs = 4000;

function admin() {
  return new Kafka({ clientId: "compaction", brokers: [address()], logLevel: logLevel.NOTHING }).admin();
}

async function createTopic(topic: string, configs: Record<string, string>) {
  const client = admin();
  await client.connect();
  try {
    await client.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } finally {
    await client.disconnect();
  }
}

async function produce(topic: string, lines: string[]) {
  await produceKeyed(address(), topic, lines);
}

function kcatRecords(topic: string): Promise<Row[]> {
  return kcatRows(address(), topic);
}

/** confluent-kafka reads partition 0 from offset 0 to the high watermark. */
async function confluentRecords(topic: string): Promise<Row[]> {
  const script = `
import sys, time, json
from confluent_kafka import Consumer, TopicPartition
broker, topic = sys.argv[1], sys.argv[2]
consumer = Consumer({"bootstrap.servers": broker, "group.id": "compaction-check", "enable.auto.commit": False,
                     "enable.partition.eof": True})
low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
consumer.assign([TopicPartition(topic, 0, 0)])
out = []
deadline = time.time() + 20
while time.time() < deadline:
    message = consumer.poll(0.5)
    if message is None:
        continue
    if message.error() is not None:
        if message.error().code() == -191:  # _PARTITION_EOF
            break
        raise SystemExit(str(message.error()))
    value = message.value()
    out.append([message.offset(), message.key().decode(), None if value is None else value.decode()])
consumer.close()
print(json.dumps(out))
`;
  const out = await runClient(["/usr/bin/python3", "-c", script, address(), topic]);
  return (JSON.parse(out) as Array<[number, string, string | null]>).map(([offset, key, value]) => ({
    offset,
    key,
    value,
  }));
}

/** kafkajs (Fetch v11 and below) reads from offset 0 until it has `count` records or 20 s pass. */
async function kafkajsRecords(topic: string, count: number): Promise<Row[]> {
  const kafka = new Kafka({ clientId: "compaction-read", brokers: [address()], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `compaction-read-${topic}` });
  const rows: Row[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        rows.push({
          offset: Number(message.offset),
          key: message.key!.toString(),
          value: message.value === null ? null : message.value.toString(),
        });
      },
    });
    const deadline = performance.now() + 20_000;
    while (rows.length < count && performance.now() < deadline) await Bun.sleep(100);
  } finally {
    await consumer.disconnect();
  }
  return rows;
}

/** Six rounds over 20 keys, 25 updates per key in all; keys 0–4 deleted in round 4; rounds 150 ms apart. */
async function writeUpdates(topic: string) {
  for (let round = 0; round < 6; round++) {
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      const key = `k${i % 20}`;
      const tombstone = round === 4 && i >= 80 && i % 20 < 5;
      const revived = round === 5 && i % 20 < 5;
      if (revived) continue;
      lines.push(tombstone ? `${key}:` : `${key}:r${round}.${i}`);
    }
    await produce(topic, lines);
    // segment.ms is 100: the next round's first append rolls the segment, so each round is a segment.
    await Bun.sleep(150);
  }
  // Unique keys in the active segment: the rounds above are all inactive and cleanable now.
  await produce(topic, ["z0:last", "z1:last"]);
}

/** Long enough to read everything written before the cleaner may touch it. */
const minCompactionLagMs = 8000;

const compactConfigs = {
  "cleanup.policy": "compact",
  "min.compaction.lag.ms": String(minCompactionLagMs),
  "segment.ms": "100",
  "min.cleanable.dirty.ratio": "0.01",
  "delete.retention.ms": String(deleteRetentionMs),
};

test("a compacted topic reads back as the latest record per key at its offset; tombstones go after delete.retention.ms", async () => {
  const topic = "compacted";
  await createTopic(topic, compactConfigs);
  const writtenAtMs = performance.now();
  await writeUpdates(topic);
  // min.compaction.lag.ms holds the cleaner back: everything written is still there.
  const written = await kcatRecords(topic);
  expect(performance.now() - writtenAtMs).toBeLessThan(minCompactionLagMs);
  expect(written).toHaveLength(6 * 100 - 25 + 2);
  const latest = latestOf(written);
  expect(latest.filter((record) => record.value === null).map((record) => record.key)).toEqual([
    "k0",
    "k1",
    "k2",
    "k3",
    "k4",
  ]);

  // The cleaner runs every 100 ms once a log is dirty; the tombstones are younger than delete.retention.ms.
  let compacted = written;
  const compactedBy = performance.now() + minCompactionLagMs + 15_000;
  while (compacted.length !== latest.length && performance.now() < compactedBy) {
    await Bun.sleep(200);
    compacted = await kcatRecords(topic);
  }
  expect(compacted).toEqual(latest);
  expect(await confluentRecords(topic)).toEqual(latest);
  // kafkajs reads every live record; it drops the tombstones, whose batches carry KIP-534's delete horizon
  // (baseTimestamp = the horizon, negative timestamp deltas), as Kafka 3.1+ writes them too.
  const liveRows = latest.filter((row) => row.value !== null);
  expect(await kafkajsRecords(topic, liveRows.length)).toEqual(liveRows);

  // Past delete.retention.ms the tombstones go at the next pass; every other key keeps its latest record.
  const live = latest.filter((record) => record.value !== null);
  let afterRetention = compacted;
  const deadline = performance.now() + deleteRetentionMs + 15_000;
  while (afterRetention.length !== live.length && performance.now() < deadline) {
    await Bun.sleep(250);
    afterRetention = await kcatRecords(topic);
  }
  expect(afterRetention).toEqual(live);

  // The same after a clean restart and after a crash.
  await broker.restart();
  expect(await kcatRecords(topic)).toEqual(live);
  await broker.restart({ crash: true });
  expect(await kcatRecords(topic)).toEqual(live);
  expect(await confluentRecords(topic)).toEqual(live);
}, 90_000);

test("a compacted topic refuses records without a key with INVALID_RECORD", async () => {
  const topic = "compacted-keys";
  await createTopic(topic, { "cleanup.policy": "compact,delete" });
  const script = `
import sys
from confluent_kafka import Producer
results = []
producer = Producer({"bootstrap.servers": sys.argv[1], "retries": 0})
report = lambda err, msg: results.append(err.name() if err else "ok")
# One batch each: Kafka refuses a whole batch holding a keyless record.
producer.produce(sys.argv[2], value=b"no key", on_delivery=report)
producer.flush(10)
producer.produce(sys.argv[2], key=b"k", value=b"keyed", on_delivery=report)
producer.flush(10)
print(" ".join(results))
`;
  const out = (await runClient(["/usr/bin/python3", "-c", script, address(), topic])).trim();
  expect(out).toBe("INVALID_RECORD ok");
});

test("AlterConfigs switches a topic from delete to compact, and the cleaner then compacts it", async () => {
  const topic = "switched";
  await createTopic(topic, { "segment.ms": "100" });
  await writeUpdates(topic);
  const written = await kcatRecords(topic);
  expect(written).toHaveLength(6 * 100 - 25 + 2);
  // Under delete nothing is cleaned.
  await Bun.sleep(500);
  expect(await kcatRecords(topic)).toEqual(written);
  const client = admin();
  await client.connect();
  try {
    await client.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: topic,
          configEntries: Object.entries(compactConfigs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } finally {
    await client.disconnect();
  }
  const latest = latestOf(written);
  let compacted = written;
  const deadline = performance.now() + minCompactionLagMs + 15_000;
  while (compacted.length !== latest.length && performance.now() < deadline) {
    await Bun.sleep(200);
    compacted = await kcatRecords(topic);
  }
  expect(compacted).toEqual(latest);
}, 60_000);

test("SIGKILL at random moments while the cleaner writes and swaps segments: every restart holds each key's latest record", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chronik-compaction-crash-"));
  // A slow cleaner (256 KiB/s), so a pass over ~2.5 MB takes seconds and a kill lands inside it.
  const slow = ["--log-cleaner-backoff-ms", "100", "--log-cleaner-io-max-bytes-per-second", "262144"];
  let server: ServerProcess = await startServer({ dataDir, args: slow });
  const ports = { kafka: server.kafkaPort, http: server.httpPort };
  addressOverride = `127.0.0.1:${server.kafkaPort}`;
  try {
    const topic = "crashed";
    await createTopic(topic, { ...compactConfigs, "delete.retention.ms": "600000" });
    const padding = "p".repeat(1000);
    for (let round = 0; round < 6; round++) {
      const lines = Array.from({ length: 400 }, (_, i) => `key${i % 40}:${round}.${i}.${padding}`);
      await produce(topic, lines);
      await Bun.sleep(150);
    }
    await produce(topic, ["last:x"]);
    const written = await kcatRecords(topic);
    expect(written).toHaveLength(6 * 400 + 1);
    const byOffset = new Map(written.map((record) => [record.offset, record]));
    const latest = latestOf(written);
    const partitionDir = join(dataDir, `${topic}-0`);
    const copying = () => readdirSync(partitionDir).some((name) => name.endsWith(".cleaned"));
    for (let kill = 0; kill < 3; kill++) {
      const deadline = performance.now() + minCompactionLagMs + 20_000;
      while (!copying() && performance.now() < deadline) await Bun.sleep(5);
      expect(copying()).toBe(true);
      await Bun.sleep(Math.floor(Math.random() * 1500));
      await server.kill();
      server = await startServer({ dataDir, ports, args: slow });
      const read = await kcatRecords(topic);
      // Only records written, each at its own offset, and the latest of every key among them.
      for (const record of read) expect(byOffset.get(record.offset)).toEqual(record);
      expect(latestOf(read)).toEqual(latest);
    }
    await server.stop();
    server = await startServer({ dataDir, ports, args: ["--log-cleaner-backoff-ms", "100"] });
    let compacted = await kcatRecords(topic);
    const deadline = performance.now() + 20_000;
    while (compacted.length !== latest.length && performance.now() < deadline) {
      await Bun.sleep(200);
      compacted = await kcatRecords(topic);
    }
    expect(compacted).toEqual(latest);
  } finally {
    addressOverride = null;
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
