// Proves the group settings operators set on the real process: started with Kafka's group.* settings as flags,
// the broker lets a fresh classic group complete its join without the 3 s initial delay, answers a JoinGroup
// outside the session timeout bounds with INVALID_SESSION_TIMEOUT and one beyond group.max.size with
// GROUP_MAX_SIZE_REACHED, and kafkajs's describeConfigs on the BROKER resource shows every group setting. A
// GROUP resource (KIP-848) is altered with @platformatic/kafka's IncrementalAlterConfigs within the broker's
// bounds, described with it, used by the coordinator for that group's members, and kept across a restart.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { Connection, describeConfigsV4, incrementalAlterConfigsV1 } from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createConsumerGroupHeartbeatRequest } from "../../src/protocol/messages/consumer-group-heartbeat.ts";
import { createJoinGroupRequest } from "../../src/protocol/messages/join-group.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerPorts, type ServerProcess, startServer } from "../support/server-process.ts";

const settings = {
  "group.initial.rebalance.delay.ms": "0",
  "group.min.session.timeout.ms": "7000",
  "group.max.session.timeout.ms": "20000",
  "group.max.size": "1",
  "group.consumer.min.heartbeat.interval.ms": "1000",
  "group.consumer.heartbeat.interval.ms": "2000",
};
const args = Object.entries(settings).flatMap(([name, value]) => [`--${name.replaceAll(".", "-")}`, value]);
const dataDir = mkdtempSync(joinPath(tmpdir(), "chronik-group-settings-"));
let ports: { kafka: number; http: number };
let server: ServerProcess;
let client: RawKafkaClient;

beforeAll(async () => {
  ports = await brokerPorts();
  server = await startServer({ args, dataDir, ports });
  client = await RawKafkaClient.connect(server.kafkaPort);
});

afterAll(async () => {
  client.close();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function kafkajsAdmin() {
  return new Kafka({
    clientId: "group-settings",
    brokers: [`127.0.0.1:${ports.kafka}`],
    logLevel: logLevel.NOTHING,
  }).admin();
}

/** JoinGroup v5: a new member is handed its id first (MEMBER_ID_REQUIRED), then joins with it. */
async function join(groupId: string, sessionTimeoutMs: number) {
  const request = (memberId: string) =>
    client.request(ApiKey.JoinGroup, 5, {
      ...createJoinGroupRequest(),
      groupId,
      memberId,
      sessionTimeoutMs,
      rebalanceTimeoutMs: 10_000,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(0), unknownTaggedFields: [] }],
    });
  const first = await request("");
  if (first.errorCode !== ErrorCode.MemberIdRequired) return first;
  return request(first.memberId);
}

test("with group.initial.rebalance.delay.ms 0 a fresh classic group completes its join at once", async () => {
  const startedMs = performance.now();
  const joined = await join("no-delay", 10_000);
  const elapsedMs = performance.now() - startedMs;
  expect(joined.errorCode).toBe(0);
  expect(joined.generationId).toBe(1);
  expect(joined.leader).toBe(joined.memberId);
  // Kafka's default delay (3 s) would hold this JoinGroup that long.
  expect(elapsedMs).toBeLessThan(1500);
});

test("a session timeout outside the broker's bounds is INVALID_SESSION_TIMEOUT", async () => {
  expect((await join("bounded", 6999)).errorCode).toBe(ErrorCode.InvalidSessionTimeout);
  expect((await join("bounded", 20_001)).errorCode).toBe(ErrorCode.InvalidSessionTimeout);
  expect((await join("bounded", 7000)).errorCode).toBe(0);
});

test("a member beyond group.max.size is GROUP_MAX_SIZE_REACHED", async () => {
  expect((await join("full", 10_000)).errorCode).toBe(0);
  expect((await join("full", 10_000)).errorCode).toBe(ErrorCode.GroupMaxSizeReached);
});

test("kafkajs's describeConfigs on the broker shows every group setting, set or defaulted", async () => {
  const admin = kafkajsAdmin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      resources: [{ type: 4, name: "1" }],
      includeSynonyms: false,
    });
    const entries = new Map(
      described.resources[0]!.configEntries.map((entry) => [
        entry.configName,
        [entry.configValue, entry.configSource],
      ]),
    );
    const staticSource = 4;
    const defaultSource = 5;
    for (const [name, value] of Object.entries(settings))
      expect(entries.get(name)).toEqual([value, staticSource]);
    expect(entries.get("group.consumer.session.timeout.ms")).toEqual(["45000", defaultSource]);
    expect(entries.get("group.consumer.min.session.timeout.ms")).toEqual(["45000", defaultSource]);
    expect(entries.get("group.consumer.max.session.timeout.ms")).toEqual(["60000", defaultSource]);
    expect(entries.get("group.consumer.max.heartbeat.interval.ms")).toEqual(["15000", defaultSource]);
    expect(entries.get("group.consumer.max.size")).toEqual(["2147483647", defaultSource]);
  } finally {
    await admin.disconnect();
  }
});

/** IncrementalAlterConfigs v1 SET on GROUP resources, through @platformatic/kafka's own codec. */
async function setGroupConfigs(groupId: string, configs: Record<string, string>) {
  const connection = new Connection("group-configs");
  await connection.connect("127.0.0.1", ports.kafka);
  try {
    const resource = {
      resourceType: 32,
      resourceName: groupId,
      configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })),
    };
    const response = await incrementalAlterConfigsV1.api
      .async(connection, [resource] as never, false)
      .catch((error: { response: { responses: unknown[] } }) => error.response);
    return response.responses[0] as { errorCode: number; errorMessage: string | null };
  } finally {
    await connection.close();
  }
}

/** DescribeConfigs v4 of a GROUP resource through @platformatic/kafka's codec: name → [value, source, synonyms]. */
async function describeGroup(groupId: string) {
  const connection = new Connection("group-configs");
  await connection.connect("127.0.0.1", ports.kafka);
  try {
    const resource = { resourceType: 32, resourceName: groupId, configurationKeys: null };
    const response = await describeConfigsV4.api.async(connection, [resource] as never, true, true);
    const result = response.results[0]!;
    expect(result.errorCode).toBe(0);
    return new Map<string, unknown[]>(
      result.configs.map((entry) => [
        entry.name,
        [
          entry.value,
          entry.configSource,
          entry.synonyms.map((synonym) => [synonym.name, synonym.value, synonym.source]),
        ],
      ]),
    );
  } finally {
    await connection.close();
  }
}

const groupSource = 8;
const staticSource = 4;
const defaultSource = 5;

test("a GROUP resource is altered within the broker's bounds, described, and used for that group's members", async () => {
  const refused = await setGroupConfigs("kip848-configured", { "consumer.heartbeat.interval.ms": "900" });
  expect(refused).toMatchObject({
    errorCode: ErrorCode.InvalidConfig,
    errorMessage:
      "consumer.heartbeat.interval.ms must be greater than or equal to group.consumer.min.heartbeat.interval.ms",
  });
  const set = await setGroupConfigs("kip848-configured", {
    "consumer.heartbeat.interval.ms": "1500",
    "consumer.session.timeout.ms": "50000",
  });
  expect(set).toMatchObject({ errorCode: 0 });

  const described = await describeGroup("kip848-configured");
  expect(described.get("consumer.heartbeat.interval.ms")).toEqual([
    "1500",
    groupSource,
    [
      ["consumer.heartbeat.interval.ms", "1500", groupSource],
      ["group.consumer.heartbeat.interval.ms", "2000", staticSource],
    ],
  ]);
  expect(described.get("consumer.session.timeout.ms")).toEqual([
    "50000",
    groupSource,
    [
      ["consumer.session.timeout.ms", "50000", groupSource],
      ["group.consumer.session.timeout.ms", "45000", defaultSource],
    ],
  ]);
  // A group without configs of its own: the broker's settings.
  expect((await describeGroup("plain")).get("consumer.heartbeat.interval.ms")![0]).toBe("2000");

  const heartbeat = (groupId: string) =>
    client.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      ...createConsumerGroupHeartbeatRequest(),
      groupId,
      memberId: crypto.randomUUID(),
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["absent"],
      topicPartitions: [],
    });
  const configured = await heartbeat("kip848-configured");
  expect([configured.errorCode, configured.heartbeatIntervalMs]).toEqual([0, 1500]);
  const plain = await heartbeat("plain");
  expect([plain.errorCode, plain.heartbeatIntervalMs]).toEqual([0, 2000]);
});

test("group configs live in the metadata log: a restarted broker still has them", async () => {
  client.close();
  await server.stop();
  server = await startServer({ args, dataDir, ports });
  client = await RawKafkaClient.connect(server.kafkaPort);
  const described = await describeGroup("kip848-configured");
  expect(described.get("consumer.heartbeat.interval.ms")!.slice(0, 2)).toEqual(["1500", groupSource]);
  expect(described.get("consumer.session.timeout.ms")!.slice(0, 2)).toEqual(["50000", groupSource]);
});
