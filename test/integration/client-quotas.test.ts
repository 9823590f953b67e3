// Proves client quotas on a real broker: @platformatic/kafka sets producer_byte_rate and consumer_byte_rate on
// client ids (AlterClientQuotas) and reads them back (DescribeClientQuotas), also after a restart; then a kafkajs
// producer and consumer under those client ids slow to their quota (measured, with generous bounds that allow
// Kafka's window: a new client may burst the quota times quota.window.num - 1 seconds) while an unthrottled
// producer and consumer running beside them keep their speed.

import { expect, test } from "bun:test";
import { Admin } from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("client-quotas");
const producerRateBytes = 20_000;
const consumerRateBytes = 50_000;
/** The burst Kafka's rate allows a new client before throttling: the quota over 10 s (11 samples of 1 s, less one). */
const burstSeconds = 10;
const runMs = 6_000;
const messageBytes = 1_000;

const kafka = (clientId: string) =>
  new Kafka({ clientId, brokers: [broker.address()], logLevel: logLevel.NOTHING, retry: { retries: 2 } });

async function setQuotas(): Promise<void> {
  const admin = new Admin({ clientId: "quota-admin", bootstrapBrokers: [broker.address()] });
  try {
    await admin.alterClientQuotas({
      entries: [
        {
          entities: [{ entityType: "client-id", entityName: "slow-producer" }],
          ops: [{ key: "producer_byte_rate", value: producerRateBytes, remove: false }],
        },
        {
          entities: [{ entityType: "client-id", entityName: "slow-consumer" }],
          ops: [{ key: "consumer_byte_rate", value: consumerRateBytes, remove: false }],
        },
      ],
    });
  } finally {
    await admin.close();
  }
}

async function describedQuotas(): Promise<Array<[string | null, string, number]>> {
  const admin = new Admin({ clientId: "quota-admin", bootstrapBrokers: [broker.address()] });
  try {
    const entries = await admin.describeClientQuotas({
      components: [{ entityType: "client-id", matchType: 2 }],
    });
    return entries
      .flatMap((entry) =>
        entry.values.map((v): [string | null, string, number] => [
          entry.entity[0]!.entityName ?? null,
          v.key,
          v.value,
        ]),
      )
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  } finally {
    await admin.close();
  }
}

/** Produces batches of ten 1 KB messages for `runMs`; resolves to the bytes acknowledged. */
async function produceFor(clientId: string, topic: string): Promise<number> {
  const producer = kafka(clientId).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const endMs = performance.now() + runMs;
  let bytes = 0;
  try {
    while (performance.now() < endMs) {
      const messages = Array.from({ length: 10 }, () => ({ value: "p".repeat(messageBytes) }));
      await producer.send({ topic, acks: 1, messages });
      bytes += 10 * messageBytes;
    }
  } finally {
    await producer.disconnect();
  }
  return bytes;
}

/**
 * Consumes `topic` from the start for `runMs` with kafkajs's default fetch sizes (10 MiB): the broker caps a
 * throttled consumer's response at its quota window, as Kafka does. Resolves to the value bytes read.
 */
async function consumeFor(clientId: string, topic: string): Promise<number> {
  const consumer = kafka(clientId).consumer({ groupId: `${clientId}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let bytes = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      bytes += message.value?.length ?? 0;
    },
  });
  await Bun.sleep(runMs);
  await consumer.disconnect();
  return bytes;
}

test("quotas are kept in the metadata log and survive a restart", async () => {
  await setQuotas();
  const expected: Array<[string, string, number]> = [
    ["slow-consumer", "consumer_byte_rate", consumerRateBytes],
    ["slow-producer", "producer_byte_rate", producerRateBytes],
  ];
  expect(await describedQuotas()).toEqual(expected);
  await broker.restart();
  expect(await describedQuotas()).toEqual(expected);
});

test("a producer over its client-id quota slows to it; an unthrottled one beside it does not", async () => {
  const admin = kafka("setup").admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "slow-in" }, { topic: "fast-in" }] });
  await admin.disconnect();
  const [slow, fast] = await Promise.all([
    produceFor("slow-producer", "slow-in"),
    produceFor("fast-producer", "fast-in"),
  ]);
  const allowed = producerRateBytes * (runMs / 1000 + burstSeconds);
  console.log(
    `producers over ${runMs} ms: throttled ${slow} B, unthrottled ${fast} B, quota allows ~${allowed} B`,
  );
  expect(slow).toBeGreaterThan(0);
  expect(slow).toBeLessThan(allowed * 1.5);
  expect(fast).toBeGreaterThan(slow * 4);
}, 60_000);

test("a consumer over its client-id quota slows to it; an unthrottled one beside it does not", async () => {
  const admin = kafka("setup").admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "to-read" }] });
  await admin.disconnect();
  const producer = kafka("filler").producer();
  await producer.connect();
  for (let batch = 0; batch < 40; batch++) {
    const messages = Array.from({ length: 100 }, () => ({ value: "c".repeat(messageBytes) }));
    await producer.send({ topic: "to-read", acks: 1, messages });
  }
  await producer.disconnect();
  const [slow, fast] = await Promise.all([
    consumeFor("slow-consumer", "to-read"),
    consumeFor("fast-consumer", "to-read"),
  ]);
  const allowed = consumerRateBytes * (runMs / 1000 + burstSeconds);
  console.log(
    `consumers over ${runMs} ms: throttled ${slow} B, unthrottled ${fast} B, quota allows ~${allowed} B`,
  );
  expect(slow).toBeGreaterThan(0);
  expect(slow).toBeLessThan(allowed * 1.5);
  expect(fast).toBe(4_000_000);
}, 60_000);
