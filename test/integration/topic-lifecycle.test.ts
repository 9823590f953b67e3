// Proves topic lifecycle and time look-ups on the real process: a deleted topic's data is gone, so a topic
// created again under the same name starts empty; and ListOffsets by timestamp finds the first message at or
// after a time, for librdkafka (confluent-kafka offsets_for_times).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { runClient } from "../support/in-process-broker.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";

let server: ServerProcess;
const address = () => `127.0.0.1:${server.kafkaPort}`;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

test("a deleted topic's data is gone: created again, it starts empty", async () => {
  const admin = new Kafka({
    clientId: "lifecycle",
    brokers: [address()],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: "phoenix", numPartitions: 2 }] });
    await runClient(["kcat", "-b", address(), "-P", "-t", "phoenix", "-p", "0"], "old-1\nold-2\n");
    await admin.deleteTopics({ topics: ["phoenix"] });
    expect(await admin.listTopics()).not.toContain("phoenix");
    await admin.createTopics({ topics: [{ topic: "phoenix", numPartitions: 2 }] });
    await runClient(["kcat", "-b", address(), "-P", "-t", "phoenix", "-p", "0"], "new-1\n");
    const read = await runClient([
      "kcat",
      "-b",
      address(),
      "-C",
      "-t",
      "phoenix",
      "-p",
      "0",
      "-o",
      "beginning",
      "-e",
      "-q",
    ]);
    expect(read.trim().split("\n")).toEqual(["new-1"]);
  } finally {
    await admin.disconnect();
  }
});

test("ListOffsets by timestamp finds the first message at or after a time", async () => {
  const script = `
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
broker = sys.argv[1]
producer = Producer({"bootstrap.servers": broker, "acks": "all"})
for i, ts in enumerate([1_000_000, 2_000_000, 3_000_000, 4_000_000]):
    producer.produce("timed", value=f"m{i}".encode(), timestamp=ts)
    producer.flush(10)
consumer = Consumer({"bootstrap.servers": broker, "group.id": "timed-reader"})
for ts in [2_000_000, 2_500_000, 5_000_000]:
    found = consumer.offsets_for_times([TopicPartition("timed", 0, ts)], timeout=10)[0]
    print(ts, found.offset)
consumer.close()
`;
  const rows = (await runClient(["/usr/bin/python3", "-c", script, address()])).trim().split("\n");
  // m0..m3 are offsets 0..3 (a new partition's first record takes offset 0). Past the end: -1 (end).
  expect(rows).toEqual(["2000000 1", "2500000 2", "5000000 -1"]);
}, 30_000);
