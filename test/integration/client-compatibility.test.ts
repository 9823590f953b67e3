// Proves against `chronik-server standalone` what real clients of issue 17 rely on: confluent-kafka's
// list_topics(); a Fetch over ~900 KB batches answered within its maxBytes of 1,000,000 (unless one first batch is
// larger, which then comes alone), with the real storage underneath; and a confluent-kafka consumer whose
// receive.message.max.bytes is 1,000,512 reading every such batch with fetch.max.bytes=1000000 and
// max.partition.fetch.bytes=20000000; and @platformatic/kafka told the cluster's 7 authorized operations.

import { beforeAll, describe, expect, test } from "bun:test";
import { AclOperations, Connection, describeClusterV1 } from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { createFetchRequest } from "../../src/protocol/messages/fetch.ts";
import { ApiKey, type ApiMessages } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { runClient } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("client-compat");
const address = () => broker.address();

/** fetch.max.bytes and max.partition.fetch.bytes of the consumer in issue 17. */
const responseBytesMax = 1_000_000;
const partitionBytesMax = 20_000_000;
const largeTopic = "large-batches";
const largeValueBytes = 900_000;
const batchesPerPartition = 3;
const partitionCount = 3;

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: "compat", brokers: [address()], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    // Room for a 1.5 MB batch; the default max.message.bytes (1,048,588) would refuse it.
    const configEntries = [{ name: "max.message.bytes", value: "2000000" }];
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces one batch of one record whose value is `valueBytes` long; returns the batch's size. */
async function produceBatch(
  client: RawKafkaClient,
  topic: string,
  partition: number,
  valueBytes: number,
): Promise<number> {
  const records = buildBatch([
    { key: null, value: new Uint8Array(valueBytes).fill(97), timestamp: Date.now() },
  ]);
  const response = await client.request(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [
      {
        name: topic,
        partitionData: [{ index: partition, records, unknownTaggedFields: [] }],
        unknownTaggedFields: [],
      },
    ],
    unknownTaggedFields: [],
  });
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  return records.length;
}

/** A sessionless Fetch v12 of every partition from offset 0; record bytes per partition. */
async function fetchFromStart(client: RawKafkaClient, topic: string, partitions: number) {
  const response = await client.request(ApiKey.Fetch, 12, {
    ...createFetchRequest(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: responseBytesMax,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: "",
        partitions: Array.from({ length: partitions }, (_, partition) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset: 0n,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: partitionBytesMax,
          replicaDirectoryId: "",
          unknownTaggedFields: [],
        })),
        unknownTaggedFields: [],
      },
    ],
  });
  expect(response.errorCode).toBe(0);
  return recordBytes(response);
}

function recordBytes(response: ApiMessages[1]["response"]): [number, number][] {
  return response.responses.flatMap((topic) =>
    topic.partitions.map((partition): [number, number] => {
      expect(partition.errorCode).toBe(0);
      return [partition.partitionIndex, partition.records?.length ?? 0];
    }),
  );
}

const largeBatchSizes: number[][] = [];

beforeAll(async () => {
  await createTopic(largeTopic, partitionCount);
  const client = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    for (let partition = 0; partition < partitionCount; partition++) {
      const sizes: number[] = [];
      for (let batch = 0; batch < batchesPerPartition; batch++) {
        sizes.push(await produceBatch(client, largeTopic, partition, largeValueBytes));
      }
      largeBatchSizes.push(sizes);
    }
  } finally {
    client.close();
  }
});

describe("Metadata (issue 17, item 1)", () => {
  test("confluent-kafka lists all topics", async () => {
    const script = `
import sys
from confluent_kafka.admin import AdminClient
metadata = AdminClient({"bootstrap.servers": sys.argv[1]}).list_topics(timeout=10)
print(" ".join(sorted(metadata.topics)))
print(" ".join(str(broker.port) for broker in metadata.brokers.values()))
`;
    const [topics, ports] = (await runClient(["/usr/bin/python3", "-c", script, address()]))
      .trim()
      .split("\n");
    expect(topics!.split(" ")).toContain(largeTopic);
    expect(ports).toBe(String(broker.server().kafkaPort));
  });
});

describe("Fetch's response size (issue 17, item 2)", () => {
  test("~900 KB batches in three partitions: one batch answers a Fetch of maxBytes 1,000,000", async () => {
    const client = await RawKafkaClient.connect(broker.server().kafkaPort);
    try {
      const bytes = await fetchFromStart(client, largeTopic, partitionCount);
      expect(bytes).toEqual([
        [0, largeBatchSizes[0]![0]!],
        [1, 0],
        [2, 0],
      ]);
      expect(bytes.reduce((sum, [, size]) => sum + size, 0)).toBeLessThanOrEqual(responseBytesMax);
    } finally {
      client.close();
    }
  });

  test("a first batch larger than maxBytes comes alone", async () => {
    const topic = "huge-first";
    await createTopic(topic, 2);
    const client = await RawKafkaClient.connect(broker.server().kafkaPort);
    try {
      const huge = await produceBatch(client, topic, 0, 1_500_000);
      await produceBatch(client, topic, 0, 1_000);
      await produceBatch(client, topic, 1, 1_000);
      expect(await fetchFromStart(client, topic, 2)).toEqual([
        [0, huge],
        [1, 0],
      ]);
    } finally {
      client.close();
    }
  });

  test("confluent-kafka with receive.message.max.bytes 1,000,512 reads every ~900 KB message", async () => {
    const script = `
import sys, time
from confluent_kafka import Consumer, TopicPartition
broker, topic, partitions, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
errors = []
consumer = Consumer({
    "bootstrap.servers": broker,
    "group.id": "large-batches",
    "enable.auto.commit": False,
    "fetch.max.bytes": 1000000,
    "max.partition.fetch.bytes": 20000000,
    "receive.message.max.bytes": 1000512,
    "error_cb": lambda error: errors.append(str(error)),
})
consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
sizes = []
deadline = time.time() + 20
while len(sizes) < expected and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is not None and message.error() is None:
        sizes.append(len(message.value()))
consumer.close()
print(len(sizes), sorted(set(sizes)), errors[:1])
`;
    const expected = partitionCount * batchesPerPartition;
    const output = await runClient([
      "/usr/bin/python3",
      "-c",
      script,
      address(),
      largeTopic,
      String(partitionCount),
      String(expected),
    ]);
    expect(output.trim()).toBe(`${expected} [${largeValueBytes}] []`);
  }, 40_000);
});

describe("authorized operations (issue 17, item 3)", () => {
  test("@platformatic/kafka's DescribeCluster v1 is told the 7 cluster operations", async () => {
    const connection = new Connection("compat");
    await connection.connect("127.0.0.1", broker.server().kafkaPort);
    try {
      const response = await describeClusterV1.api.async(connection, true, 1);
      const names = Object.entries(AclOperations)
        .filter(([, code]) => (response.clusterAuthorizedOperations & (1 << code)) !== 0)
        .map(([name]) => name)
        .sort();
      expect(names).toEqual([
        "ALTER",
        "ALTER_CONFIGS",
        "CLUSTER_ACTION",
        "CREATE",
        "DESCRIBE",
        "DESCRIBE_CONFIGS",
        "IDEMPOTENT_WRITE",
      ]);
    } finally {
      await connection.close();
    }
  });
});
