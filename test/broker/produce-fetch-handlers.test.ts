// Proves Produce, Fetch and ListOffsets serve real clients: kcat produces with every codec and reads back every
// key and value; kafkajs produces with acks=-1 and headers; kafka-python speaking the 0.10 protocol produces
// magic-1 message sets and fetches them converted back down; a consumer waiting on an empty partition is woken by
// a later produce through the high-watermark notifier; kcat reports Produce's refusals (internal topic, too few in-sync
// replicas) as Kafka's errors. The broker runs in-process over in-memory replicas.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { defaultFetchSessionLimits, FetchSessionCache } from "../../src/broker/fetch-sessions.ts";
import { fetchHandler } from "../../src/broker/handlers/fetch.ts";
import { metadataHandlers } from "../../src/broker/handlers/index.ts";
import { listOffsetsHandler } from "../../src/broker/handlers/list-offsets.ts";
import { produceHandler } from "../../src/broker/handlers/produce.ts";
import { addTopic } from "../support/in-memory-metadata.ts";
import {
  type InProcessBroker,
  runClient as run,
  startInProcessBroker,
  type TestContext,
} from "../support/in-process-broker.ts";

let server: InProcessBroker;
let broker: string;
let context: TestContext;

beforeAll(async () => {
  let sessionIds = 0;
  const sessions = new FetchSessionCache(defaultFetchSessionLimits, () => ++sessionIds);
  server = await startInProcessBroker((brokerContext, _port, time) => [
    ...metadataHandlers(brokerContext),
    produceHandler(brokerContext, time),
    fetchHandler(brokerContext, sessions, time),
    listOffsetsHandler(brokerContext),
  ]);
  ({ address: broker, context } = server);
});

afterAll(() => server.stop());

const lines = (count: number) => Array.from({ length: count }, (_, index) => `key-${index}=value-${index}`);

describe("librdkafka (kcat)", () => {
  test.each(["none", "gzip", "snappy", "lz4", "zstd"])("produces and reads back with %s", async (codec) => {
    const topic = `kcat-${codec}`;
    await run(
      ["kcat", "-b", broker, "-P", "-t", topic, "-K=", "-z", codec, "-X", "acks=all"],
      `${lines(200).join("\n")}\n`,
    );
    const consumed = await run([
      "kcat",
      "-b",
      broker,
      "-C",
      "-t",
      topic,
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%k=%s\n",
    ]);
    expect(consumed.trimEnd().split("\n")).toEqual(lines(200));
    const hw = context.replicas.byName(topic, 0)!.highWatermark.value;
    expect(hw).toBe(200);
  });

  test("a waiting consumer is woken by a later produce", async () => {
    await run(["kcat", "-b", broker, "-L", "-t", "late", "-m", "5"]);
    const consumer = run([
      "kcat",
      "-b",
      broker,
      "-C",
      "-t",
      "late",
      "-o",
      "beginning",
      "-c",
      "3",
      "-q",
      "-f",
      "%s\n",
    ]);
    await Bun.sleep(300);
    await run(["kcat", "-b", broker, "-P", "-t", "late"], "a\nb\nc\n");
    expect((await consumer).trimEnd().split("\n")).toEqual(["a", "b", "c"]);
  });
});

describe("refusals as librdkafka (kcat) reports them", () => {
  const produceFails = async (topic: string, extra: string[] = []) => {
    const args = ["kcat", "-b", broker, "-P", "-t", topic, "-X", "acks=all", "-X", "message.timeout.ms=3000"];
    return await run([...args, ...extra], "v\n").then(
      () => "delivered",
      (error: Error) => error.message,
    );
  };

  test("appending to an internal topic fails with Invalid topic", async () => {
    // As the broker creates it at start-up: clients may not create it themselves.
    addTopic(context, "__consumer_offsets");
    expect(await produceFails("__consumer_offsets")).toContain("Broker: Invalid topic");
    expect(context.replicas.byName("__consumer_offsets", 0)!.logEndOffset()).toBe(0);
  });

  test("acks=all below min.insync.replicas fails with Not enough in-sync replicas", async () => {
    addTopic(context, "needs-two-in-sync", { configs: { "min.insync.replicas": "2" } });
    // librdkafka retries this retriable error until the message times out; without retries it reports it.
    expect(await produceFails("needs-two-in-sync", ["-X", "retries=0"])).toContain(
      "Not enough in-sync replicas",
    );
    expect(context.replicas.byName("needs-two-in-sync", 0)!.logEndOffset()).toBe(0);
  });
});

describe("kafkajs", () => {
  test("produces with acks=-1 and headers; offsets are consecutive", async () => {
    const producer = new Kafka({ clientId: "t", brokers: [broker], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      const results = [];
      for (let round = 0; round < 3; round++) {
        const messages = Array.from({ length: 10 }, (_, index) => ({
          key: `k${round}-${index}`,
          value: `v${round}-${index}`,
          headers: { trace: `t${index}` },
        }));
        results.push(...(await producer.send({ topic: "kafkajs-topic", acks: -1, messages })));
      }
      expect(results.map((result) => result.baseOffset)).toEqual(["0", "10", "20"]);
    } finally {
      await producer.disconnect();
    }
    const consumed = await run([
      "kcat",
      "-b",
      broker,
      "-C",
      "-t",
      "kafkajs-topic",
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%k %s %h\n",
    ]);
    const rows = consumed.trimEnd().split("\n");
    expect(rows).toHaveLength(30);
    expect(rows[11]).toBe("k1-1 v1-1 trace=t1");
  });
});

describe("kafka-python with the 0.10 protocol", () => {
  test("magic-1 message sets go in and come back out, offsets kept", async () => {
    const script = `
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
broker = sys.argv[1]
producer = KafkaProducer(bootstrap_servers=broker, api_version=(0, 10, 0), compression_type="gzip", acks="all")
for i in range(25):
    producer.send("legacy-topic", key=f"key-{i}".encode(), value=f"value-{i}".encode())
producer.flush(10)
consumer = KafkaConsumer(bootstrap_servers=broker, api_version=(0, 10, 0), consumer_timeout_ms=3000)
consumer.assign([TopicPartition("legacy-topic", 0)])
consumer.seek_to_beginning()
for message in consumer:
    print(message.offset, message.key.decode(), message.value.decode())
`;
    const output = await run(["/usr/bin/python3", "-c", script, broker]);
    const rows = output.trimEnd().split("\n");
    expect(rows).toHaveLength(25);
    expect(rows[0]).toBe("0 key-0 value-0");
    expect(rows[24]).toBe("24 key-24 value-24");
  });
});
