// Proves ElectLeaders (API 43) on a real three-node cluster with automatic rebalancing off: a PREFERRED election
// sent to any node — one that leads nothing included — hands each displaced partition back to its preferred
// replica and answers NONE once that replica leads; while the preferred replica is down it answers
// PREFERRED_LEADER_NOT_AVAILABLE; partitions already on their preferred replica answer ELECTION_NOT_NEEDED (and
// are left out when no partition is named); UNCLEAN answers ELECTION_NOT_NEEDED for every partition with a live
// leader; and unknown topics answer UNKNOWN_TOPIC_OR_PARTITION — at versions 0, 1 and 2. No client library this
// project uses speaks ElectLeaders (kafkajs, @platformatic/kafka 2.12, librdkafka 2.0.2, kafka-python 2.0.2), so
// the raw client sends Kafka's exact requests.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import {
  allPreferred,
  createTopic,
  type ElectionRow,
  electLeaders,
  leaderBalance,
  partitionViews,
  waitForViews,
} from "../support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";

let cluster: TestCluster;
const topic = "elect";

beforeAll(async () => {
  cluster = await startCluster({ size: 3, args: ["--auto-leader-rebalance-enable", "false"] });
  await createTopic(cluster.node(1).kafkaPort, topic, 6, 3);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const port = (nodeId: number) => cluster.node(nodeId).kafkaPort;

test("a PREFERRED election of every partition puts each on its preferred replica, then has nothing to do", async () => {
  await waitForViews(port(1), topic, (views) => views.every((view) => view.leaderId > 0), "leaders");
  // Only partitions not on their preferred replica are answered (a new partition's preferred replica campaigns
  // first, so there are few). One whose preferred replica opened the partition late may not be in sync yet, and
  // answers PREFERRED_LEADER_NOT_AVAILABLE: asked again, it moves.
  const deadline = performance.now() + 15_000;
  for (;;) {
    const answer = await electLeaders(port(3), { version: 2, electionType: 0, topicPartitions: null });
    expect(answer.errorCode).toBe(ErrorCode.None);
    const codes = new Set(answer.rows.map(([, , errorCode]) => errorCode));
    codes.delete(ErrorCode.None);
    if (codes.size === 0) break;
    expect([...codes]).toEqual([ErrorCode.PreferredLeaderNotAvailable]);
    expect(performance.now()).toBeLessThan(deadline);
    await Bun.sleep(200);
  }
  for (const name of [topic, "__consumer_offsets"]) {
    expect(allPreferred(await partitionViews(port(3), name))).toBe(true);
  }
  const again = await electLeaders(port(3), { version: 2, electionType: 0, topicPartitions: null });
  expect(again.rows).toEqual([]);
  const named = await electLeaders(port(2), {
    version: 1,
    electionType: 0,
    topicPartitions: [
      { topic, partitions: [0, 9] },
      { topic: "missing", partitions: [0] },
    ],
  });
  expect(named.rows).toEqual([
    [topic, 0, ErrorCode.ElectionNotNeeded],
    [topic, 9, ErrorCode.UnknownTopicOrPartition],
    ["missing", 0, ErrorCode.UnknownTopicOrPartition],
  ]);
}, 60_000);

test("after node 2 returns, ElectLeaders sent to it hands back the partitions others took; not while it is down", async () => {
  const views = await waitForViews(port(1), topic, allPreferred, "every partition on its preferred replica");
  const preferring2 = views.filter((view) => view.replicas[0] === 2).map((view) => view.partition);
  expect(preferring2.length).toBe(2);
  const asked = [{ topic, partitions: preferring2 }];

  await cluster.kill(2);
  const away = await waitForViews(
    port(1),
    topic,
    (current) => current.every((view) => view.leaderId === 1 || view.leaderId === 3),
    "node 2's partitions led by nodes 1 and 3",
  );
  // Whoever leads them now (node 1 answers for its own and asks node 3 for the others): node 2 is gone.
  const down = await electLeaders(port(1), { version: 2, electionType: 0, topicPartitions: asked });
  expect(down.rows).toEqual(preferring2.map((partition): ElectionRow => [topic, partition, 80]));
  expect(down.messages.every((message) => message?.includes("preferred replica 2"))).toBe(true);
  const unclean = await electLeaders(port(3), {
    version: 2,
    electionType: 1,
    topicPartitions: [{ topic, partitions: [0, 1, 2, 3, 4, 5] }],
  });
  expect(unclean.rows.map(([, , errorCode]) => errorCode)).toEqual(
    Array(6).fill(ErrorCode.ElectionNotNeeded),
  );

  await cluster.start(2);
  // With automatic rebalancing off, nothing moves back on its own.
  await Bun.sleep(2_000);
  expect(leaderBalance(await partitionViews(port(1), topic))).toBe(leaderBalance(away));
  // Node 2 leads none of them, so it asks their leaders. It may still be catching up at first: until then the
  // answer is PREFERRED_LEADER_NOT_AVAILABLE; the first other answer must be NONE, given once node 2 leads.
  const answers = new Map<number, number>();
  const deadline = performance.now() + 15_000;
  while (answers.size < preferring2.length && performance.now() < deadline) {
    const pending = preferring2.filter((partition) => !answers.has(partition));
    const result = await electLeaders(port(2), {
      version: 0,
      electionType: 0,
      topicPartitions: [{ topic, partitions: pending }],
    });
    for (const [, partition, errorCode] of result.rows) {
      if (errorCode !== ErrorCode.PreferredLeaderNotAvailable) answers.set(partition, errorCode);
    }
    if (answers.size < preferring2.length) await Bun.sleep(200);
  }
  expect([...answers.values()]).toEqual(preferring2.map(() => ErrorCode.None));
  const after = await partitionViews(port(2), topic);
  console.log(
    `ElectLeaders: leaders with node 2 down ${leaderBalance(away)}, after its return and the election ` +
      `${leaderBalance(after)}`,
  );
  expect(allPreferred(after)).toBe(true);
}, 90_000);
