// Multi-Raft at scale on a three-node raft-cluster (issue 20, items 1–3): idle CPU and memory of the nodes with
// no topics, then the time to create N partitions (RF 3) until every one is led, idle CPU, Raft messages, calls
// and bytes per second between the idle nodes once the groups have quiesced, memory per idle replica (RSS
// growth ÷ replicas hosted), and the failover of the node leading the most partitions: kill -9, then per
// partition it led, the time until a survivor's Metadata names a live leader (p50, p90, p99, worst).
//
//   node_modules/.bin/bun bench/multiraft.bench.ts [--partitions 1000] [--idle-seconds 30]

import { readFileSync } from "node:fs";
import { createTopic, type PartitionView, partitionViews } from "../test/support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../test/support/cluster-processes.ts";

type Options = { partitions: number; idleSeconds: number };

function parseOptions(argv: string[]): Options {
  const options: Options = { partitions: 1000, idleSeconds: 30 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (flag === "--partitions") options.partitions = value;
    else if (flag === "--idle-seconds") options.idleSeconds = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

const topic = "many";
const nodeIds = [1, 2, 3];
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these. */
const clockTicksPerSecond = 100;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

async function metricSum(cluster: TestCluster, nodeId: number, metric: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${cluster.node(nodeId).httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) sum += Number(line.split(" ").at(-1));
  }
  return sum;
}

interface IdleFigures {
  cpuPercent: number[];
  messagesPerSecond: number[];
  callsPerSecond: number[];
  bytesPerSecond: number[];
}

async function measureIdle(cluster: TestCluster, seconds: number): Promise<IdleFigures> {
  const sample = async () =>
    Promise.all(
      nodeIds.map(async (nodeId) => ({
        cpu: cpuSeconds(cluster.node(nodeId).pid),
        messages: await metricSum(cluster, nodeId, "raft_peer_messages_sent_total"),
        calls: await metricSum(cluster, nodeId, "raft_peer_calls_total"),
        bytes: await metricSum(cluster, nodeId, "raft_peer_bytes_sent_total"),
      })),
    );
  const before = await sample();
  const startedAt = performance.now();
  await Bun.sleep(seconds * 1000);
  const after = await sample();
  const elapsed = (performance.now() - startedAt) / 1000;
  const rate = (key: "cpu" | "messages" | "calls" | "bytes", scale = 1) =>
    nodeIds.map(
      (_, index) => Math.round(((after[index]![key] - before[index]![key]) / elapsed) * scale * 10) / 10,
    );
  return {
    cpuPercent: rate("cpu", 100),
    messagesPerSecond: rate("messages"),
    callsPerSecond: rate("calls"),
    bytesPerSecond: rate("bytes"),
  };
}

async function createWithRetry(cluster: TestCluster, partitions: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await createTopic(cluster.node(1).kafkaPort, topic, partitions, 3);
      return;
    } catch (error) {
      const message = (error as Error).message;
      // TOPIC_ALREADY_EXISTS: a forwarded CreateTopics whose answer was lost was planned again (the topic is there).
      if (message.includes("error 36")) return;
      // Fewer than three brokers registered yet.
      if (!message.includes("error 38") || attempt > 60) throw error;
      await Bun.sleep(500);
    }
  }
}

async function views(cluster: TestCluster, nodeId: number): Promise<PartitionView[]> {
  return partitionViews(cluster.node(nodeId).kafkaPort, topic).catch((): PartitionView[] => []);
}

async function waitFor(what: string, done: () => Promise<boolean>, timeoutMs = 300_000): Promise<number> {
  const startedAt = performance.now();
  while (!(await done())) {
    if (performance.now() - startedAt > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
  return performance.now() - startedAt;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cluster = await startCluster({ size: 3, startupMs: 60_000 });
  const rows: Array<[string, string]> = [];
  try {
    await Bun.sleep(3_000);
    const empty = await measureIdle(cluster, options.idleSeconds);
    const rssEmpty = nodeIds.map((nodeId) => rssBytes(cluster.node(nodeId).pid));
    rows.push(["idle CPU, no topics (% of a core per node)", empty.cpuPercent.join(" / ")]);
    rows.push(["Raft messages/s sent per node, no topics", empty.messagesPerSecond.join(" / ")]);

    const createdAt = performance.now();
    await createWithRetry(cluster, options.partitions);
    const createMs = performance.now() - createdAt;
    const ledMs = await waitFor("every partition led", async () => {
      const all = await views(cluster, 1);
      return all.length === options.partitions && all.every((view) => view.leaderId > 0);
    });
    rows.push([
      `CreateTopics of ${options.partitions} partitions × RF 3 answered (s)`,
      (createMs / 1000).toFixed(1),
    ]);
    rows.push(["… until every partition is led (s)", ((createMs + ledMs) / 1000).toFixed(1)]);

    const quietFraction = async () => {
      let groups = 0;
      let quiet = 0;
      for (const nodeId of nodeIds) {
        groups += await metricSum(cluster, nodeId, "raft_groups");
        quiet += await metricSum(cluster, nodeId, "raft_quiescent_groups");
      }
      return quiet / groups;
    };
    const quietMs = await waitFor(
      "every group quiesced",
      async () => (await quietFraction()) === 1,
      120_000,
    ).catch(() => Number.NaN);
    rows.push(["… until every group is quiesced (s)", ((createMs + ledMs + quietMs) / 1000).toFixed(1)]);
    rows.push([
      "groups quiesced when the idle window starts (%)",
      ((await quietFraction()) * 100).toFixed(1),
    ]);
    const loaded = await measureIdle(cluster, options.idleSeconds);
    const groupsPerNode = await Promise.all(
      nodeIds.map((nodeId) => metricSum(cluster, nodeId, "raft_groups")),
    );
    const rssLoaded = nodeIds.map((nodeId) => rssBytes(cluster.node(nodeId).pid));
    rows.push([
      `idle CPU, ${options.partitions} partitions (% of a core per node)`,
      loaded.cpuPercent.join(" / "),
    ]);
    rows.push(["Raft messages/s sent per node, idle", loaded.messagesPerSecond.join(" / ")]);
    rows.push(["Raft calls/s per node, idle", loaded.callsPerSecond.join(" / ")]);
    rows.push(["Raft bytes/s sent per node, idle", loaded.bytesPerSecond.join(" / ")]);
    rows.push(["Raft groups per node", groupsPerNode.join(" / ")]);
    rows.push([
      "RSS per node, no topics → idle with partitions (MiB)",
      nodeIds
        .map(
          (_, index) =>
            `${(rssEmpty[index]! / 2 ** 20).toFixed(0)}→${(rssLoaded[index]! / 2 ** 20).toFixed(0)}`,
        )
        .join(" / "),
    ]);
    rows.push([
      "memory per idle replica (KiB, RSS growth ÷ groups added)",
      nodeIds
        .map((_, index) =>
          ((rssLoaded[index]! - rssEmpty[index]!) / 1024 / (groupsPerNode[index]! - 1)).toFixed(0),
        )
        .join(" / "),
    ]);

    const before = await views(cluster, 1);
    const counts = new Map<number, number>();
    for (const view of before) counts.set(view.leaderId, (counts.get(view.leaderId) ?? 0) + 1);
    const victim = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const led = new Set(before.filter((view) => view.leaderId === victim).map((view) => view.partition));
    const survivor = nodeIds.find((nodeId) => nodeId !== victim)!;
    const survivorCpu = nodeIds
      .filter((nodeId) => nodeId !== victim)
      .map((nodeId) => cpuSeconds(cluster.node(nodeId).pid));
    const killedAt = performance.now();
    await cluster.kill(victim);
    const newLeaderMs = new Map<number, number>();
    let worstPollMs = 0;
    while (newLeaderMs.size < led.size && performance.now() - killedAt < 60_000) {
      const pollAt = performance.now();
      for (const view of await views(cluster, survivor)) {
        if (
          led.has(view.partition) &&
          !newLeaderMs.has(view.partition) &&
          view.leaderId > 0 &&
          view.leaderId !== victim
        ) {
          newLeaderMs.set(view.partition, performance.now() - killedAt);
        }
      }
      worstPollMs = Math.max(worstPollMs, performance.now() - pollAt);
      await Bun.sleep(20);
    }
    const failoverSeconds = (performance.now() - killedAt) / 1000;
    const survivorCpuAfter = nodeIds
      .filter((nodeId) => nodeId !== victim)
      .map((nodeId) => cpuSeconds(cluster.node(nodeId).pid));
    const times = [...newLeaderMs.values()].sort((a, b) => a - b);
    rows.push([`kill -9 of node ${victim}, leading`, `${led.size} partitions`]);
    rows.push(["partitions with a new leader within 60 s", `${times.length} of ${led.size}`]);
    rows.push([
      "time to a new leader, p50 / p90 / p99 / worst (ms)",
      [0.5, 0.9, 0.99, 1].map((fraction) => percentile(times, fraction).toFixed(0)).join(" / "),
    ]);
    rows.push(["within 3 s", `${times.filter((ms) => ms <= 3_000).length} of ${led.size}`]);
    rows.push(["slowest Metadata answer of a survivor during failover (ms)", worstPollMs.toFixed(0)]);
    rows.push([
      "survivors' CPU during failover (% of a core)",
      survivorCpuAfter
        .map((cpu, index) => ((100 * (cpu - survivorCpu[index]!)) / failoverSeconds).toFixed(0))
        .join(" / "),
    ]);
  } finally {
    await cluster.close();
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
}

await main();
