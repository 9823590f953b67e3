// Proves a three-node raft-cluster of real processes serves real clients as one Kafka cluster: every node
// answers Metadata alike (three live brokers, one controller, each partition's leader, replicas and ISR),
// topics created through any node are replicated three times, a produce through any bootstrap node is read back
// byte for byte, a raw Produce sent to a follower gets NOT_LEADER_OR_FOLLOWER naming the leader (KIP-951), a
// follower serves committed records only — up to its own high watermark, the leader's — and with
// --fetch-from-followers=false refuses. The admin API answers on every node: a topic created through a follower
// is forwarded to the controller, partition figures come from the answering node's replica, and what needs a
// partition's leader or a group's coordinator elsewhere is refused naming that node.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Kafka, logLevel } from "kafkajs";
import { offsetsPartitionsDefault } from "../../src/cluster/group-service.ts";
import { groupPartition } from "../../src/cluster/groups/index.ts";
import { RecordDataSchema } from "../../src/gen/chronik/admin/v1/admin_pb.ts";
import { createFetchRequestFetchPartition } from "../../src/protocol/messages/fetch.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { adminClient } from "../support/admin-client.ts";
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

async function metadataFrom(nodeId: number, topics: string[] | null) {
  const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort);
  try {
    return await client.request(ApiKey.Metadata, 12, {
      ...apiCodecs(ApiKey.Metadata).request.create(),
      topics:
        topics?.map((name) => ({ name, topicId: "AAAAAAAAAAAAAAAAAAAAAA", unknownTaggedFields: [] })) ?? null,
      allowAutoTopicCreation: false,
    });
  } finally {
    client.close();
  }
}

/** Waits until every partition of `topic` has a leader known to every node, the same on all. */
async function leadersOf(topic: string, timeoutMs = 15_000): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all([1, 2, 3].map((nodeId) => metadataFrom(nodeId, [topic])));
    const leaders = views.map(
      (view) => view.topics[0]?.partitions.map((partition) => partition.leaderId) ?? [],
    );
    const first = leaders[0]!;
    const agreed =
      first.length > 0 &&
      first.every((id) => id >= 1) &&
      leaders.every((view) => view.join() === first.join());
    if (agreed) return first;
    if (performance.now() > deadline)
      throw new Error(`no agreed leaders for ${topic}: ${JSON.stringify(leaders)}`);
    await Bun.sleep(100);
  }
}

function createTopic(nodeId: number, name: string, partitions: number): Promise<string> {
  const script = `
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
futures = admin.create_topics([NewTopic(sys.argv[2], num_partitions=int(sys.argv[3]))], operation_timeout=20)
for topic, future in futures.items():
    future.result()
print("created")
`;
  const address = `127.0.0.1:${cluster.node(nodeId).kafkaPort}`;
  return runClient(["/usr/bin/python3", "-c", script, address, name, String(partitions)]);
}

async function refusalOf(call: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof ConnectError) return error;
    throw error;
  }
  throw new Error("the call was not refused");
}

describe("a three-node cluster", () => {
  test("the admin API answers on any node, forwards metadata changes and names the node that holds the rest", async () => {
    const admin = (nodeId: number) => adminClient(cluster.node(nodeId).httpPort);
    const view = await admin(2).describeCluster({});
    expect(view.nodes.map((node) => node.nodeId)).toEqual([1, 2, 3]);
    expect(view.nodes.filter((node) => node.role === "leader").map((node) => node.nodeId)).toEqual([
      view.controllerId,
    ]);
    expect(view.nodes.every((node) => node.reachable && node.version !== "" && !node.fenced)).toBe(true);

    // Through a node that is not the controller: the change is forwarded and committed there.
    const followerOfMetadata = [1, 2, 3].find((id) => id !== view.controllerId)!;
    await admin(followerOfMetadata).createTopic({
      topic: "admin-everywhere",
      partitions: 1,
      replicationFactor: 3,
    });
    const [leaderId] = await leadersOf("admin-everywhere");
    const followerId = [1, 2, 3].find((id) => id !== leaderId)!;
    const record = { value: create(RecordDataSchema, { data: { case: "text", value: "v" } }) };
    const refused = await refusalOf(() =>
      admin(followerId).produce({ topic: "admin-everywhere", records: [record] }),
    );
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(refused.rawMessage).toContain(
      `its leader is node ${leaderId} (127.0.0.1:${cluster.node(leaderId!).kafkaPort})`,
    );
    expect(
      (await admin(leaderId!).produce({ topic: "admin-everywhere", records: [record] })).records[0]!.offset,
    ).toBe(0n);

    // A follower describes its own replica, and serves what it has committed.
    let described = await admin(followerId).describeTopic({ topic: "admin-everywhere" });
    for (let attempt = 0; attempt < 100 && described.partitions[0]!.highWatermark < 1n; attempt++) {
      await Bun.sleep(50);
      described = await admin(followerId).describeTopic({ topic: "admin-everywhere" });
    }
    expect(described.partitions[0]).toMatchObject({ leaderId, figuresFrom: "follower", highWatermark: 1n });
    expect([...described.partitions[0]!.replicas].sort()).toEqual([1, 2, 3]);
    const consumed = [];
    for await (const item of admin(followerId).consume({ topic: "admin-everywhere", stopAtEnd: true }))
      consumed.push(item);
    expect(consumed).toHaveLength(1);

    // A group lives with the leader of its __consumer_offsets partition; the other nodes say which one that is.
    const group = "admin-group";
    const offsets = (await metadataFrom(1, ["__consumer_offsets"])).topics[0]!;
    const coordinatorId = offsets.partitions.find(
      (partition) => partition.partitionIndex === groupPartition(group, offsetsPartitionsDefault),
    )!.leaderId;
    const elsewhere = [1, 2, 3].find((id) => id !== coordinatorId)!;
    const notHere = await refusalOf(() => admin(elsewhere).describeGroup({ group }));
    expect(notHere.code).toBe(Code.FailedPrecondition);
    expect(notHere.rawMessage).toContain(`group "${group}" is coordinated by node ${coordinatorId}`);
    // The coordinator may still be loading its groups (UNAVAILABLE: retry); then it knows no such group.
    let atCoordinator = await refusalOf(() => admin(coordinatorId).describeGroup({ group }));
    for (let attempt = 0; attempt < 100 && atCoordinator.code === Code.Unavailable; attempt++) {
      await Bun.sleep(50);
      atCoordinator = await refusalOf(() => admin(coordinatorId).describeGroup({ group }));
    }
    expect(atCoordinator.code).toBe(Code.NotFound);
  }, 60_000);

  test("every node answers Metadata alike: three live brokers, one controller, __consumer_offsets on three replicas", async () => {
    // Every node answers alike once it has applied the same metadata: a moment after start-up, under load.
    const agreed = (found: Awaited<ReturnType<typeof metadataFrom>>[]) =>
      found.every(
        (view) =>
          view.brokers.length === 3 &&
          view.controllerId === found[0]!.controllerId &&
          view.topics.some((topic) => topic.name === "__consumer_offsets"),
      );
    let views = await Promise.all([1, 2, 3].map((nodeId) => metadataFrom(nodeId, null)));
    for (let attempt = 0; attempt < 100 && !agreed(views); attempt++) {
      await Bun.sleep(100);
      views = await Promise.all([1, 2, 3].map((nodeId) => metadataFrom(nodeId, null)));
    }
    for (const view of views) {
      expect(view.brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2, 3]);
      expect(view.controllerId).toBe(views[0]!.controllerId);
      expect(view.clusterId).toBe(views[0]!.clusterId);
    }
    expect([1, 2, 3]).toContain(views[0]!.controllerId);
    const offsets = views[0]!.topics.find((topic) => topic.name === "__consumer_offsets")!;
    expect(offsets.partitions.every((partition) => partition.replicaNodes.length === 3)).toBe(true);
  });

  test("a topic created through one node is replicated on all three; what any node takes is read back byte for byte", async () => {
    expect((await createTopic(2, "orders", 3)).trim()).toBe("created");
    const leaders = await leadersOf("orders");
    // The preferred leaders campaign first: leadership is spread over the nodes, not piled on one.
    expect(new Set(leaders).size).toBeGreaterThan(1);
    const view = await metadataFrom(3, ["orders"]);
    for (const partition of view.topics[0]!.partitions) {
      expect([...partition.replicaNodes].sort()).toEqual([1, 2, 3]);
      expect(partition.isrNodes.length).toBeGreaterThanOrEqual(2);
    }
    const lines = Array.from({ length: 300 }, (_, index) => `key-${index % 7}:value-${index}`);
    // Through node 3 alone as bootstrap: librdkafka finds each leader from the metadata.
    await runClient(
      [
        "kcat",
        "-b",
        `127.0.0.1:${cluster.node(3).kafkaPort}`,
        "-P",
        "-t",
        "orders",
        "-K",
        ":",
        "-X",
        "acks=all",
      ],
      `${lines.join("\n")}\n`,
    );
    const consumed = await runClient([
      ...["kcat", "-b", `127.0.0.1:${cluster.node(1).kafkaPort}`, "-C", "-t", "orders"],
      ...["-o", "beginning", "-e", "-q", "-f", "%k:%s\\n"],
    ]);
    expect(consumed.trim().split("\n").sort()).toEqual([...lines].sort());
  }, 60_000);

  test("a Produce sent to a follower gets NOT_LEADER_OR_FOLLOWER naming the leader and its endpoint", async () => {
    await createTopic(1, "redirects", 1);
    const [leaderId] = await leadersOf("redirects");
    const followerId = [1, 2, 3].find((id) => id !== leaderId)!;
    const client = await RawKafkaClient.connect(cluster.node(followerId).kafkaPort);
    try {
      const response = await client.request(ApiKey.Produce, 11, {
        ...apiCodecs(ApiKey.Produce).request.create(),
        acks: -1,
        timeoutMs: 5_000,
        topicData: [
          {
            name: "redirects",
            partitionData: [
              {
                index: 0,
                records: buildBatch([
                  { key: null, value: new TextEncoder().encode("x"), timestamp: Date.now() },
                ]),
                unknownTaggedFields: [],
              },
            ],
            unknownTaggedFields: [],
          },
        ],
      });
      const partition = response.responses[0]!.partitionResponses[0]!;
      expect(partition.errorCode).toBe(6);
      expect(partition.currentLeader.leaderId).toBe(leaderId!);
      expect(response.nodeEndpoints.map((endpoint) => endpoint.nodeId)).toEqual([leaderId!]);
      expect(response.nodeEndpoints[0]!.port).toBe(cluster.node(leaderId!).kafkaPort);
    } finally {
      client.close();
    }
  });

  test("a follower serves the committed records, byte for byte, with the leader's high watermark", async () => {
    await createTopic(3, "follower-reads", 1);
    const [leaderId] = await leadersOf("follower-reads");
    const values = Array.from({ length: 50 }, (_, index) => `fr-${index}`);
    await runClient(
      ["kcat", "-b", cluster.bootstrap(), "-P", "-t", "follower-reads", "-X", "acks=all"],
      `${values.join("\n")}\n`,
    );
    const fetchFrom = async (nodeId: number) => {
      const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort);
      try {
        const response = await client.request(ApiKey.Fetch, 12, {
          ...apiCodecs(ApiKey.Fetch).request.create(),
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          topics: [
            {
              topic: "follower-reads",
              topicId: "AAAAAAAAAAAAAAAAAAAAAA",
              partitions: [
                {
                  ...createFetchRequestFetchPartition(),
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 20,
                  unknownTaggedFields: [],
                },
              ],
              unknownTaggedFields: [],
            },
          ],
        });
        return response.responses[0]!.partitions[0]!;
      } finally {
        client.close();
      }
    };
    const leader = await fetchFrom(leaderId!);
    expect(leader.errorCode).toBe(0);
    // A follower learns the commit offset with the next heartbeat: give it a moment.
    const followerId = [1, 2, 3].find((id) => id !== leaderId)!;
    const deadline = performance.now() + 5_000;
    let follower = await fetchFrom(followerId);
    while (follower.highWatermark < leader.highWatermark && performance.now() < deadline) {
      await Bun.sleep(50);
      follower = await fetchFrom(followerId);
    }
    expect(follower.errorCode).toBe(0);
    expect(follower.highWatermark).toBe(leader.highWatermark);
    expect(Buffer.from(follower.records!).equals(Buffer.from(leader.records!))).toBe(true);
  }, 30_000);

  test("/metrics shows the peers' RPCs and, where a partition is led, its ISR and follower lag; the admin status its role and peers", async () => {
    const [leaderId] = await leadersOf("orders");
    const metrics = await (
      await fetch(`http://127.0.0.1:${cluster.node(leaderId!).httpPort}/metrics`)
    ).text();
    expect(metrics).toMatch(/raft_peer_calls_total\{peer="\d",outcome="ok"\} [1-9]/);
    expect(metrics).toContain('partition_in_sync_replicas{topic="orders",partition="0"} 3');
    expect(metrics).toMatch(/partition_follower_lag_offsets\{topic="orders",partition="0",follower="\d"\} 0/);
    const status = await fetch(
      `http://127.0.0.1:${cluster.node(1).httpPort}/chronik.admin.v1.AdminService/GetNodeStatus`,
      { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
    );
    const body = (await status.json()) as {
      role: string;
      controllerId: number;
      peers: { reachable: boolean }[];
    };
    expect(["leader", "follower"]).toContain(body.role);
    expect([1, 2, 3]).toContain(body.controllerId);
    expect(body.peers.map((peer) => peer.reachable)).toEqual([true, true]);
  });

  test("kafkajs produces through one node, a kafka-python consumer group reads it all through another", async () => {
    const kafka = new Kafka({
      clientId: "cluster-test",
      brokers: [`127.0.0.1:${cluster.node(2).kafkaPort}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "polyglot", numPartitions: 3 }], waitForLeaders: true });
      await leadersOf("polyglot");
      const messages = Array.from({ length: 90 }, (_, index) => ({
        key: `k${index % 9}`,
        value: `v${index}`,
      }));
      await producer.send({ topic: "polyglot", acks: -1, messages });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    const script = `
import sys
from kafka import KafkaConsumer
consumer = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1], group_id="polyglot-readers",
                         auto_offset_reset="earliest", consumer_timeout_ms=4000)
values = sorted(message.value.decode() for message in consumer)
consumer.close()
print(len(values), values[0], values[-1])
`;
    const address = `127.0.0.1:${cluster.node(3).kafkaPort}`;
    expect((await runClient(["/usr/bin/python3", "-c", script, address, "polyglot"])).trim()).toBe(
      "90 v0 v9",
    );
  }, 60_000);
});
