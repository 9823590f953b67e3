// Proves the metadata and admin APIs behave as Kafka's for real clients: kafkajs's admin creates topics (and is
// refused as Kafka refuses), grows partitions, describes and alters configs with sources, and deletes topics;
// kcat lists what was created; Metadata auto-creates when allowed; @platformatic/kafka sees malformed config
// changes refused as Kafka refuses them. The broker runs in-process on a real socket with an in-memory metadata
// service (the durable one is the metadata Raft group).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Admin, alterConfigsV2, Connection, incrementalAlterConfigsV1 } from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { metadataHandlers } from "../../src/broker/handlers/index.ts";
import { topicConfigDefinitions } from "../../src/cluster/topic-config-definitions.ts";
import { addTopic } from "../support/in-memory-metadata.ts";
import {
  type InProcessBroker,
  runClient,
  startInProcessBroker,
  type TestContext,
} from "../support/in-process-broker.ts";

let broker: InProcessBroker;
let port: number;
let context: TestContext;

beforeAll(async () => {
  broker = await startInProcessBroker((brokerContext) => metadataHandlers(brokerContext));
  ({ port, context } = broker);
});

afterAll(() => broker.stop());

/** The error a promise rejects with (kafkajs errors carry Kafka's error name as `type`). */
async function rejection(
  promise: Promise<unknown>,
): Promise<{ type?: string; errors?: Array<{ type: string }> }> {
  try {
    await promise;
  } catch (error) {
    return error as { type?: string; errors?: Array<{ type: string }> };
  }
  throw new Error("expected a rejection");
}

function admin() {
  return new Kafka({
    clientId: "test-admin",
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
  }).admin();
}

describe("metadata and admin APIs with kafkajs", () => {
  test("create topics, then see them in metadata; duplicates and bad input refused", async () => {
    const client = admin();
    await client.connect();
    try {
      const created = await client.createTopics({
        topics: [
          { topic: "orders", numPartitions: 3, configEntries: [{ name: "retention.ms", value: "60000" }] },
          { topic: "events" },
        ],
      });
      expect(created).toBe(true);
      expect(await client.createTopics({ topics: [{ topic: "orders" }] })).toBe(false);
      const refused = await rejection(
        client.createTopics({
          topics: [{ topic: "bad", configEntries: [{ name: "segment.bytes", value: "1" }] }],
        }),
      );
      expect(refused.errors?.map((error) => error.type)).toEqual(["INVALID_CONFIG"]);
      expect(context.metadata.state.topicByName("bad")).toBeUndefined();
      const metadata = await client.fetchTopicMetadata({ topics: ["orders", "events"] });
      const byName = new Map(metadata.topics.map((topic) => [topic.name, topic]));
      expect(byName.get("orders")!.partitions.map((p) => [p.partitionId, p.leader, p.replicas])).toEqual([
        [0, 1, [1]],
        [1, 1, [1]],
        [2, 1, [1]],
      ]);
      expect(byName.get("events")!.partitions).toHaveLength(1);
      expect((await client.listTopics()).sort()).toEqual(["events", "orders"]);
    } finally {
      await client.disconnect();
    }
  });

  test("grow partitions; describe and alter configs with their sources", async () => {
    const client = admin();
    await client.connect();
    try {
      await client.createPartitions({ topicPartitions: [{ topic: "orders", count: 5 }] });
      expect(context.metadata.state.topicByName("orders")!.partitions).toHaveLength(5);
      await expect(
        client.createPartitions({ topicPartitions: [{ topic: "orders", count: 2 }] }),
      ).rejects.toThrow();

      const describe = async () => {
        const result = await client.describeConfigs({
          resources: [{ type: 2, name: "orders", configNames: ["retention.ms", "cleanup.policy"] }],
          includeSynonyms: true,
        });
        return new Map(result.resources[0]!.configEntries.map((entry) => [entry.configName, entry]));
      };
      let configs = await describe();
      // Synonyms, most specific first, each named after the config that sets it (Kafka's ConfigHelper): the
      // default of retention.ms comes from log.retention.hours.
      const retentionDefault = { configName: "log.retention.hours", configValue: "168", configSource: 5 };
      expect(configs.get("retention.ms")).toMatchObject({
        configValue: "60000",
        configSource: 1,
        isDefault: false,
        configSynonyms: [
          { configName: "retention.ms", configValue: "60000", configSource: 1 },
          retentionDefault,
        ],
      });
      expect(configs.get("cleanup.policy")).toMatchObject({
        configValue: "delete",
        configSource: 5,
        isDefault: true,
        configSynonyms: [{ configName: "log.cleanup.policy", configValue: "delete", configSource: 5 }],
      });

      await client.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: "orders", configEntries: [{ name: "cleanup.policy", value: "delete" }] },
        ],
      });
      configs = await describe();
      // AlterConfigs replaces every override: retention.ms is back to its default.
      expect(configs.get("retention.ms")).toMatchObject({
        configValue: "604800000",
        configSource: 5,
        configSynonyms: [retentionDefault],
      });
      expect(configs.get("cleanup.policy")).toMatchObject({ configValue: "delete", configSource: 1 });
      // delete → compact, as Kafka allows; an unknown policy is still refused.
      await client.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: "orders", configEntries: [{ name: "cleanup.policy", value: "compact,delete" }] },
        ],
      });
      configs = await describe();
      expect(configs.get("cleanup.policy")).toMatchObject({ configValue: "compact,delete", configSource: 1 });
      const unknownPolicy = await rejection(
        client.alterConfigs({
          validateOnly: false,
          resources: [
            { type: 2, name: "orders", configEntries: [{ name: "cleanup.policy", value: "shred" }] },
          ],
        }),
      );
      expect(unknownPolicy.type).toBe("INVALID_CONFIG");
    } finally {
      await client.disconnect();
    }
  });

  test("describe the cluster, then delete a topic", async () => {
    const client = admin();
    await client.connect();
    try {
      const cluster = await client.describeCluster();
      expect(cluster).toMatchObject({ clusterId: "test-cluster", controller: 1 });
      expect(cluster.brokers).toEqual([{ nodeId: 1, host: "127.0.0.1", port }]);
      await client.deleteTopics({ topics: ["events"] });
      expect(await client.listTopics()).toEqual(["orders"]);
    } finally {
      await client.disconnect();
    }
  });
});

describe("@platformatic/kafka", () => {
  /** The per-resource answers; @platformatic/kafka rejects with them when any carries an error. */
  async function answers(request: Promise<{ responses: unknown[] }>) {
    const response = await request.catch((error: { response: { responses: unknown[] } }) => error.response);
    return response.responses as { errorCode: number; errorMessage: string | null; resourceName: string }[];
  }

  test("altering configs refuses what Kafka's preprocess refuses, and applies none of it", async () => {
    addTopic(context, "shapes", { configs: { "retention.ms": "1000" } });
    const topic = { resourceType: 2 as const, resourceName: "shapes" };
    const set = (value: string) => ({ name: "retention.ms", configOperation: 0 as const, value });
    const connection = new Connection("config-shapes");
    await connection.connect("127.0.0.1", port);
    try {
      const incremental = (resources: unknown[]) =>
        answers(incrementalAlterConfigsV1.api.async(connection, resources as never, false));
      expect(await incremental([{ ...topic, configs: [set("7"), set("8")] }])).toMatchObject([
        { errorCode: 42, errorMessage: "Error due to duplicate config keys" },
      ]);
      expect(
        await incremental([
          { ...topic, configs: [set("7")] },
          { ...topic, configs: [set("8")] },
        ]),
      ).toMatchObject([
        { errorCode: 42, errorMessage: "Each resource must appear at most once." },
        { errorCode: 42, errorMessage: "Each resource must appear at most once." },
      ]);
      expect(await incremental([{ ...topic, configs: [{ ...set("7"), value: null }] }])).toMatchObject([
        { errorCode: 42, errorMessage: "Null value not supported for : retention.ms" },
      ]);
      const legacy = (configs: { name: string; value: string | null }[]) =>
        answers(alterConfigsV2.api.async(connection, [{ ...topic, configs }], false));
      expect(
        await legacy([
          { name: "retention.ms", value: "7" },
          { name: "retention.ms", value: "8" },
        ]),
      ).toMatchObject([{ errorCode: 42, errorMessage: "Error due to duplicate config keys" }]);
      expect(await legacy([{ name: "retention.ms", value: null }])).toMatchObject([
        { errorCode: 42, errorMessage: "Null value not supported for : retention.ms" },
      ]);
      expect(Object.fromEntries(context.metadata.state.topicByName("shapes")!.configs)).toEqual({
        "retention.ms": "1000",
      });
      // A well-formed change still goes through.
      expect(await incremental([{ ...topic, configs: [set("7")] }])).toMatchObject([{ errorCode: 0 }]);
      expect(context.metadata.state.topicByName("shapes")!.configs.get("retention.ms")).toBe("7");
    } finally {
      await connection.close();
    }
  });
});

describe("@platformatic/kafka admin", () => {
  test("describeConfigs with an empty key list lists every config, of a topic and of the broker", async () => {
    addTopic(context, "listed");
    const client = new Admin({ clientId: "all-keys", bootstrapBrokers: [`127.0.0.1:${port}`] });
    try {
      const described = await client.describeConfigs({
        resources: [
          { resourceType: 2, resourceName: "listed", configurationKeys: [] },
          { resourceType: 4, resourceName: "1", configurationKeys: [] },
        ],
      });
      const [topic, broker] = described.map((resource) => resource.configs.map((entry) => entry.name));
      expect(topic).toEqual(topicConfigDefinitions.map((definition) => definition.name));
      expect(broker).toContain("num.partitions");
      expect(broker).toContain("log.retention.ms");
      expect(broker).toContain("compression.type");
    } finally {
      await client.close();
    }
  });

  test("describeConfigs answers Kafka's documentation when asked, and only then", async () => {
    addTopic(context, "documented");
    const client = new Admin({ clientId: "docs", bootstrapBrokers: [`127.0.0.1:${port}`] });
    try {
      const describe = (includeDocumentation: boolean) =>
        client.describeConfigs({
          resources: [
            { resourceType: 2, resourceName: "documented", configurationKeys: ["retention.ms"] },
            { resourceType: 4, resourceName: "1", configurationKeys: ["num.partitions"] },
          ],
          includeDocumentation,
        });
      const [topic, broker] = await describe(true);
      expect(topic!.configs[0]!.documentation).toStartWith(
        "This configuration controls the maximum time we will retain a log",
      );
      expect(broker!.configs[0]!.documentation).toBe("The default number of log partitions per topic");
      const [undocumented] = await describe(false);
      expect(undocumented!.configs[0]!.documentation).toBeNull();
    } finally {
      await client.close();
    }
  });
});

describe("librdkafka", () => {
  test("kcat -L lists topics and auto-creates a requested one", async () => {
    const output = await runClient(["kcat", "-b", broker.address, "-L", "-J", "-t", "auto-made", "-m", "5"]);
    const listing = JSON.parse(output);
    expect(listing.brokers).toEqual([{ id: 1, name: `127.0.0.1:${port}` }]);
    expect(listing.topics.map((topic: { topic: string }) => topic.topic)).toEqual(["auto-made"]);
    expect(context.metadata.state.topicByName("auto-made")!.partitions).toHaveLength(1);
  });
});
