// Proves a three-node cluster hands leadership back to the preferred replicas by itself (Kafka's
// auto.leader.rebalance.enable): kill -9 of a node moves the partitions it led to the others, and once it
// restarts it leads every partition it is the preferred replica of again within a few imbalance checks (one a
// second here, --leader-imbalance-check-interval-seconds 1) — user topics and __consumer_offsets alike.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { allPreferred, createTopic, leaderBalance, waitForViews } from "../support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ size: 3, args: ["--leader-imbalance-check-interval-seconds", "1"] });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

test("kill -9 moves a node's partitions away; once it is back it leads its preferred partitions again", async () => {
  const topic = "balanced";
  const port = cluster.node(1).kafkaPort;
  await createTopic(port, topic, 6, 3);
  const before = await waitForViews(
    port,
    topic,
    allPreferred,
    "every partition led by its preferred replica",
  );
  expect(leaderBalance(before)).toBe("1:2 2:2 3:2");
  const offsetsBefore = await waitForViews(
    port,
    "__consumer_offsets",
    allPreferred,
    "__consumer_offsets balanced",
  );

  await cluster.kill(2);
  const away = await waitForViews(
    port,
    topic,
    (views) => views.every((view) => view.leaderId === 1 || view.leaderId === 3),
    "node 2's partitions led by nodes 1 and 3",
  );
  expect(away.filter((view) => view.replicas[0] === 2).every((view) => view.leaderId !== 2)).toBe(true);

  const restartedAt = performance.now();
  await cluster.start(2);
  const after = await waitForViews(
    port,
    topic,
    allPreferred,
    "node 2 leading its preferred partitions again",
  );
  const rebalanceMs = Math.round(performance.now() - restartedAt);
  const offsetsAfter = await waitForViews(
    port,
    "__consumer_offsets",
    allPreferred,
    "__consumer_offsets again",
  );
  console.log(
    `leader balance of ${topic}: before ${leaderBalance(before)}, node 2 down ${leaderBalance(away)}, ` +
      `after ${leaderBalance(after)} (${rebalanceMs} ms from restart, ready included); ` +
      `__consumer_offsets: before ${leaderBalance(offsetsBefore)}, after ${leaderBalance(offsetsAfter)}`,
  );
  expect(leaderBalance(after)).toBe("1:2 2:2 3:2");
  expect(leaderBalance(offsetsAfter)).toBe(leaderBalance(offsetsBefore));
}, 90_000);
