// Proves a three-node cluster stays safe when nodes lose state: records deleted through the leader (DeleteRecords)
// stay deleted after kill -9 of that leader — the new leader's log start is the deleted offset, a consumer from
// the beginning sees nothing below it, every replica answers the same log start, and the killed node catches up
// to it; and a node restarted over a wiped data directory votes in no group until it has caught up (with another
// voter down, the survivor cannot win an election with it), while the cluster loses nothing acknowledged and,
// once it has caught up, it votes again.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { fetchPartitionZero } from "../support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";
import { runClient } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ size: 3 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

async function withClient<T>(nodeId: number, use: (client: RawKafkaClient) => Promise<T>): Promise<T> {
  const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** The partition's leader as a running node sees it, once it names a live one. */
async function leaderOf(topic: string, timeoutMs = 20_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const nodeId of [1, 2, 3].filter((id) => cluster.isRunning(id))) {
      const partition = await withClient(nodeId, async (client) => {
        const response = await client.request(ApiKey.Metadata, 12, {
          ...apiCodecs(ApiKey.Metadata).request.create(),
          topics: [{ name: topic, topicId: "AAAAAAAAAAAAAAAAAAAAAA", unknownTaggedFields: [] }],
          allowAutoTopicCreation: false,
        });
        return response.topics[0]?.partitions[0];
      }).catch(() => undefined);
      if (partition !== undefined && partition.leaderId >= 1 && cluster.isRunning(partition.leaderId)) {
        return partition.leaderId;
      }
    }
    if (performance.now() > deadline) throw new Error(`${topic} has no live leader`);
    await Bun.sleep(100);
  }
}

/** A Fetch on one node (followers serve committed records): its answer carries the node's log start. */
function fetchAt(nodeId: number, topic: string, offset: bigint) {
  return fetchPartitionZero(cluster.node(nodeId).kafkaPort, topic, offset);
}

/** Polls until `check` holds (bounded), returning its last value. */
async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let value = await read();
  while (!check(value) && performance.now() < deadline) {
    await Bun.sleep(100);
    value = await read();
  }
  return value;
}

async function createTopic(topic: string, partitions = 1): Promise<void> {
  const script = `
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
for topic, future in admin.create_topics([NewTopic(sys.argv[2], num_partitions=int(sys.argv[3]))], operation_timeout=20).items():
    future.result()
`;
  await runClient(["/usr/bin/python3", "-c", script, cluster.bootstrap(), topic, String(partitions)]);
}

async function produce(topic: string, values: readonly string[]): Promise<void> {
  await runClient(
    ["kcat", "-b", cluster.bootstrap(), "-P", "-t", topic, "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
}

async function consumeFromBeginning(topic: string): Promise<string[]> {
  const out = await runClient([
    "kcat",
    "-b",
    cluster.bootstrap(),
    "-C",
    "-t",
    topic,
    "-o",
    "beginning",
    "-e",
    "-q",
  ]);
  return out.split("\n").filter((line) => line !== "");
}

test("DeleteRecords on the leader, then kill -9 of it: the new leader and every replica keep the deleted start", async () => {
  const topic = "deleted-prefix";
  await createTopic(topic);
  const values = Array.from({ length: 100 }, (_, index) => `m${index}`);
  await produce(topic, values);
  const leader = await leaderOf(topic);
  const deleted = await withClient(leader, (client) =>
    client.request(ApiKey.DeleteRecords, 2, {
      topics: [
        {
          name: topic,
          partitions: [{ partitionIndex: 0, offset: 40n, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
      timeoutMs: 10_000,
      unknownTaggedFields: [],
    }),
  );
  expect(deleted.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 40n });
  // At once, before the followers may even have heard the commit of the record.
  await cluster.kill(leader);

  const newLeader = await leaderOf(topic);
  expect(newLeader).not.toBe(leader);
  const earliest = await eventually(
    () =>
      withClient(newLeader, (client) =>
        client.request(ApiKey.ListOffsets, 7, {
          ...apiCodecs(ApiKey.ListOffsets).request.create(),
          replicaId: -1,
          isolationLevel: 0,
          topics: [
            {
              name: topic,
              partitions: [
                {
                  partitionIndex: 0,
                  currentLeaderEpoch: -1,
                  timestamp: -2n,
                  maxNumOffsets: 1,
                  unknownTaggedFields: [],
                },
              ],
              unknownTaggedFields: [],
            },
          ],
        }),
      ),
    (response) => response.topics[0]!.partitions[0]!.offset === 40n,
  );
  expect(earliest.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 40n });
  expect(await consumeFromBeginning(topic)).toEqual(values.slice(40));
  for (const nodeId of [1, 2, 3].filter((id) => id !== leader)) await expectLogStart(nodeId, topic, 40n);

  // The killed leader comes back as a follower and ends at the same start.
  await cluster.start(leader);
  await expectLogStart(leader, topic, 40n);
}, 90_000);

/** The node serves from `logStart` on, says so, and answers OFFSET_OUT_OF_RANGE below it. */
async function expectLogStart(nodeId: number, topic: string, logStart: bigint): Promise<void> {
  const answer = await eventually(
    () => fetchAt(nodeId, topic, logStart),
    // A restarted follower serves nothing until it has learned the commit again.
    (partition) =>
      partition.errorCode === 0 && partition.logStartOffset === logStart && partition.records!.length > 0,
  );
  expect(answer).toMatchObject({ errorCode: 0, logStartOffset: logStart });
  // The batch holding the start comes whole, as Kafka serves it; the consumer drops what lies below.
  const header = readBatchHeader(answer.records!);
  expect(header.baseOffset + BigInt(header.lastOffsetDelta)).toBeGreaterThanOrEqual(logStart);
  expect(await fetchAt(nodeId, topic, 0n)).toMatchObject({ errorCode: ErrorCode.OffsetOutOfRange });
}

interface NodeStatus {
  role: string;
  controllerId: number;
}

async function nodeStatus(nodeId: number): Promise<NodeStatus> {
  const response = await fetch(
    `http://127.0.0.1:${cluster.node(nodeId).httpPort}/chronik.admin.v1.AdminService/GetNodeStatus`,
    { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
  );
  return (await response.json()) as NodeStatus;
}

test("a follower restarted over a wiped data directory does not vote until caught up; nothing acknowledged is lost", async () => {
  const topic = "wiped-follower";
  await createTopic(topic, 3);
  const before = Array.from({ length: 300 }, (_, index) => `a${index}`);
  await produce(topic, before);
  const controller = (await nodeStatus(1)).controllerId;
  expect([1, 2, 3]).toContain(controller);
  const [wiped, other] = [1, 2, 3].filter((id) => id !== controller) as [number, number];

  // The wiped node's disk is lost; then another voter goes down too, leaving the controller alone.
  await cluster.kill(wiped);
  const dataDir = cluster.specs.find((spec) => spec.nodeId === wiped)!.dataDir;
  for (const name of readdirSync(dataDir)) rmSync(join(dataDir, name), { recursive: true, force: true });
  await cluster.kill(other);
  await eventually(
    () => nodeStatus(controller),
    (status) => status.role !== "leader",
  );

  // The wiped node comes back. Remembering nothing, it would now elect a leader with the old controller within
  // a second or two; abstaining, it grants no vote: no metadata leader, and it cannot get ready.
  const wipedStarting = cluster.start(wiped);
  const watchUntil = performance.now() + 5_000;
  while (performance.now() < watchUntil) {
    expect((await nodeStatus(controller)).role).not.toBe("leader");
    await Bun.sleep(200);
  }
  expect((await fetch(`http://127.0.0.1:${cluster.specs[wiped - 1]!.httpPort}/ready`)).status).toBe(503);

  // The other voter returns: the cluster elects without the wiped node, which catches up and gets ready.
  await cluster.start(other);
  const wipedNode = await wipedStarting;
  expect(wipedNode.logs()).toContain("rejoining every group without voting until it has caught up");
  const after = Array.from({ length: 300 }, (_, index) => `b${index}`);
  await produce(topic, after);
  await eventually(
    async () => wipedNode.logs(),
    (logs) => logs.includes("rejoined: this node votes again in every group it hosts"),
    30_000,
  );

  // Caught up, it votes again: with the old controller killed, it and the other node carry on.
  await cluster.kill(controller);
  const last = Array.from({ length: 100 }, (_, index) => `c${index}`);
  await produce(topic, last);
  const consumed = await consumeFromBeginning(topic);
  expect(consumed.length).toBe(before.length + after.length + last.length);
  expect(new Set(consumed)).toEqual(new Set([...before, ...after, ...last]));
  await cluster.start(controller);
}, 120_000);
