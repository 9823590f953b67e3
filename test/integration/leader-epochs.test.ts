// Proves the leader epochs clients see start at 0, as Kafka's do, against a real broker process: a new
// partition's Metadata says epoch 0, a Fetch with currentLeaderEpoch 0 is answered with records whose batch
// headers carry epoch 0, ListOffsets and OffsetForLeaderEpoch answer in the same epochs; after a restart (a
// new Raft term) the epoch is 1, later batches carry it and epoch 0 is fenced; @platformatic/kafka, which
// fetches with Metadata's epoch, consumes across the restart and sees each record's epoch; and a data
// directory written when headers held Raft terms (one higher) reads the same after the upgrade.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Consumer, type Message, stringDeserializers } from "@platformatic/kafka";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createFetchRequest, createFetchRequestFetchPartition } from "../../src/protocol/messages/fetch.ts";
import {
  createListOffsetsRequest,
  createListOffsetsRequestListOffsetsPartition,
} from "../../src/protocol/messages/list-offsets.ts";
import { createMetadataRequest, createMetadataRequestTopic } from "../../src/protocol/messages/metadata.ts";
import {
  createOffsetForLeaderEpochRequest,
  createOffsetForLeaderEpochRequestOffsetForLeaderPartition,
} from "../../src/protocol/messages/offset-for-leader-epoch.ts";
import { createProduceRequest } from "../../src/protocol/messages/produce.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { isControlBatch, readBatchHeader, scanBatches } from "../../src/protocol/records/batch-header.ts";
import { rewriteDataDirWithTermHeaders } from "../storage/term-headers.ts";
import { runClient } from "../support/in-process-broker.ts";
import { kcatReadToEnd } from "../support/kcat.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";

const latestTimestamp = -1n;

/** The Kafka requests that carry leader epochs, for partition 0 of a topic, over one raw connection. */
class EpochClient {
  private constructor(private readonly client: RawKafkaClient) {}

  static async connect(port: number): Promise<EpochClient> {
    return new EpochClient(await RawKafkaClient.connect(port));
  }

  /** Produces `values` as one batch (acks=-1); returns where it went. */
  async produce(topic: string, values: string[]) {
    const records = buildBatch(
      values.map((value) => ({ key: null, value: new TextEncoder().encode(value), timestamp: Date.now() })),
    );
    const response = await this.client.request(ApiKey.Produce, 9, {
      ...createProduceRequest(),
      acks: -1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: topic,
          partitionData: [{ index: 0, records, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
    });
    const partition = response.responses[0]!.partitionResponses[0]!;
    return { errorCode: partition.errorCode, baseOffset: Number(partition.baseOffset) };
  }

  async metadataEpoch(topic: string): Promise<number> {
    const response = await this.client.request(ApiKey.Metadata, 12, {
      ...createMetadataRequest(),
      topics: [{ ...createMetadataRequestTopic(), name: topic }],
      allowAutoTopicCreation: false,
    });
    const partition = response.topics[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(0);
    return partition.leaderEpoch;
  }

  /** The batches a Fetch from `offset` answers: [baseOffset, partitionLeaderEpoch] of each, control ones too. */
  async fetch(topic: string, offset: number, currentLeaderEpoch: number) {
    const response = await this.client.request(ApiKey.Fetch, 12, {
      ...createFetchRequest(),
      maxWaitMs: 0,
      maxBytes: 1 << 20,
      topics: [
        {
          topic,
          topicId: "00000000-0000-0000-0000-000000000000",
          partitions: [
            {
              ...createFetchRequestFetchPartition(),
              currentLeaderEpoch,
              fetchOffset: BigInt(offset),
              partitionMaxBytes: 1 << 20,
            },
          ],
          unknownTaggedFields: [],
        },
      ],
    });
    const partition = response.responses[0]!.partitions[0]!;
    const records = partition.records ?? new Uint8Array(0);
    const batches = scanBatches(records, { verifyCrc: true }).spans.map((span) => {
      const header = readBatchHeader(records.subarray(span.position));
      return {
        baseOffset: Number(header.baseOffset),
        epoch: header.partitionLeaderEpoch,
        control: isControlBatch(header.attributes),
      };
    });
    return { errorCode: partition.errorCode, batches };
  }

  async latestOffset(topic: string, currentLeaderEpoch: number) {
    const response = await this.client.request(ApiKey.ListOffsets, 7, {
      ...createListOffsetsRequest(),
      replicaId: -1,
      topics: [
        {
          name: topic,
          partitions: [
            {
              ...createListOffsetsRequestListOffsetsPartition(),
              currentLeaderEpoch,
              timestamp: latestTimestamp,
            },
          ],
          unknownTaggedFields: [],
        },
      ],
    });
    const partition = response.topics[0]!.partitions[0]!;
    return {
      errorCode: partition.errorCode,
      offset: Number(partition.offset),
      leaderEpoch: partition.leaderEpoch,
    };
  }

  async endOfEpoch(topic: string, leaderEpoch: number, currentLeaderEpoch: number) {
    const response = await this.client.request(ApiKey.OffsetForLeaderEpoch, 4, {
      ...createOffsetForLeaderEpochRequest(),
      replicaId: -1,
      topics: [
        {
          topic,
          partitions: [
            {
              ...createOffsetForLeaderEpochRequestOffsetForLeaderPartition(),
              currentLeaderEpoch,
              leaderEpoch,
            },
          ],
          unknownTaggedFields: [],
        },
      ],
    });
    const partition = response.topics[0]!.partitions[0]!;
    return {
      errorCode: partition.errorCode,
      leaderEpoch: partition.leaderEpoch,
      endOffset: Number(partition.endOffset),
    };
  }

  close(): void {
    this.client.close();
  }
}

/** A broker process over a data directory of its own that survives restarts. */
function brokerOverOwnDir(prefix: string) {
  const dataDir = mkdtempSync(join(tmpdir(), `chronik-${prefix}-`));
  let server: ServerProcess | undefined;
  const current = () => server!;
  return {
    dataDir,
    current,
    address: () => `127.0.0.1:${current().kafkaPort}`,
    start: async () => {
      server = await startServer({ dataDir });
    },
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Produces `values` as one batch at `baseOffset`. */
async function produce(port: number, topic: string, values: string[], baseOffset: number): Promise<void> {
  await withClient(port, async (client) => {
    expect(await client.produce(topic, values)).toEqual({ errorCode: 0, baseOffset });
  });
}

async function withClient<T>(port: number, use: (client: EpochClient) => Promise<T>): Promise<T> {
  const client = await EpochClient.connect(port);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

describe("a new partition", () => {
  const broker = brokerOverOwnDir("epochs");
  beforeAll(broker.start);
  afterAll(async () => {
    await broker.stop();
    broker.remove();
  });

  test("starts at epoch 0 on every API, and a restart makes it 1", async () => {
    const topic = "epochs";
    await runClient(["kcat", "-b", broker.address(), "-L", "-t", topic]);
    await produce(broker.current().kafkaPort, topic, ["a", "b", "c"], 0);

    await withClient(broker.current().kafkaPort, async (client) => {
      expect(await client.metadataEpoch(topic)).toBe(0);
      // Kafka's first leader epoch is 0: a client that sends it back is answered with the records.
      expect(await client.fetch(topic, 0, 0)).toEqual({
        errorCode: 0,
        batches: [{ baseOffset: 0, epoch: 0, control: false }],
      });
      expect((await client.fetch(topic, 0, 1)).errorCode).toBe(ErrorCode.UnknownLeaderEpoch);
      expect(await client.latestOffset(topic, 0)).toEqual({ errorCode: 0, offset: 3, leaderEpoch: 0 });
      expect(await client.endOfEpoch(topic, 0, 0)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 3 });
    });

    await broker.stop();
    await broker.start();
    await produce(broker.current().kafkaPort, topic, ["d"], 4);

    await withClient(broker.current().kafkaPort, async (client) => {
      expect(await client.metadataEpoch(topic)).toBe(1);
      expect((await client.fetch(topic, 0, 0)).errorCode).toBe(ErrorCode.FencedLeaderEpoch);
      // Fetch leaves the new leader's LeaderChange batch (offset 3, epoch 1) out; "d" follows it in epoch 1.
      expect(await client.fetch(topic, 0, 1)).toEqual({
        errorCode: 0,
        batches: [
          { baseOffset: 0, epoch: 0, control: false },
          { baseOffset: 4, epoch: 1, control: false },
        ],
      });
      expect(await client.latestOffset(topic, 1)).toEqual({ errorCode: 0, offset: 5, leaderEpoch: 1 });
      expect(await client.endOfEpoch(topic, 0, 1)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 3 });
      expect(await client.endOfEpoch(topic, 1, 1)).toEqual({ errorCode: 0, leaderEpoch: 1, endOffset: 5 });
      expect((await client.endOfEpoch(topic, 0, 0)).errorCode).toBe(ErrorCode.FencedLeaderEpoch);
    });
    expect(await kcatReadToEnd(broker.address(), topic)).toEqual(["a", "b", "c", "d"]);
  }, 60_000);

  test("@platformatic/kafka fetches with Metadata's epoch and sees each record's epoch", async () => {
    const topic = "epochs-platformatic";
    await runClient(["kcat", "-b", broker.address(), "-L", "-t", topic]);
    await produce(broker.current().kafkaPort, topic, ["a", "b"], 0);
    const consumeAll = async (count: number) => {
      const consumer = new Consumer({
        clientId: "epochs",
        groupId: `epochs-${count}`,
        bootstrapBrokers: [broker.address()],
        deserializers: stringDeserializers,
      });
      try {
        const stream = await consumer.consume({ topics: [topic], mode: "earliest", maxWaitTime: 100 });
        const read: Array<[string, number]> = [];
        for await (const message of stream as AsyncIterable<Message<string, string, string, string>>) {
          read.push([message.value, message.leaderEpoch]);
          if (read.length === count) break;
        }
        await stream.close();
        return read;
      } finally {
        await consumer.close(true);
      }
    };
    expect(await consumeAll(2)).toEqual([
      ["a", 0],
      ["b", 0],
    ]);
    await broker.stop();
    await broker.start();
    await produce(broker.current().kafkaPort, topic, ["c"], 3);
    expect(await consumeAll(3)).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 1],
    ]);
  }, 60_000);
});

describe("a data directory written when batch headers held Raft terms", () => {
  const broker = brokerOverOwnDir("epochs-upgrade");
  beforeAll(broker.start);
  afterAll(async () => {
    await broker.stop();
    broker.remove();
  });

  test("reads the same after the upgrade: old batches in epoch 0, the next leader in epoch 1", async () => {
    const topic = "upgraded";
    await runClient(["kcat", "-b", broker.address(), "-L", "-t", topic]);
    await produce(broker.current().kafkaPort, topic, ["a", "b", "c"], 0);
    await broker.stop();
    // As the builds before log format 2 wrote it: every header and checkpoint one higher, no format file.
    expect(rewriteDataDirWithTermHeaders(broker.dataDir)).toBeGreaterThan(1);

    await broker.start();
    expect(broker.current().logs()).toContain("log format 1 → 2");
    await withClient(broker.current().kafkaPort, async (client) => {
      expect(await client.metadataEpoch(topic)).toBe(1);
      expect(await client.fetch(topic, 0, 1)).toEqual({
        errorCode: 0,
        batches: [{ baseOffset: 0, epoch: 0, control: false }],
      });
      expect(await client.endOfEpoch(topic, 0, 1)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 3 });
      expect(await client.endOfEpoch(topic, 1, 1)).toEqual({ errorCode: 0, leaderEpoch: 1, endOffset: 4 });
    });
    await produce(broker.current().kafkaPort, topic, ["d"], 4);
    expect(await kcatReadToEnd(broker.address(), topic)).toEqual(["a", "b", "c", "d"]);

    // The migration ran once: a second restart finds format 2 and goes on in epoch 2.
    await broker.stop();
    await broker.start();
    expect(broker.current().logs()).not.toContain("log format 1 → 2");
    await withClient(broker.current().kafkaPort, async (client) => {
      expect(await client.metadataEpoch(topic)).toBe(2);
      expect((await client.fetch(topic, 0, 2)).batches.map((batch) => batch.epoch)).toEqual([0, 1]);
    });
    expect(await kcatReadToEnd(broker.address(), topic)).toEqual(["a", "b", "c", "d"]);
  }, 60_000);
});
