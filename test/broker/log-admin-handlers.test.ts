// Proves OffsetForLeaderEpoch, DeleteRecords, DescribeLogDirs and ListOffsets: epoch end offsets by Kafka's rules with
// fencing and per-partition errors; DeleteRecords with -1 meaning the high watermark and offsets past it
// refused, after which kafkajs sees the new low watermark and kcat reading from offset 0 resets and gets only
// the remaining records; the log directory's partitions, sizes and space, to @platformatic/kafka as well; and
// ListOffsets' tiered-storage timestamps (KIP-405/KIP-1005) answered as Kafka does with nothing tiered.
// The broker runs in-process over in-memory replicas.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Connection,
  describeLogDirsV4,
  listOffsetsV9,
  offsetForLeaderEpochV2,
  offsetForLeaderEpochV4,
} from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { defaultFetchSessionLimits, FetchSessionCache } from "../../src/broker/fetch-sessions.ts";
import { deleteRecordsHandler } from "../../src/broker/handlers/delete-records.ts";
import { describeLogDirsHandler } from "../../src/broker/handlers/describe-log-dirs.ts";
import { fetchHandler } from "../../src/broker/handlers/fetch.ts";
import { metadataHandlers } from "../../src/broker/handlers/index.ts";
import { listOffsetsHandler } from "../../src/broker/handlers/list-offsets.ts";
import { offsetForLeaderEpochHandler } from "../../src/broker/handlers/offset-for-leader-epoch.ts";
import { produceHandler } from "../../src/broker/handlers/produce.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import type { ApiMessages } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { addTopic, handlerRequestContext } from "../support/in-memory-metadata.ts";
import type { InMemoryReplica } from "../support/in-memory-replica.ts";
import { type InProcessBroker, runClient, startInProcessBroker } from "../support/in-process-broker.ts";

type EpochResponse = ApiMessages[23]["response"];
type DeleteResponse = ApiMessages[21]["response"];
type LogDirsResponse = ApiMessages[35]["response"];

const usage = { logDir: "/var/lib/chronik", totalBytes: () => 1_000_000, usableBytes: () => 400_000 };

let server: InProcessBroker;
let offsetForLeaderEpoch: ReturnType<typeof offsetForLeaderEpochHandler>;
let deleteRecords: ReturnType<typeof deleteRecordsHandler>;
let describeLogDirs: ReturnType<typeof describeLogDirsHandler>;

beforeAll(async () => {
  let sessionIds = 0;
  const sessions = new FetchSessionCache(defaultFetchSessionLimits, () => ++sessionIds);
  server = await startInProcessBroker((context, _port, time) => {
    offsetForLeaderEpoch = offsetForLeaderEpochHandler(context);
    deleteRecords = deleteRecordsHandler(context);
    describeLogDirs = describeLogDirsHandler(context, usage);
    return [
      ...metadataHandlers(context),
      produceHandler(context, time),
      fetchHandler(context, sessions, time),
      listOffsetsHandler(context),
      offsetForLeaderEpoch,
      deleteRecords,
      describeLogDirs,
    ];
  });
});

afterAll(() => server.stop());

const requestContext = handlerRequestContext;

/** kcat produces `count` values "v0".."v{count-1}" with acks=all; the topic is created on first use. */
async function produce(topic: string, count: number, from = 0): Promise<void> {
  const values = Array.from({ length: count }, (_, index) => `v${from + index}`);
  await runClient(
    ["kcat", "-b", server.address, "-P", "-t", topic, "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
}

function replicaOf(topic: string): InMemoryReplica {
  return server.context.replicas.byName(topic, 0) as InMemoryReplica;
}

async function endOffsets(
  topic: string,
  partitions: Array<{ partition: number; leaderEpoch: number; currentLeaderEpoch?: number }>,
  apiVersion = 4,
) {
  const response = (await offsetForLeaderEpoch.handle(
    {
      replicaId: -1,
      topics: [
        {
          topic,
          partitions: partitions.map((partition) => ({
            currentLeaderEpoch: -1,
            ...partition,
            unknownTaggedFields: [],
          })),
          unknownTaggedFields: [],
        },
      ],
      unknownTaggedFields: [],
    },
    requestContext(apiVersion),
  )) as EpochResponse;
  return response.topics[0]!.partitions.map(({ errorCode, leaderEpoch, endOffset }) => ({
    errorCode,
    leaderEpoch,
    endOffset: Number(endOffset),
  }));
}

async function deleteBefore(topic: string, partition: number, offset: bigint) {
  const response = (await deleteRecords.handle(
    {
      topics: [
        {
          name: topic,
          partitions: [{ partitionIndex: partition, offset, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
      timeoutMs: 1000,
      unknownTaggedFields: [],
    },
    requestContext(2),
  )) as DeleteResponse;
  const answer = response.topics[0]!.partitions[0]!;
  return { errorCode: answer.errorCode, lowWatermark: Number(answer.lowWatermark) };
}

describe("OffsetForLeaderEpoch", () => {
  test("answers each epoch's end offset by Kafka's rules, also after the log start moves", async () => {
    const topic = "epochs";
    await produce(topic, 3);
    const replica = replicaOf(topic);
    replica.beginEpoch(2);
    await produce(topic, 2, 3);
    replica.beginEpoch(5);
    await produce(topic, 1, 5);
    // Epochs: 0 from offset 0, 2 from 3, 5 from 5; the log ends at 6.
    const asked = [0, 1, 2, 3, 5, 6, -1].map((leaderEpoch) => ({ partition: 0, leaderEpoch }));
    expect(await endOffsets(topic, asked)).toEqual([
      { errorCode: 0, leaderEpoch: 0, endOffset: 3 },
      { errorCode: 0, leaderEpoch: 0, endOffset: 3 },
      { errorCode: 0, leaderEpoch: 2, endOffset: 5 },
      { errorCode: 0, leaderEpoch: 2, endOffset: 5 },
      { errorCode: 0, leaderEpoch: 5, endOffset: 6 },
      { errorCode: 0, leaderEpoch: -1, endOffset: -1 },
      { errorCode: 0, leaderEpoch: -1, endOffset: -1 },
    ]);
    // Deleting up to 4 drops epoch 0: asking for it now answers itself, ending where epoch 2 now starts.
    expect(await deleteBefore(topic, 0, 4n)).toEqual({ errorCode: 0, lowWatermark: 4 });
    expect(await endOffsets(topic, [{ partition: 0, leaderEpoch: 0 }])).toEqual([
      { errorCode: 0, leaderEpoch: 0, endOffset: 4 },
    ]);
  });

  test("fences stale and future current epochs and refuses unknown partitions and non-leaders", async () => {
    const topic = "fenced";
    await produce(topic, 2);
    const replica = replicaOf(topic);
    replica.beginEpoch(3);
    const answers = await endOffsets(topic, [
      { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 2 },
      { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 4 },
      { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 3 },
      { partition: 9, leaderEpoch: 0 },
    ]);
    expect(answers.map((answer) => answer.errorCode)).toEqual([
      ErrorCode.FencedLeaderEpoch,
      ErrorCode.UnknownLeaderEpoch,
      0,
      ErrorCode.UnknownTopicOrPartition,
    ]);
    expect(answers[2]).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 2 });
    expect((await endOffsets("no-such-topic", [{ partition: 0, leaderEpoch: 0 }]))[0]!.errorCode).toBe(
      ErrorCode.UnknownTopicOrPartition,
    );
    replica.leader = false;
    try {
      expect((await endOffsets(topic, [{ partition: 0, leaderEpoch: 0 }]))[0]!.errorCode).toBe(
        ErrorCode.NotLeaderOrFollower,
      );
    } finally {
      replica.leader = true;
    }
  });

  test("@platformatic/kafka reads the same answers over the wire at v2 and v4", async () => {
    const topic = "epochs-wire";
    await produce(topic, 4);
    replicaOf(topic).beginEpoch(1);
    await produce(topic, 3, 4);
    const connection = new Connection("epochs-test");
    await connection.connect("127.0.0.1", server.port);
    try {
      const partitions = [{ partitionIndex: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }];
      for (const api of [offsetForLeaderEpochV2, offsetForLeaderEpochV4]) {
        const response = await api.api.async(connection, -1, [{ name: topic, partitions }]);
        const answer = response.topics[0]!.partitions[0]!;
        expect({ leaderEpoch: answer.leaderEpoch, endOffset: answer.endOffset }).toEqual({
          leaderEpoch: 0,
          endOffset: 4n,
        });
      }
    } finally {
      await connection.close();
    }
  });
});

describe("DeleteRecords", () => {
  test("-1 means the high watermark, offsets past it or below -1 are out of range, lower ones no-ops", async () => {
    const topic = "trim";
    await produce(topic, 10);
    expect(await deleteBefore(topic, 0, 11n)).toEqual({
      errorCode: ErrorCode.OffsetOutOfRange,
      lowWatermark: -1,
    });
    expect(await deleteBefore(topic, 0, -2n)).toEqual({
      errorCode: ErrorCode.OffsetOutOfRange,
      lowWatermark: -1,
    });
    expect(await deleteBefore(topic, 0, 3n)).toEqual({ errorCode: 0, lowWatermark: 3 });
    expect(await deleteBefore(topic, 0, 2n)).toEqual({ errorCode: 0, lowWatermark: 3 });
    const replica = replicaOf(topic);
    const below = replica.read(2, { maxBytes: 1 << 20, maxOffset: replica.highWatermark.value });
    expect("errorCode" in below && below.errorCode).toBe(ErrorCode.OffsetOutOfRange);
    expect(await deleteBefore(topic, 0, -1n)).toEqual({ errorCode: 0, lowWatermark: 10 });
    expect(replica.logStartOffset()).toBe(10);
    expect(await deleteBefore(topic, 4, 0n)).toEqual({
      errorCode: ErrorCode.UnknownTopicOrPartition,
      lowWatermark: -1,
    });
    replica.leader = false;
    try {
      expect((await deleteBefore(topic, 0, 10n)).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
    } finally {
      replica.leader = true;
    }
  });

  test("an internal topic is refused with INVALID_TOPIC_EXCEPTION and keeps its records", async () => {
    const topic = "__consumer_offsets";
    addTopic(server.context, topic);
    const bytes = buildBatch([1, 2, 3].map((n) => ({ key: null, value: new Uint8Array([n]), timestamp: n })));
    await replicaOf(topic).append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 }).replicated;
    expect(await deleteBefore(topic, 0, -1n)).toEqual({
      errorCode: ErrorCode.InvalidTopicException,
      lowWatermark: -1,
    });
    expect(replicaOf(topic).logStartOffset()).toBe(0);
  });

  test("kafkajs sees the new low watermark; kcat from offset 0 resets and reads only what remains", async () => {
    const topic = "trim-clients";
    const kafka = new Kafka({
      brokers: [server.address],
      clientId: "delete-records",
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, index) => ({ value: `m${index}` })),
    });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Also loads the topic's metadata, which kafkajs's deleteTopicRecords expects to have.
      expect(await admin.fetchTopicOffsets(topic)).toEqual([
        { partition: 0, offset: "10", high: "10", low: "0" },
      ]);
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "6" }] });
      expect(await admin.fetchTopicOffsets(topic)).toEqual([
        { partition: 0, offset: "10", high: "10", low: "6" },
      ]);
    } finally {
      await admin.disconnect();
    }
    const consumed = await runClient([
      "kcat",
      "-b",
      server.address,
      "-C",
      "-t",
      topic,
      "-o",
      "0",
      "-X",
      "auto.offset.reset=earliest",
      "-e",
      "-q",
    ]);
    expect(consumed.trimEnd().split("\n")).toEqual(["m6", "m7", "m8", "m9"]);
  });
});

describe("ListOffsets", () => {
  test("@platformatic/kafka at v9: earliest local is the log start, latest tiered is -1 (nothing tiered)", async () => {
    const topic = "special-timestamps";
    await produce(topic, 6);
    await deleteBefore(topic, 0, 2n);
    const connection = new Connection("list-offsets-test");
    await connection.connect("127.0.0.1", server.port);
    try {
      const ask = async (timestamp: bigint) => {
        const partitions = [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }];
        const response = await listOffsetsV9.api
          .async(connection, -1, 0, [{ name: topic, partitions }])
          .catch(
            (error: { response: Awaited<ReturnType<typeof listOffsetsV9.api.async>> }) => error.response,
          );
        const { errorCode, offset, leaderEpoch } = response.topics[0]!.partitions[0]!;
        return { errorCode, offset: Number(offset), leaderEpoch };
      };
      expect(await ask(-2n)).toEqual({ errorCode: 0, offset: 2, leaderEpoch: 0 });
      expect(await ask(-4n)).toEqual({ errorCode: 0, offset: 2, leaderEpoch: 0 });
      expect(await ask(-5n)).toEqual({ errorCode: 0, offset: -1, leaderEpoch: -1 });
      expect(await ask(-1n)).toEqual({ errorCode: 0, offset: 6, leaderEpoch: 0 });
      expect((await ask(-6n)).errorCode).toBe(ErrorCode.InvalidRequest);
    } finally {
      await connection.close();
    }
  });
});

describe("DescribeLogDirs", () => {
  test("lists hosted partitions with their sizes, filtered by the request, and the directory's space", async () => {
    const topic = "sized";
    await produce(topic, 20);
    const all = (await describeLogDirs.handle(
      { topics: null, unknownTaggedFields: [] },
      requestContext(4),
    )) as LogDirsResponse;
    expect(all.results).toHaveLength(1);
    const dir = all.results[0]!;
    expect({
      errorCode: dir.errorCode,
      logDir: dir.logDir,
      totalBytes: dir.totalBytes,
      usableBytes: dir.usableBytes,
    }).toEqual({
      errorCode: 0,
      logDir: usage.logDir,
      totalBytes: 1_000_000n,
      usableBytes: 400_000n,
    });
    const names = dir.topics.map((entry) => entry.name);
    expect(names).toContain(topic);
    expect(names).toContain("trim");
    const sized = dir.topics.find((entry) => entry.name === topic)!;
    expect(sized.partitions).toEqual([
      {
        partitionIndex: 0,
        partitionSize: BigInt(replicaOf(topic).sizeBytes()),
        offsetLag: 0n,
        isFutureKey: false,
        unknownTaggedFields: [],
      },
    ]);
    expect(replicaOf(topic).sizeBytes()).toBeGreaterThan(20 * 3);
    const filtered = (await describeLogDirs.handle(
      {
        topics: [
          { topic, partitions: [0, 5], unknownTaggedFields: [] },
          { topic: "no-such-topic", partitions: [0], unknownTaggedFields: [] },
        ],
        unknownTaggedFields: [],
      },
      requestContext(1),
    )) as LogDirsResponse;
    expect(
      filtered.results[0]!.topics.map((entry) => [entry.name, entry.partitions.map((p) => p.partitionIndex)]),
    ).toEqual([[topic, [0]]]);
  });

  test("@platformatic/kafka reads the v4 answer over the wire", async () => {
    const connection = new Connection("log-dirs-test");
    await connection.connect("127.0.0.1", server.port);
    try {
      const response = await describeLogDirsV4.api.async(connection, [{ name: "sized", partitions: [0] }]);
      const result = response.results[0]!;
      expect(result.logDir).toBe(usage.logDir);
      expect(result.totalBytes).toBe(1_000_000n);
      expect(result.usableBytes).toBe(400_000n);
      expect(result.topics[0]!.partitions[0]!.partitionSize).toBe(BigInt(replicaOf("sized").sizeBytes()));
    } finally {
      await connection.close();
    }
  });
});
