// Proves a three-node cluster loses nothing acknowledged when a node dies: kill -9 of a partition's leader while
// an idempotent librdkafka producer streams into it — every acknowledged message is read back exactly once, in
// order — and a consumer group's committed offsets survive the coordinator moving; the silent node is fenced
// (left out of Metadata, its replicas offline) until it restarts, catches up to the leader's log and is unfenced; and kill -9 of all three nodes followed by a restart loses nothing either.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
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

async function partitionView(nodeId: number, topic: string) {
  const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort);
  try {
    const response = await client.request(ApiKey.Metadata, 12, {
      ...apiCodecs(ApiKey.Metadata).request.create(),
      topics: [{ name: topic, topicId: "AAAAAAAAAAAAAAAAAAAAAA", unknownTaggedFields: [] }],
      allowAutoTopicCreation: false,
    });
    return response.topics[0]!.partitions[0];
  } finally {
    client.close();
  }
}

async function brokersFrom(nodeId: number): Promise<number[]> {
  const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort);
  try {
    const response = await client.request(ApiKey.Metadata, 12, {
      ...apiCodecs(ApiKey.Metadata).request.create(),
      topics: [],
    });
    return response.brokers.map((broker) => broker.nodeId);
  } finally {
    client.close();
  }
}

async function leaderOf(topic: string, askNodes: number[], timeoutMs = 20_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const nodeId of askNodes) {
      const partition = await partitionView(nodeId, topic).catch(() => undefined);
      if (partition !== undefined && partition.leaderId >= 1 && cluster.isRunning(partition.leaderId)) {
        return partition.leaderId;
      }
    }
    if (performance.now() > deadline) throw new Error(`${topic} has no live leader`);
    await Bun.sleep(100);
  }
}

const producerScript = `
import sys, time
from confluent_kafka import Producer
broker, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
failed = []
acked = [0]
def report(error, message):
    if error: failed.append(str(error))
    else: acked[0] += 1
producer = Producer({"bootstrap.servers": broker, "enable.idempotence": True, "acks": "all", "linger.ms": 2,
                     "message.timeout.ms": 60000, "reconnect.backoff.max.ms": 200, "topic.metadata.refresh.interval.ms": 1000})
for i in range(count):
    producer.produce(topic, value=str(i).encode(), callback=report)
    producer.poll(0)
    if i % 200 == 0:
        time.sleep(0.02)
remaining = producer.flush(60)
print(remaining, len(failed), acked[0], failed[:3])
`;

function createTopic(topic: string, partitions: number): Promise<string> {
  const script = `
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
for topic, future in admin.create_topics([NewTopic(sys.argv[2], num_partitions=int(sys.argv[3]))], operation_timeout=20).items():
    future.result()
`;
  return runClient(["/usr/bin/python3", "-c", script, cluster.bootstrap(), topic, String(partitions)]);
}

async function consumeAll(topic: string): Promise<number[]> {
  const consumed = await runClient([
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
  return consumed
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map(Number);
}

test("kill -9 of a partition leader mid-stream: every acknowledged message exactly once, in order", async () => {
  const topic = "failover-stream";
  await createTopic(topic, 1);
  const leader = await leaderOf(topic, [1, 2, 3]);
  const count = 10_000;
  const producing = runClient([
    "/usr/bin/python3",
    "-c",
    producerScript,
    cluster.bootstrap(),
    topic,
    String(count),
  ]);
  let finished = false;
  void producing.finally(() => {
    finished = true;
  });
  await Bun.sleep(500);
  expect(finished).toBe(false); // the kill must land mid-stream
  await cluster.kill(leader);
  const [remaining, failed, acked] = (await producing).trim().split(" ");
  expect([remaining, failed, acked]).toEqual(["0", "0", String(count)]);
  const survivors = [1, 2, 3].filter((id) => id !== leader);
  const newLeader = await leaderOf(topic, survivors);
  expect(newLeader).not.toBe(leader);
  expect(await consumeAll(topic)).toEqual(Array.from({ length: count }, (_, index) => index));

  // Silent past broker.session.timeout.ms (9 s), the killed broker is fenced: Metadata leaves it out of the
  // brokers and lists its replica as offline.
  const fencedBy = performance.now() + 15_000;
  let view = await partitionView(survivors[0]!, topic);
  let brokers = await brokersFrom(survivors[0]!);
  while (
    (brokers.includes(leader) || !view?.offlineReplicas.includes(leader)) &&
    performance.now() < fencedBy
  ) {
    await Bun.sleep(250);
    view = await partitionView(survivors[0]!, topic);
    brokers = await brokersFrom(survivors[0]!);
  }
  expect(brokers.sort()).toEqual(survivors);
  expect(view!.offlineReplicas).toEqual([leader]);

  // The killed node comes back and catches up: its log ends where the leader's does.
  await cluster.start(leader);
  const deadline = performance.now() + 20_000;
  const logEnd = async (nodeId: number) => {
    const metrics = await (await fetch(`http://127.0.0.1:${cluster.node(nodeId).httpPort}/metrics`)).text();
    const line = metrics
      .split("\n")
      .find((row) => row.startsWith(`partition_log_end_offset{topic="${topic}"`));
    return Number(line?.split(" ").at(-1) ?? -1);
  };
  while ((await logEnd(leader)) !== (await logEnd(newLeader)) && performance.now() < deadline)
    await Bun.sleep(200);
  expect(await logEnd(leader)).toBe(await logEnd(newLeader));
  // Back, it is unfenced: every node lists three brokers again.
  expect((await brokersFrom(newLeader)).sort()).toEqual([1, 2, 3]);
}, 120_000);

test("kill -9 of every node and a restart: nothing acknowledged is lost, committed offsets intact", async () => {
  const topic = "power-loss";
  await createTopic(topic, 2);
  // CreateTopics answers once the controller committed it; every node knows it a moment later.
  for (const nodeId of [1, 2, 3]) await leaderOf(topic, [nodeId]);
  const values = Array.from({ length: 400 }, (_, index) => String(index));
  await runClient(
    ["kcat", "-b", cluster.bootstrap(), "-P", "-t", topic, "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
  // A consumer group reads and commits everything.
  const groupScript = `
import sys
from confluent_kafka import Consumer
consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "survivors", "auto.offset.reset": "earliest",
                     "enable.auto.commit": False})
consumer.subscribe([sys.argv[2]])
seen = 0
while seen < int(sys.argv[3]):
    message = consumer.poll(float(sys.argv[4]))
    if message is None: break
    if message.error(): continue
    seen += 1
if seen > 0: consumer.commit(asynchronous=False)
consumer.close()
print(seen)
`;
  const readGroup = (pollSeconds: string) =>
    runClient(["/usr/bin/python3", "-c", groupScript, cluster.bootstrap(), topic, "400", pollSeconds]);
  expect((await readGroup("10")).trim()).toBe("400");
  await Promise.all([1, 2, 3].map((nodeId) => (cluster.isRunning(nodeId) ? cluster.kill(nodeId) : 0)));
  await Promise.all([1, 2, 3].map((nodeId) => cluster.start(nodeId)));
  expect((await consumeAll(topic)).sort((a, b) => a - b)).toEqual(values.map(Number));
  // The group's committed offsets survived: reading on from them finds nothing new.
  expect((await readGroup("4")).trim()).toBe("0");
}, 120_000);
