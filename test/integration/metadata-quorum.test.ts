// Proves DescribeQuorum on a real standalone broker reads its metadata Raft group: this node leads it, in the epoch
// Kafka would report, with its own log end offset at the group's high watermark; and DescribeTopicPartitions
// describes a topic kafkajs created.

import { expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("metadata-quorum");

test("DescribeQuorum v2 and DescribeTopicPartitions answer from the running node", async () => {
  const admin = new Kafka({
    clientId: "quorum",
    brokers: [broker.address()],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "described", numPartitions: 3 }] });
  await admin.disconnect();
  const raw = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    const quorum = await raw.request(55, 2, {
      topics: [
        {
          topicName: "__cluster_metadata",
          partitions: [{ partitionIndex: 0, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
      unknownTaggedFields: [],
    });
    const partition = quorum.topics[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(0);
    expect(partition.leaderEpoch).toBeGreaterThanOrEqual(0);
    expect(partition.highWatermark).toBeGreaterThan(0n);
    const [voter] = partition.currentVoters;
    expect(partition.currentVoters).toHaveLength(1);
    expect(voter!.replicaId).toBe(partition.leaderId);
    expect(voter!.logEndOffset).toBe(partition.highWatermark);
    expect(quorum.nodes.map((node) => node.listeners[0]!.port)).toEqual([broker.server().kafkaPort]);

    const described = await raw.request(75, 0, {
      topics: [{ name: "described", unknownTaggedFields: [] }],
      responsePartitionLimit: 2000,
      cursor: null,
      unknownTaggedFields: [],
    });
    expect(described.topics[0]!.partitions.map((p) => [p.partitionIndex, p.leaderId])).toEqual([
      [0, partition.leaderId],
      [1, partition.leaderId],
      [2, partition.leaderId],
    ]);
  } finally {
    raw.close();
  }
});
