// Proves one consumer group of mixed clients on the real process reads every message exactly once while a member
// joins and another leaves: two kafkajs consumers and one confluent-kafka (librdkafka) consumer over six
// partitions, each committing before it counts a message, through two rebalances.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Consumer, Kafka, logLevel, PartitionAssigners } from "kafkajs";
import { runClient } from "../support/in-process-broker.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";
import { waitUntil } from "../support/wait-until.ts";

const workDir = mkdtempSync(join(tmpdir(), "chronik-mixed-"));
const stopFile = join(workDir, "stop");
let server: ServerProcess;
const address = () => `127.0.0.1:${server.kafkaPort}`;
const topic = "mixed";
const perPhase = 400;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** kafkajs's round-robin assigner under librdkafka's name, so both kinds of member share a protocol. */
const roundRobin: typeof PartitionAssigners.roundRobin = (config) => ({
  ...PartitionAssigners.roundRobin(config),
  name: "roundrobin",
});

/** A confluent-kafka member: commits each message synchronously, then prints it; leaves when stopFile exists. */
const confluentMember = `
import os, sys
from confluent_kafka import Consumer
broker, topic, stop_file = sys.argv[1], sys.argv[2], sys.argv[3]
consumer = Consumer({"bootstrap.servers": broker, "group.id": "mixed-group", "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "session.timeout.ms": 6000,
                     "partition.assignment.strategy": "roundrobin"})
consumer.subscribe([topic])
while not os.path.exists(stop_file):
    message = consumer.poll(0.2)
    if message is None or message.error():
        continue
    consumer.commit(message=message, asynchronous=False)
    print(message.value().decode(), flush=True)
consumer.close()
`;

async function produce(from: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, offset) => `k${from + offset}:${from + offset}`).join("\n");
  await runClient(["kcat", "-b", address(), "-P", "-t", topic, "-K:", "-X", "acks=all"], `${lines}\n`);
}

async function startKafkajsMember(kafka: Kafka, seen: string[]): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId: "mixed-group",
    sessionTimeout: 6000,
    rebalanceTimeout: 6000,
    heartbeatInterval: 300,
    partitionAssigners: [roundRobin],
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      // Commit first: a message is counted only once its offset is committed, so a rebalance cannot repeat it.
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      seen.push(message.value!.toString());
    },
  });
  return consumer;
}

/** Clients settle within seconds; a phase that has not in this long never will. */
const phaseMsMax = 30_000;
const waitFor = (condition: () => boolean, what: string) =>
  waitUntil(condition, what, { timeoutMs: phaseMsMax, pollMs: 100 });

test("two kafkajs members and one librdkafka member read every message once through a join and a leave", async () => {
  const kafka = new Kafka({ clientId: "mixed", brokers: [address()], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  await admin.disconnect();

  const seenByA: string[] = [];
  const seenByC: string[] = [];
  let seenByB: string[] = [];
  const confluent = Bun.spawn(["/usr/bin/python3", "-c", confluentMember, address(), topic, stopFile], {
    stdout: "pipe",
    stderr: "pipe",
  });
  void (async () => {
    let buffered = "";
    for await (const chunk of confluent.stdout) {
      buffered += new TextDecoder().decode(chunk);
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      seenByB = [...seenByB, ...lines];
    }
  })();
  const consumerA = await startKafkajsMember(kafka, seenByA);
  const total = () => seenByA.length + seenByB.length + seenByC.length;

  await produce(0, perPhase);
  await waitFor(() => total() >= perPhase, "the first phase");
  const consumerC = await startKafkajsMember(kafka, seenByC);
  await produce(perPhase, perPhase);
  await waitFor(() => total() >= 2 * perPhase && seenByC.length > 0, "the joined member to take its share");
  await consumerA.disconnect();
  await produce(2 * perPhase, perPhase);
  await waitFor(() => total() >= 3 * perPhase, "the third phase");
  await Bun.sleep(500);

  writeFileSync(stopFile, "");
  await confluent.exited;
  await consumerC.disconnect();

  const everything = [...seenByA, ...seenByB, ...seenByC].map(Number).sort((a, b) => a - b);
  expect(everything).toEqual(Array.from({ length: 3 * perPhase }, (_, index) => index));
  expect(seenByB.length).toBeGreaterThan(0);
}, 90_000);
