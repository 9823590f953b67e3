// Proves the APIs recent clients call as Kafka answers them: DescribeTopicPartitions pages by cursor, UpdateFeatures
// refuses what Kafka refuses and ApiVersions carries the features, the telemetry APIs answer without being
// advertised, ListClientMetricsResources lists none, AlterReplicaLogDirs agrees with DescribeLogDirs, and
// DescribeQuorum reads the metadata group — over the wire to the raw client and @platformatic/kafka.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Connection,
  describeTopicPartitionsV0,
  listClientMetricsResourcesV0,
  updateFeaturesV1,
} from "@platformatic/kafka";
import { alterReplicaLogDirsHandler } from "../../src/broker/handlers/alter-replica-log-dirs.ts";
import {
  getTelemetrySubscriptionsHandler,
  pushTelemetryHandler,
  subscriptionIdFor,
} from "../../src/broker/handlers/client-telemetry.ts";
import { describeLogDirsHandler } from "../../src/broker/handlers/describe-log-dirs.ts";
import { describeQuorumHandler, type MetadataQuorum } from "../../src/broker/handlers/describe-quorum.ts";
import { metadataHandlers } from "../../src/broker/handlers/index.ts";
import { zeroUuid } from "../../src/protocol/codec-runtime.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createDescribeTopicPartitionsRequest } from "../../src/protocol/messages/describe-topic-partitions.ts";
import { addTopic, handlerRequestContext } from "../support/in-memory-metadata.ts";
import { type InProcessBroker, startInProcessBroker } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";

const usage = { logDir: "/var/lib/chronik", totalBytes: () => 1_000_000, usableBytes: () => 400_000 };
const quorum: MetadataQuorum = {
  isLeader: true,
  leaderId: 1,
  term: 3,
  highWatermark: 42,
  voters: [1],
  logEndOffset: () => 42,
  wallMs: () => 1_700_000_000_000,
};

let server: InProcessBroker;
let raw: RawKafkaClient;

beforeAll(async () => {
  server = await startInProcessBroker((context) => {
    addTopic(context, "alpha", { partitions: 3 });
    addTopic(context, "beta", { partitions: 2 });
    addTopic(context, "gamma", { partitions: 1 });
    return [
      ...metadataHandlers(context),
      describeLogDirsHandler(context, usage),
      alterReplicaLogDirsHandler(context, usage),
      getTelemetrySubscriptionsHandler(() => context.newTopicId()),
      pushTelemetryHandler(),
      describeQuorumHandler(context, quorum),
    ];
  });
  raw = await RawKafkaClient.connect(server.port);
});

afterAll(async () => {
  raw.close();
  await server.stop();
});

function describePartitions(body: Partial<ReturnType<typeof createDescribeTopicPartitionsRequest>>) {
  return raw.request(75, 0, { ...createDescribeTopicPartitionsRequest(), ...body });
}

describe("DescribeTopicPartitions", () => {
  test("pages every topic in name order with a cursor at the first partition left out", async () => {
    const first = await describePartitions({ topics: [], responsePartitionLimit: 4 });
    expect(first.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ["alpha", [0, 1, 2]],
      ["beta", [0]],
    ]);
    expect(first.nextCursor).toMatchObject({ topicName: "beta", partitionIndex: 1 });
    const second = await describePartitions({
      topics: [],
      responsePartitionLimit: 4,
      cursor: first.nextCursor,
    });
    expect(second.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ["beta", [1]],
      ["gamma", [0]],
    ]);
    expect(second.nextCursor).toBeNull();
  });

  test("a page full at a topic boundary points the cursor at the next topic's partition 0", async () => {
    const page = await describePartitions({ topics: [], responsePartitionLimit: 3 });
    expect(page.topics.map((t) => t.name)).toEqual(["alpha"]);
    expect(page.nextCursor).toMatchObject({ topicName: "beta", partitionIndex: 0 });
  });

  test("named topics: unknown and invalid names get their errors, a cursor outside the list is refused", async () => {
    const named = await describePartitions({
      topics: [{ name: "gamma" }, { name: "nope" }, { name: "bad name" }].map((t) => ({
        ...t,
        unknownTaggedFields: [],
      })),
      responsePartitionLimit: 2000,
    });
    expect(named.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ["bad name", ErrorCode.InvalidTopicException],
      ["gamma", 0],
      ["nope", ErrorCode.UnknownTopicOrPartition],
    ]);
    const refused = await describePartitions({
      topics: [{ name: "gamma", unknownTaggedFields: [] }],
      responsePartitionLimit: 10,
      cursor: { topicName: "alpha", partitionIndex: 0, unknownTaggedFields: [] },
    });
    expect(refused.topics.map((t) => [t.name, t.errorCode])).toEqual([["gamma", ErrorCode.InvalidRequest]]);
  });

  test("@platformatic/kafka decodes a page with the partition details", async () => {
    const connection = new Connection("recent-apis-test");
    await connection.connect("127.0.0.1", server.port);
    try {
      const response = await describeTopicPartitionsV0.api.async(connection, [{ name: "beta" }], 2000);
      const [beta] = response.topics;
      expect(beta!.name).toBe("beta");
      expect(beta!.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes])).toEqual(
        [
          [0, 1, [1], [1]],
          [1, 1, [1], [1]],
        ],
      );
      const metrics = await listClientMetricsResourcesV0.api.async(connection);
      expect(metrics.configResources).toEqual([]);
      const kept = await updateFeaturesV1.api.async(
        connection,
        60_000,
        [{ feature: "metadata.version", maxVersionLevel: 21, upgradeType: 1 }],
        false,
      );
      expect(kept.errorCode).toBe(0);
    } finally {
      await connection.close();
    }
  });
});

describe("features", () => {
  test("ApiVersions v3 carries the supported and finalized features; telemetry APIs are not advertised", async () => {
    const response = await raw.request(18, 3, {
      clientSoftwareName: "raw",
      clientSoftwareVersion: "1",
      unknownTaggedFields: [],
    });
    expect(response.supportedFeatures.map((f) => [f.name, f.minVersion, f.maxVersion])).toEqual([
      ["metadata.version", 7, 21],
      ["group.version", 1, 1],
    ]);
    expect(response.finalizedFeatures.map((f) => [f.name, f.minVersionLevel, f.maxVersionLevel])).toEqual([
      ["metadata.version", 21, 21],
      ["group.version", 1, 1],
    ]);
    expect(response.finalizedFeaturesEpoch).toBe(0n);
    const keys = response.apiKeys.map((api) => api.apiKey);
    expect(keys).toEqual(expect.arrayContaining([34, 55, 57, 74, 75]));
    expect(keys).not.toContain(71);
    expect(keys).not.toContain(72);
  });

  test("UpdateFeatures refuses downgrades, unknown features and levels out of range with Kafka's messages", async () => {
    const update = (feature: string, maxVersionLevel: number, upgradeType: number, version = 1) =>
      raw.request(57, version, {
        timeoutMs: 1000,
        featureUpdates: [
          { feature, maxVersionLevel, allowDowngrade: false, upgradeType, unknownTaggedFields: [] },
        ],
        validateOnly: false,
        unknownTaggedFields: [],
      });
    const downgrade = await update("metadata.version", 20, 1);
    expect(downgrade.errorCode).toBe(ErrorCode.InvalidUpdateVersion);
    expect(downgrade.errorMessage).toContain("Can't downgrade the version of this feature");
    expect(downgrade.results.map((r) => [r.feature, r.errorCode])).toEqual([["metadata.version", 0]]);
    const safe = await update("metadata.version", 20, 2);
    expect(safe.errorMessage).toContain("Refusing to perform the requested downgrade");
    const unknown = await update("no.such.feature", 1, 1, 2);
    expect(unknown.errorCode).toBe(ErrorCode.InvalidUpdateVersion);
    expect(unknown.errorMessage).toContain("does not support the given feature");
    const range = await update("group.version", 0, 3, 0);
    expect(range.errorMessage).toBe(
      "Invalid update version 0 for feature group.version. Local controller only supports versions 1-1",
    );
  });
});

describe("telemetry", () => {
  test("GetTelemetrySubscriptions gives an instance id and an empty subscription that PushTelemetry accepts", async () => {
    const subscription = await raw.request(71, 0, { clientInstanceId: zeroUuid, unknownTaggedFields: [] });
    expect(subscription.errorCode).toBe(0);
    expect(subscription.clientInstanceId).not.toBe(zeroUuid);
    expect(subscription.requestedMetrics).toEqual([]);
    expect(subscription.pushIntervalMs).toBe(300_000);
    expect(subscription.subscriptionId).toBe(subscriptionIdFor(subscription.clientInstanceId));
    const push = (subscriptionId: number, clientInstanceId = subscription.clientInstanceId) =>
      raw.request(72, 0, {
        clientInstanceId,
        subscriptionId,
        terminating: false,
        compressionType: 0,
        metrics: new Uint8Array([1, 2, 3]),
        unknownTaggedFields: [],
      });
    expect((await push(subscription.subscriptionId)).errorCode).toBe(0);
    expect((await push(subscription.subscriptionId + 1)).errorCode).toBe(ErrorCode.UnknownSubscriptionId);
    expect((await push(0, zeroUuid)).errorCode).toBe(ErrorCode.InvalidRequest);
  });
});

describe("log directories", () => {
  test("AlterReplicaLogDirs accepts the directory DescribeLogDirs reports and refuses others", async () => {
    const described = await raw.request(35, 4, { topics: null, unknownTaggedFields: [] });
    const logDir = described.results[0]!.logDir;
    expect(logDir).toBe(usage.logDir);
    const topics = [
      { name: "alpha", partitions: [0, 7], unknownTaggedFields: [] },
      { name: "missing", partitions: [0], unknownTaggedFields: [] },
    ];
    const moved = await raw.request(34, 2, {
      dirs: [
        { path: logDir, topics, unknownTaggedFields: [] },
        {
          path: "/elsewhere",
          topics: [{ name: "beta", partitions: [0], unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
      unknownTaggedFields: [],
    });
    expect(
      moved.results.map((t) => [t.topicName, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    ).toEqual([
      [
        "alpha",
        [
          [0, 0],
          [7, ErrorCode.UnknownTopicOrPartition],
        ],
      ],
      ["missing", [[0, ErrorCode.UnknownTopicOrPartition]]],
      ["beta", [[0, ErrorCode.LogDirNotFound]]],
    ]);
  });

  test("a partition the metadata knows but this broker does not host is REPLICA_NOT_AVAILABLE", () => {
    // The in-memory replicas host every partition; this node hosts none of "remote".
    const hosted = server.context.replicas;
    const replicas = {
      byName: (topic: string, partition: number) =>
        topic === "remote" ? undefined : hosted.byName(topic, partition),
    };
    const context = { ...server.context, replicas: replicas as unknown as typeof hosted };
    context.metadata.apply([
      {
        type: "topic",
        name: "remote",
        topicId: context.newTopicId(),
        partitions: [{ replicas: [9] }],
        configs: {},
      },
    ]);
    const handler = alterReplicaLogDirsHandler(context, usage);
    const answer = handler.handle(
      {
        dirs: [
          {
            path: usage.logDir,
            topics: [{ name: "remote", partitions: [0], unknownTaggedFields: [] }],
            unknownTaggedFields: [],
          },
        ],
        unknownTaggedFields: [],
      },
      handlerRequestContext(2),
    ) as { results: Array<{ partitions: Array<{ errorCode: number }> }> };
    expect(answer.results[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ReplicaNotAvailable);
    // DescribeLogDirs agrees: the partition is not in this broker's directory.
    const described = describeLogDirsHandler(context, usage).handle(
      { topics: [{ topic: "remote", partitions: [0], unknownTaggedFields: [] }], unknownTaggedFields: [] },
      handlerRequestContext(4),
    ) as { results: Array<{ topics: unknown[] }> };
    expect(described.results[0]!.topics).toEqual([]);
  });
});

describe("DescribeQuorum", () => {
  const metadataPartition = (topicName = "__cluster_metadata", partitionIndex = 0) => ({
    topics: [
      { topicName, partitions: [{ partitionIndex, unknownTaggedFields: [] }], unknownTaggedFields: [] },
    ],
    unknownTaggedFields: [],
  });

  test("the leader describes the metadata group: epoch, high watermark, voters and their endpoints", async () => {
    const response = await raw.request(55, 2, metadataPartition());
    const partition = response.topics[0]!.partitions[0]!;
    expect(partition).toMatchObject({ errorCode: 0, leaderId: 1, leaderEpoch: 2, highWatermark: 42n });
    expect(
      partition.currentVoters.map((v) => [v.replicaId, v.logEndOffset, v.lastCaughtUpTimestamp]),
    ).toEqual([[1, 42n, 1_700_000_000_000n]]);
    expect(partition.observers).toEqual([]);
    expect(response.nodes.map((n) => [n.nodeId, n.listeners[0]!.port])).toEqual([[1, server.port]]);
  });

  test("another partition is UNKNOWN_TOPIC_OR_PARTITION; a follower answers NOT_LEADER_OR_FOLLOWER", async () => {
    const wrong = await raw.request(55, 0, metadataPartition("other", 0));
    expect(wrong.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
    const follower = describeQuorumHandler(server.context, { ...quorum, isLeader: false, leaderId: 2 });
    const answer = (await follower.handle(metadataPartition(), handlerRequestContext(1))) as {
      topics: Array<{ partitions: Array<{ errorCode: number }> }>;
    };
    expect(answer.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NotLeaderOrFollower);
  });
});
