// Proves `chronik-server standalone` is a Kafka broker for real clients: 3-partition topics created with
// kafkajs's admin; 10,000 messages with keys and headers produced by confluent-kafka under each compression codec
// and consumed back exactly; kcat and kafka-python producing and consuming; configs altered and described;
// nothing acknowledged lost across a clean restart and a SIGKILL; and records deleted with kafkajs's admin, after
// which kcat reading from offset 0 gets only the rest.

import { describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { runClient } from "../support/in-process-broker.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("standalone");
const address = () => broker.address();

/** confluent-kafka produces `count` keyed messages with a header, acks=all, and prints the acknowledged count. */
const produceScript = `
import sys
from confluent_kafka import Producer
broker, topic, codec, count, start = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
acked = 0
def delivered(error, message):
    global acked
    if error is None:
        acked += 1
producer = Producer({"bootstrap.servers": broker, "compression.type": codec, "acks": "all", "linger.ms": 5})
for i in range(start, start + count):
    producer.produce(topic, key=f"key-{i}", value=f"value-{i}-" + "x" * (i % 50), headers=[("n", str(i).encode())],
                     callback=delivered)
    producer.poll(0)
assert producer.flush(30) == 0
print(acked)
`;

/** confluent-kafka reads every partition from the start until `expected` messages, printing key/value/header. */
const consumeScript = `
import sys
from confluent_kafka import Consumer, TopicPartition
broker, topic, partitions, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
consumer = Consumer({"bootstrap.servers": broker, "group.id": "reader", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
rows = []
while len(rows) < expected:
    message = consumer.poll(10)
    assert message is not None, f"only {len(rows)} of {expected} messages"
    assert message.error() is None, message.error()
    rows.append(f"{message.key().decode()} {message.value().decode()} {message.headers()[0][1].decode()}")
consumer.close()
print("\\n".join(sorted(rows)))
`;

function expectedRows(start: number, count: number): string[] {
  return Array.from({ length: count }, (_, offset) => {
    const i = start + offset;
    return `key-${i} value-${i}-${"x".repeat(i % 50)} ${i}`;
  }).sort();
}

describe("chronik-server standalone with real clients", () => {
  test("kafkajs creates a 3-partition topic, alters and describes its config", async () => {
    const admin = new Kafka({ clientId: "it", brokers: [address()], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] });
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: "orders", configEntries: [{ name: "retention.ms", value: "86400000" }] },
        ],
      });
      const described = await admin.describeConfigs({
        resources: [{ type: 2, name: "orders", configNames: ["retention.ms"] }],
        includeSynonyms: false,
      });
      expect(described.resources[0]!.configEntries[0]).toMatchObject({
        configValue: "86400000",
        configSource: 1,
      });
      const metadata = await admin.fetchTopicMetadata({ topics: ["orders"] });
      expect(metadata.topics[0]!.partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  test.each(["none", "gzip", "snappy", "lz4", "zstd"])(
    "10,000 messages with keys and headers under %s come back exactly",
    async (codec) => {
      const topic = `codec-${codec}`;
      const admin = new Kafka({ clientId: "it", brokers: [address()], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
      await admin.disconnect();
      const acked = await runClient([
        "/usr/bin/python3",
        "-c",
        produceScript,
        address(),
        topic,
        codec,
        "10000",
        "0",
      ]);
      expect(acked.trim()).toBe("10000");
      const rows = await runClient(["/usr/bin/python3", "-c", consumeScript, address(), topic, "3", "10000"]);
      expect(rows.trimEnd().split("\n")).toEqual(expectedRows(0, 10000));
    },
    60_000,
  );

  test("nothing acknowledged is lost across a clean restart and a SIGKILL", async () => {
    const topic = "durable";
    await runClient(["kcat", "-b", address(), "-L", "-t", topic, "-m", "5"]);
    expect(
      (
        await runClient(["/usr/bin/python3", "-c", produceScript, address(), topic, "lz4", "3000", "0"])
      ).trim(),
    ).toBe("3000");
    expect(await broker.restart()).toBe(0);
    expect(
      (
        await runClient(["/usr/bin/python3", "-c", produceScript, address(), topic, "none", "3000", "3000"])
      ).trim(),
    ).toBe("3000");
    await broker.restart({ crash: true });
    const rows = await runClient(["/usr/bin/python3", "-c", consumeScript, address(), topic, "1", "6000"]);
    expect(rows.trimEnd().split("\n")).toEqual(expectedRows(0, 6000));
    // Topics created before the restarts are still there, with their configs.
    const listing = JSON.parse(await runClient(["kcat", "-b", address(), "-L", "-J"]));
    const names = listing.topics.map((entry: { topic: string }) => entry.topic);
    expect(names).toContain("orders");
  }, 60_000);

  test("kafka-python with the 0.10 protocol, and kcat, produce and consume", async () => {
    await runClient(["kcat", "-b", address(), "-P", "-t", "mixed", "-K:", "-z", "gzip"], "a:1\nb:2\nc:3\n");
    const script = `
import sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
broker = sys.argv[1]
producer = KafkaProducer(bootstrap_servers=broker, api_version=(0, 10, 0), acks="all")
producer.send("mixed", key=b"d", value=b"4").get(10)
consumer = KafkaConsumer(bootstrap_servers=broker, api_version=(0, 10, 0), consumer_timeout_ms=3000)
consumer.assign([TopicPartition("mixed", 0)])
consumer.seek_to_beginning()
print(" ".join(f"{m.key.decode()}{m.value.decode()}" for m in consumer))
`;
    expect((await runClient(["/usr/bin/python3", "-c", script, address()])).trim()).toBe("a1 b2 c3 d4");
  }, 30_000);

  test("kafkajs deletes records; kcat reading from offset 0 resets and gets only the rest", async () => {
    const topic = "trimmed";
    const kafka = new Kafka({ brokers: [address()], clientId: "trim", logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 10 }, (_, index) => ({ value: `m${index}` }));
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      // A new partition's first record takes offset 0, as in Kafka: deleting before 5 keeps m5..m9.
      await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "5" }] });
      expect(await admin.fetchTopicOffsets(topic)).toEqual([
        { partition: 0, offset: "10", high: "10", low: "5" },
      ]);
    } finally {
      await admin.disconnect();
    }
    const kcat = ["kcat", "-b", address(), "-C", "-t", topic, "-o", "0", "-X", "auto.offset.reset=earliest"];
    const consumed = await runClient([...kcat, "-e", "-q"]);
    expect(consumed.trimEnd().split("\n")).toEqual(["m5", "m6", "m7", "m8", "m9"]);
  }, 30_000);
});
