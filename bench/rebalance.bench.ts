// Rebalance time on a real chronik-server: with two kafkajs consumers in a group over a six-partition topic, a
// third joins; measured is the time from its connect() until every member has received its new assignment
// (a GROUP_JOIN after the join) and consumed a message after it. Prints a table.
//   bun bench/rebalance.bench.ts [--rounds 5]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { startServer } from "../test/support/server-process.ts";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] ?? 5) || 5;
const dataDir = mkdtempSync(join(tmpdir(), "chronik-rebalance-"));
const server = await startServer({ dataDir });
const kafka = new Kafka({
  clientId: "rebalance-bench",
  brokers: [`127.0.0.1:${server.kafkaPort}`],
  logLevel: logLevel.NOTHING,
});

interface Member {
  consumer: Consumer;
  /** performance.now() of the member's last GROUP_JOIN (its assignment of a new generation). */
  lastJoinMs: number;
  /** performance.now() of the last message received. */
  lastMessageMs: number;
}

async function startMember(groupId: string, topic: string, maxWaitTimeInMs: number): Promise<Member> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 6000,
    heartbeatInterval: 100,
    maxWaitTimeInMs,
  });
  const member: Member = { consumer, lastJoinMs: 0, lastMessageMs: 0 };
  consumer.on(consumer.events.GROUP_JOIN, () => {
    member.lastJoinMs = performance.now();
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({
    eachMessage: async () => {
      member.lastMessageMs = performance.now();
    },
  });
  return member;
}

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await Bun.sleep(5);
  }
}

const producer = kafka.producer();
await producer.connect();
const admin = kafka.admin();
await admin.connect();

/** One round: two members settle, a third joins; returns ms until all three consume under the new generation. */
async function measureRound(name: string, maxWaitTimeInMs: number): Promise<number> {
  const topic = `rebalance-${name}`;
  const groupId = `rebalance-group-${name}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const first = await startMember(groupId, topic, maxWaitTimeInMs);
  const second = await startMember(groupId, topic, maxWaitTimeInMs);
  await until(() => first.lastJoinMs > 0 && second.lastJoinMs > 0);
  await Bun.sleep(1000);
  const joinedAtMs = performance.now();
  const third = await startMember(groupId, topic, maxWaitTimeInMs);
  const members = [first, second, third];
  // Keep producing to every partition until each member has consumed under its new assignment.
  let done = false;
  const feeding = (async () => {
    while (!done) {
      await producer.send({
        topic,
        messages: Array.from({ length: 6 }, (_, partition) => ({ partition, value: "x" })),
      });
      await Bun.sleep(5);
    }
  })();
  await until(() =>
    members.every((member) => member.lastJoinMs > joinedAtMs && member.lastMessageMs > member.lastJoinMs),
  );
  const settledMs = Math.max(...members.map((member) => member.lastMessageMs)) - joinedAtMs;
  done = true;
  await feeding;
  for (const member of members) await member.consumer.disconnect();
  return settledMs;
}

/** kafkajs heartbeats between fetches: its fetch wait (5 s by default) bounds how soon members learn of a join. */
const fetchWaits = [5000, 100];
const results = new Map<number, number[]>(fetchWaits.map((wait) => [wait, []]));
try {
  for (const maxWaitTimeInMs of fetchWaits) {
    for (let round = 0; round < rounds; round++) {
      results.get(maxWaitTimeInMs)!.push(await measureRound(`${maxWaitTimeInMs}-${round}`, maxWaitTimeInMs));
    }
  }
} finally {
  await producer.disconnect();
  await admin.disconnect();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  "Rebalance: a third kafkajs member joins a group of two over 6 partitions (heartbeat interval 100 ms)",
);
console.log(
  "| kafkajs maxWaitTimeInMs | rounds | join → every member consuming again, median ms | min | max |",
);
console.log("|---:|---:|---:|---:|---:|");
for (const [wait, values] of results) {
  console.log(
    `| ${wait} | ${values.length} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)} | ${Math.max(...values).toFixed(0)} |`,
  );
}
