// Proves that a partition leader frozen with SIGSTOP past its lease, while its peers elect another, never
// answers a false success when continued: Produce requests (acks=1 and acks=all) a connected client sent it
// while it was stopped get NOT_LEADER_OR_FOLLOWER — even when it hears nothing from its peers on resuming (its
// links cut), so only its own clock can tell it its lease ran out — none of their records is in the log, and
// once it follows again it serves exactly the new leader's records, with no tail of its own.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createFetchRequestFetchPartition } from "../../src/protocol/messages/fetch.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { createTopic, partitionViews } from "../support/cluster-leaders.ts";
import type { TestCluster } from "../support/cluster-processes.ts";
import { type FaultCluster, startFaultCluster } from "../support/fault-run.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";

const notLeaderOrFollower = 6;

let faults: FaultCluster;
let cluster: TestCluster;

beforeAll(async () => {
  faults = await startFaultCluster();
  cluster = faults.cluster;
}, 60_000);

afterAll(async () => {
  await faults?.close();
});

function produceRequest(topic: string, value: string, acks: number) {
  return {
    ...apiCodecs(ApiKey.Produce).request.create(),
    acks,
    timeoutMs: 20_000,
    topicData: [
      {
        name: topic,
        partitionData: [
          {
            index: 0,
            records: buildBatch([
              { key: null, value: new TextEncoder().encode(value), timestamp: Date.now() },
            ]),
            unknownTaggedFields: [],
          },
        ],
        unknownTaggedFields: [],
      },
    ],
  };
}

async function fetchAll(nodeId: number, topic: string) {
  const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort);
  try {
    const response = await client.request(ApiKey.Fetch, 12, {
      ...apiCodecs(ApiKey.Fetch).request.create(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      topics: [
        {
          topic,
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
    const partition = response.responses[0]!.partitions[0]!;
    return {
      errorCode: partition.errorCode,
      highWatermark: partition.highWatermark,
      records: Buffer.from(partition.records ?? new Uint8Array()),
    };
  } finally {
    client.close();
  }
}

async function leaderSeenBy(nodeIds: number[], topic: string, other: (leaderId: number) => boolean) {
  const deadline = performance.now() + 20_000;
  for (;;) {
    for (const nodeId of nodeIds) {
      const views = await partitionViews(cluster.node(nodeId).kafkaPort, topic).catch(() => []);
      const leaderId = views[0]?.leaderId ?? -1;
      if (leaderId >= 1 && other(leaderId)) return leaderId;
    }
    if (performance.now() > deadline) throw new Error(`no leader of ${topic} seen by ${nodeIds}`);
    await Bun.sleep(50);
  }
}

test("a leader stopped past its lease answers what it was sent meanwhile with NOT_LEADER_OR_FOLLOWER, never a success", async () => {
  const topic = "paused";
  await createTopic(cluster.node(1).kafkaPort, topic, 1, 3);
  const oldLeader = await leaderSeenBy([1, 2, 3], topic, () => true);
  const survivors = [1, 2, 3].filter((id) => id !== oldLeader);
  const client = await RawKafkaClient.connect(cluster.node(oldLeader).kafkaPort);
  try {
    const before = await client.request(ApiKey.Produce, 9, produceRequest(topic, "before", -1));
    expect(before.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);

    faults.pause(oldLeader);
    let newLeader: number;
    try {
      newLeader = await leaderSeenBy(survivors, topic, (id) => id !== oldLeader);
      // Its peers' messages, of the new term, would depose it as soon as it reads them: cut them off, so that
      // only its clock can.
      for (const peer of survivors) {
        faults.cut(peer, oldLeader);
        faults.cut(oldLeader, peer);
      }
      // Sent while it is stopped: they wait in its socket and are the first thing it reads when continued.
      const ackOne = client.request(ApiKey.Produce, 9, produceRequest(topic, "stale-acks-1", 1));
      const ackAll = client.request(ApiKey.Produce, 9, produceRequest(topic, "stale-acks-all", -1));
      await Bun.sleep(200);
      faults.resume(oldLeader);
      const answers = await Promise.all([ackOne, ackAll]);
      expect(answers.map((answer) => answer.responses[0]!.partitionResponses[0]!.errorCode)).toEqual([
        notLeaderOrFollower,
        notLeaderOrFollower,
      ]);
    } finally {
      faults.resume(oldLeader);
      faults.healAll();
    }

    // Healed, the preferred replica (the old leader, likely) may take leadership back: ask who leads now.
    let leader = newLeader;
    for (let attempt = 1; ; attempt++) {
      leader = await leaderSeenBy([1, 2, 3], topic, () => true);
      const leaderClient = await RawKafkaClient.connect(cluster.node(leader).kafkaPort);
      try {
        const after = await leaderClient.request(ApiKey.Produce, 9, produceRequest(topic, "after", -1));
        const errorCode = after.responses[0]!.partitionResponses[0]!.errorCode;
        if (errorCode === 0) break;
        if (attempt === 10) expect(errorCode).toBe(0);
      } finally {
        leaderClient.close();
      }
      await Bun.sleep(200);
    }
    const leaderLog = await fetchAll(leader, topic);
    expect(leaderLog.errorCode).toBe(0);
    expect(leaderLog.records.includes("before")).toBe(true);
    expect(leaderLog.records.includes("after")).toBe(true);
    expect(leaderLog.records.includes("stale")).toBe(false);
    // Every replica, the old leader among them, serves the leader's records byte for byte, never an old tail.
    for (const nodeId of [1, 2, 3].filter((id) => id !== leader)) {
      const deadline = performance.now() + 10_000;
      let followerLog = await fetchAll(nodeId, topic);
      while (followerLog.highWatermark < leaderLog.highWatermark && performance.now() < deadline) {
        await Bun.sleep(100);
        followerLog = await fetchAll(nodeId, topic);
      }
      expect(followerLog.errorCode).toBe(0);
      expect(followerLog.highWatermark).toBe(leaderLog.highWatermark);
      expect(followerLog.records.equals(leaderLog.records)).toBe(true);
    }
  } finally {
    client.close();
  }
}, 90_000);
