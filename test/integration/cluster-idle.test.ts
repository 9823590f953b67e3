// Proves an idle three-node cluster with many partitions exchanges O(peers) Raft messages, not O(partitions):
// once its groups quiesce, each node sends about one node heartbeat and one answer per peer per heartbeat
// interval (every 100 ms), and the partitions keep their leaders and in-sync replicas while quiet.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTopic, waitForViews } from "../support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ size: 3 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

/** The sum of every sample of `metric` in node's /metrics. */
async function metricSum(nodeId: number, metric: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${cluster.node(nodeId).httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) sum += Number(line.split(" ").at(-1));
  }
  return sum;
}

test("idle: each node sends O(peers) Raft messages per second, whatever the number of partitions", async () => {
  const partitions = 150;
  const port = cluster.node(1).kafkaPort;
  // Every broker must be registered (and not fenced) before RF 3 can be placed: retry while one is missing.
  for (let attempt = 0; ; attempt++) {
    const created = await createTopic(port, "idle", partitions, 3).then(
      () => true,
      (error: Error) => {
        if (attempt >= 60 || !error.message.includes("error 38")) throw error;
        return false;
      },
    );
    if (created) break;
    await Bun.sleep(500);
  }
  await waitForViews(
    port,
    "idle",
    (views) => views.every((view) => view.leaderId > 0),
    "every partition led",
    60_000,
  );
  const nodeIds = [1, 2, 3];
  const allQuiet = async () => {
    for (const nodeId of nodeIds) {
      const groups = await metricSum(nodeId, "raft_groups");
      if (groups < partitions || (await metricSum(nodeId, "raft_quiescent_groups")) < groups) return false;
    }
    return true;
  };
  const sample = () =>
    Promise.all(
      nodeIds.map(async (nodeId) => ({
        messages: await metricSum(nodeId, "raft_peer_messages_sent_total"),
        calls: await metricSum(nodeId, "raft_peer_calls_total"),
      })),
    );
  // Three windows at most: on this shared machine a node starved for an election timeout wakes its groups
  // (as it would start elections without quiescence), and the window it falls in is not an idle one.
  const windows: Array<Array<{ messagesPerSecond: number; callsPerSecond: number }>> = [];
  for (let window = 0; window < 3; window++) {
    const deadline = performance.now() + 20_000;
    while (!(await allQuiet()) && performance.now() < deadline) await Bun.sleep(200);
    const before = await sample();
    const startedAt = performance.now();
    await Bun.sleep(3_000);
    const after = await sample();
    const seconds = (performance.now() - startedAt) / 1000;
    const rates = nodeIds.map((_, index) => ({
      messagesPerSecond: Math.round((after[index]!.messages - before[index]!.messages) / seconds),
      callsPerSecond: Math.round((after[index]!.calls - before[index]!.calls) / seconds),
    }));
    windows.push(rates);
    // Two peers × (10 heartbeats + 10 answers) a second is 40 messages in about as many calls; per-group
    // heartbeats would be over 1,000 (each node leads ~50 partitions with 2 followers, every 100 ms, and
    // answers ~100 followers' heartbeats).
    if (rates.every((rate) => rate.messagesPerSecond < 120 && rate.callsPerSecond < 120)) break;
  }
  console.log(`idle cluster, ${partitions} partitions × RF 3, per node: ${JSON.stringify(windows)}`);
  const last = windows.at(-1)!;
  for (const rate of last) {
    expect(rate.messagesPerSecond).toBeLessThan(120);
    expect(rate.callsPerSecond).toBeLessThan(120);
  }
  // Still led, with every replica in sync while quiet.
  const views = await waitForViews(
    port,
    "idle",
    (all) => all.every((view) => view.leaderId > 0),
    "still led",
  );
  expect(views).toHaveLength(partitions);
  const leader = views[0]!.leaderId;
  const text = await (await fetch(`http://127.0.0.1:${cluster.node(leader).httpPort}/metrics`)).text();
  expect(text).toContain('partition_in_sync_replicas{topic="idle",partition="0"} 3');
}, 300_000);
