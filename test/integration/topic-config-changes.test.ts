// Proves a topic's configs reach its partition logs while the broker runs and after a restart: kafkajs lowers
// segment.bytes on a topic holding one segment, and the next produce rolls segments at the new size at once;
// after a restart, where the logs open before the metadata holding their configs is replayed, they still do.
// kcat then reads every message back. DescribeConfigs of the real broker reports a broker default not given at
// start-up (message.max.bytes) as Kafka's DEFAULT_CONFIG.

import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { runClient } from "../support/in-process-broker.ts";
import { kcatReadToEnd } from "../support/kcat.ts";
import { brokerForFile } from "../support/server-process.ts";

const topic = "rolled";
/** segment.bytes' smallest allowed value (Kafka 4's too). */
const segmentBytes = 1024 * 1024;
const broker = brokerForFile("topic-configs");
const address = () => broker.address();

const segmentCount = () =>
  readdirSync(join(broker.dataDir, `${topic}-0`)).filter((name) => name.endsWith(".log")).length;

/** kcat produces `count` values of ~1 KiB with acks=all. */
async function produce(count: number, from: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `${from + i}-${"v".repeat(1000)}`).join("\n");
  await runClient(["kcat", "-b", address(), "-P", "-t", topic, "-X", "acks=all"], `${lines}\n`);
}

async function alterSegmentBytes(value: number): Promise<void> {
  const admin = new Kafka({ clientId: "configs", brokers: [address()], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: topic, configEntries: [{ name: "segment.bytes", value: String(value) }] }],
    });
  } finally {
    await admin.disconnect();
  }
}

test("segment.bytes lowered by AlterConfigs rolls segments at once, and again after a restart", async () => {
  await runClient(["kcat", "-b", address(), "-L", "-t", topic]);
  await produce(1500, 0);
  expect(segmentCount()).toBe(1);

  await alterSegmentBytes(segmentBytes);
  await produce(3000, 1500);
  // ~3 MB more at 1 MiB a segment, without a restart.
  const afterAlter = segmentCount();
  expect(afterAlter).toBeGreaterThanOrEqual(3);

  await broker.restart();
  await produce(3000, 4500);
  expect(segmentCount()).toBeGreaterThanOrEqual(afterAlter + 2);

  const values = await kcatReadToEnd(address(), topic);
  expect(values).toHaveLength(7500);
  expect(values.map((value) => Number(value.split("-")[0]))).toEqual(
    Array.from({ length: 7500 }, (_, i) => i),
  );
}, 60_000);

test("a broker synonym left at Kafka's default is described as DEFAULT_CONFIG, not as set at start-up", async () => {
  const admin = new Kafka({ clientId: "configs", brokers: [address()], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: topic, configNames: ["max.message.bytes"] }],
      includeSynonyms: true,
    });
    expect(described.resources[0]!.configEntries[0]).toMatchObject({
      configName: "max.message.bytes",
      configValue: "1048588",
      configSource: 5,
      isDefault: true,
      configSynonyms: [{ configName: "message.max.bytes", configValue: "1048588", configSource: 5 }],
    });
  } finally {
    await admin.disconnect();
  }
});
