// Proves the group settings operators set on the real process: started with Kafka's group.* settings as flags,
// the broker lets a fresh classic group complete its join without the 3 s initial delay, answers a JoinGroup
// outside the session timeout bounds with INVALID_SESSION_TIMEOUT and one beyond group.max.size with
// GROUP_MAX_SIZE_REACHED, and kafkajs's describeConfigs on the BROKER resource shows every group setting.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createJoinGroupRequest } from "../../src/protocol/messages/join-group.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";

const settings = {
  "group.initial.rebalance.delay.ms": "0",
  "group.min.session.timeout.ms": "7000",
  "group.max.session.timeout.ms": "20000",
  "group.max.size": "1",
  "group.consumer.min.heartbeat.interval.ms": "1000",
  "group.consumer.heartbeat.interval.ms": "2000",
};
let server: ServerProcess;
let client: RawKafkaClient;

beforeAll(async () => {
  const args = Object.entries(settings).flatMap(([name, value]) => [`--${name.replaceAll(".", "-")}`, value]);
  server = await startServer({ args });
  client = await RawKafkaClient.connect(server.kafkaPort);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

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
  const admin = new Kafka({
    clientId: "group-settings",
    brokers: [`127.0.0.1:${server.kafkaPort}`],
    logLevel: logLevel.NOTHING,
  }).admin();
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
