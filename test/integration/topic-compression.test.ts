// Proves a topic's compression.type on the real process: kafkajs creates and alters topics with every codec
// (and is refused a codec or level Kafka refuses); batches that kcat and confluent-kafka (idempotent) produce in
// another codec are stored in the topic's — the attributes of the batches a raw Fetch returns say so, with the
// idempotent producer's id kept — and kcat and confluent-kafka read every value back intact.

import { expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { zeroUuid } from "../../src/protocol/codec-runtime.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import {
  type BatchHeader,
  CompressionCodec,
  compressionOf,
  readBatchHeader,
  scanBatches,
} from "../../src/protocol/records/batch-header.ts";
import { runClient } from "../support/in-process-broker.ts";
import { kcatReadToEnd } from "../support/kcat.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("compression");
const address = () => broker.address();

function admin() {
  return new Kafka({ clientId: "compression", brokers: [address()], logLevel: logLevel.NOTHING }).admin();
}

async function withAdmin<T>(run: (client: ReturnType<typeof admin>) => Promise<T>): Promise<T> {
  const client = admin();
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.disconnect();
  }
}

/** The headers of every batch a Fetch v11 from offset 0 returns. */
async function storedBatches(topic: string): Promise<BatchHeader[]> {
  const client = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    const response = await client.request(ApiKey.Fetch, 11, {
      ...apiCodecs(ApiKey.Fetch).request.create(),
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 16 << 20,
      topics: [
        {
          topic,
          topicId: zeroUuid,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 16 << 20,
              replicaDirectoryId: zeroUuid,
              unknownTaggedFields: [],
            },
          ],
          unknownTaggedFields: [],
        },
      ],
    });
    const partition = response.responses[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(0);
    const records = partition.records!;
    const { spans } = scanBatches(records, { verifyCrc: true });
    return spans.map((span) => readBatchHeader(records, span.position));
  } finally {
    client.close();
  }
}

async function kcatProduce(topic: string, codec: string, values: string[]): Promise<void> {
  await runClient(
    ["kcat", "-b", address(), "-P", "-t", topic, "-z", codec, "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
}

const confluentProduce = `
import sys
from confluent_kafka import Producer
bootstrap, topic, codec, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "compression.type": codec,
                     "linger.ms": 50})
failed = []
for i in range(count):
    producer.produce(topic, key=b"k%d" % i, value=b"idem-%d" % i, headers=[("n", str(i).encode())],
                     callback=lambda error, message: error and failed.append(str(error)))
print(producer.flush(30), len(failed), failed[:3])
`;

const confluentConsume = `
import sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 0, 0)])
seen = []
while len(seen) < count:
    message = consumer.poll(10)
    if message is None:
        break
    if message.error():
        raise Exception(message.error())
    key = message.key().decode() if message.key() is not None else ""
    header = dict(message.headers() or []).get("n", b"").decode()
    seen.append("%s=%s/%s" % (key, message.value().decode(), header))
consumer.close()
print("\\n".join(seen))
`;

const values = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

test("CreateTopics and AlterConfigs take every codec and level Kafka does, and refuse the rest", async () => {
  await withAdmin(async (client) => {
    const created = await client.createTopics({
      topics: [
        { topic: "to-lz4", configEntries: [{ name: "compression.type", value: "lz4" }] },
        {
          topic: "to-gzip",
          configEntries: [
            { name: "compression.type", value: "gzip" },
            { name: "compression.gzip.level", value: "9" },
          ],
        },
        { topic: "to-none", configEntries: [{ name: "compression.type", value: "uncompressed" }] },
        { topic: "to-zstd" },
      ],
    });
    expect(created).toBe(true);
    await client.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: "to-zstd",
          configEntries: [
            { name: "compression.type", value: "zstd" },
            { name: "compression.zstd.level", value: "-3" },
          ],
        },
      ],
    });
    const described = await client.describeConfigs({
      resources: [{ type: 2, name: "to-zstd", configNames: ["compression.type", "compression.zstd.level"] }],
      includeSynonyms: false,
    });
    expect(
      described.resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue]),
    ).toEqual([
      ["compression.type", "zstd"],
      ["compression.zstd.level", "-3"],
    ]);
    for (const [name, value] of [
      ["compression.type", "brotli"],
      ["compression.lz4.level", "18"],
      ["compression.gzip.level", "0"],
      ["compression.zstd.level", "23"],
    ] as const) {
      const refused = await client
        .createTopics({ topics: [{ topic: `bad-${name}`, configEntries: [{ name, value }] }] })
        .then(
          () => null,
          (error: { errors?: Array<{ type: string }> }) => error.errors?.map((item) => item.type),
        );
      expect(refused).toEqual(["INVALID_CONFIG"]);
    }
  });
});

test("batches in another codec are stored in the topic's and read back intact", async () => {
  const cases = [
    { topic: "to-lz4", produced: "gzip", stored: CompressionCodec.Lz4 },
    { topic: "to-gzip", produced: "snappy", stored: CompressionCodec.Gzip },
    { topic: "to-none", produced: "lz4", stored: CompressionCodec.None },
    { topic: "to-zstd", produced: "none", stored: CompressionCodec.Zstd },
  ];
  for (const { topic, produced, stored } of cases) {
    const sent = values(topic, 500);
    await kcatProduce(topic, produced, sent);
    const batches = await storedBatches(topic);
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.map((header) => compressionOf(header.attributes))).toEqual(batches.map(() => stored));
    expect(await kcatReadToEnd(address(), topic)).toEqual(sent);
  }
}, 60_000);

test("an idempotent producer's batches keep its producer id when re-written, and confluent-kafka reads them", async () => {
  const topic = "to-lz4";
  const before = (await storedBatches(topic)).length;
  const count = 300;
  const produced = await runClient([
    "/usr/bin/python3",
    "-c",
    confluentProduce,
    address(),
    topic,
    "snappy",
    `${count}`,
  ]);
  expect(produced.trim()).toBe("0 0 []");
  const batches = (await storedBatches(topic)).slice(before);
  expect(batches.length).toBeGreaterThan(0);
  for (const header of batches) {
    expect(compressionOf(header.attributes)).toBe(CompressionCodec.Lz4);
    expect(header.producerId).toBeGreaterThanOrEqual(0n);
    expect(header.baseSequence).toBeGreaterThanOrEqual(0);
  }
  const consumed = await runClient([
    "/usr/bin/python3",
    "-c",
    confluentConsume,
    address(),
    topic,
    String(500 + count),
  ]);
  const lines = consumed.trim().split("\n");
  expect(lines).toHaveLength(500 + count);
  expect(lines.slice(500)).toEqual(Array.from({ length: count }, (_, i) => `k${i}=idem-${i}/${i}`));
}, 60_000);
