// A three-node raft-cluster on this machine against the single-node broker, under the same librdkafka load
// generator (bench/load/produce_consume.py): acks=all produce throughput for 1 KiB and 100 B values (every
// topic RF 3 on the cluster, RF 1 standalone — the single node is the ceiling the cluster is compared with),
// produce latency at a steady rate, and failover: kill -9 of a partition's leader, then the time until a
// surviving node accepts an acks=all produce, over many kills.
//
//   node_modules/.bin/bun bench/cluster.bench.ts [--seconds 5] [--rate 5000] [--kills 20] [--only throughput,latency,failover]
//
// All three nodes and the generator share this machine's cores and disk: a replicated byte is written and
// fsynced three times here, where a real cluster spreads those writes over three machines.

import { ApiKey, apiCodecs } from "../src/protocol/messages/registry.ts";
import { buildBatch } from "../src/protocol/records/batch-builder.ts";
import { startCluster, type TestCluster } from "../test/support/cluster-processes.ts";
import { RawKafkaClient } from "../test/support/raw-kafka-client.ts";
import { type ServerProcess, startServer } from "../test/support/server-process.ts";
import { cpuSecondsOf, runLoadGenerator } from "./load/load-generator.ts";

type Options = { seconds: number; rate: number; kills: number; only: Set<string> };

function parseOptions(argv: string[]): Options {
  const options: Options = {
    seconds: 5,
    rate: 5_000,
    kills: 20,
    only: new Set(["throughput", "latency", "failover"]),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ""];
    if (flag === "--seconds") options.seconds = Number(value);
    else if (flag === "--rate") options.rate = Number(value);
    else if (flag === "--kills") options.kills = Number(value);
    else if (flag === "--only") options.only = new Set(value.split(","));
    else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

const env = { ...process.env, MIMALLOC_PURGE_DELAY: "1000" };
const partitions = 3;
const megabyte = 1_000_000;

function cpuOf(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const { user, system } = cpuSecondsOf(pid);
    return sum + user + system;
  }, 0);
}

interface ThroughputRow {
  setup: string;
  valueBytes: number;
  msgsPerSecond: number;
  mbPerSecond: number;
  brokerCpuSecondsPerGb: number;
}

async function produceRun(
  setup: string,
  bootstrap: string,
  pids: number[],
  shape: { valueBytes: number; replicationFactor: number; seconds: number },
): Promise<ThroughputRow> {
  const topic = `bench-${shape.valueBytes}-${Math.floor(Math.random() * 1e9)}`;
  await runLoadGenerator(["create", bootstrap, topic, String(partitions), String(shape.replicationFactor)]);
  await Bun.sleep(1_500); // the partitions elect their leaders
  const cpuBefore = cpuOf(pids);
  const result = await runLoadGenerator([
    ...["produce", bootstrap, topic, String(shape.valueBytes), "all", String(shape.seconds)],
  ]);
  const cpu = cpuOf(pids) - cpuBefore;
  const bytes = result.value_bytes!;
  return {
    setup,
    valueBytes: shape.valueBytes,
    msgsPerSecond: result.delivered! / result.seconds!,
    mbPerSecond: bytes / megabyte / result.seconds!,
    brokerCpuSecondsPerGb: cpu / (bytes / 1e9),
  };
}

async function withStandalone<T>(run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await startServer({ env });
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

async function withCluster<T>(run: (cluster: TestCluster) => Promise<T>): Promise<T> {
  const cluster = await startCluster({ size: 3 });
  try {
    return await run(cluster);
  } finally {
    await cluster.close();
  }
}

const clusterPids = (cluster: TestCluster) => [1, 2, 3].map((id) => cluster.node(id).pid);

async function throughput(options: Options): Promise<void> {
  const rows: ThroughputRow[] = [];
  for (const valueBytes of [1024, 100]) {
    // Alternating, so a noisy minute hurts both setups alike.
    rows.push(
      await withStandalone((server) =>
        produceRun("standalone", `127.0.0.1:${server.kafkaPort}`, [server.pid], {
          valueBytes,
          replicationFactor: 1,
          seconds: options.seconds,
        }),
      ),
    );
    rows.push(
      await withCluster((cluster) =>
        produceRun("3 nodes, RF 3", cluster.bootstrap(), clusterPids(cluster), {
          valueBytes,
          replicationFactor: 3,
          seconds: options.seconds,
        }),
      ),
    );
  }
  console.log(`### acks=all produce, ${partitions} partitions, ${options.seconds} s each\n`);
  console.log("| setup | value | msgs/s | MB/s | brokers' CPU s per GB | cluster ÷ standalone |");
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) {
    const single = rows.find((other) => other.setup === "standalone" && other.valueBytes === row.valueBytes)!;
    const ratio = row.setup === "standalone" ? "" : (row.msgsPerSecond / single.msgsPerSecond).toFixed(2);
    console.log(
      `| ${row.setup} | ${row.valueBytes} B | ${Math.round(row.msgsPerSecond).toLocaleString("en")} | ` +
        `${row.mbPerSecond.toFixed(1)} | ${row.brokerCpuSecondsPerGb.toFixed(1)} | ${ratio} |`,
    );
  }
}

async function latency(options: Options): Promise<void> {
  const results: Array<{ setup: string; result: Record<string, number> }> = [];
  const run = async (setup: string, bootstrap: string, replicationFactor: number) => {
    const topic = `latency-${Math.floor(Math.random() * 1e9)}`;
    await runLoadGenerator(["create", bootstrap, topic, "1", String(replicationFactor)]);
    await Bun.sleep(1_500);
    // Warm-up at the same rate, unmeasured (the JIT and the page cache; bench/RESULTS.md).
    await runLoadGenerator(["latency", bootstrap, topic, "1024", "all", String(options.rate), "5", "0"]);
    const result = await runLoadGenerator([
      ...["latency", bootstrap, topic, "1024", "all", String(options.rate), String(options.seconds * 2), "0"],
    ]);
    results.push({ setup, result });
  };
  await withStandalone((server) => run("standalone", `127.0.0.1:${server.kafkaPort}`, 1));
  await withCluster((cluster) => run("3 nodes, RF 3", cluster.bootstrap(), 3));
  console.log(`\n### produce latency, 1 KiB acks=all at a steady ${options.rate} msgs/s, linger 0\n`);
  console.log("| setup | achieved msgs/s | p50 ms | p99 ms | p99.9 ms | max ms |");
  console.log("|---|---|---|---|---|---|");
  for (const { setup, result } of results) {
    console.log(
      `| ${setup} | ${Math.round(result.achieved_rate!)} | ${result.p50_ms} | ${result.p99_ms} | ` +
        `${result.p999_ms} | ${result.max_ms} |`,
    );
  }
}

// ---------------------------------------------------------------- failover

async function leaderOf(cluster: TestCluster, topic: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    for (const nodeId of [1, 2, 3].filter((id) => cluster.isRunning(id))) {
      const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort).catch(() => undefined);
      if (client === undefined) continue;
      try {
        const response = await client.request(ApiKey.Metadata, 12, {
          ...apiCodecs(ApiKey.Metadata).request.create(),
          topics: [{ name: topic, topicId: "AAAAAAAAAAAAAAAAAAAAAA", unknownTaggedFields: [] }],
        });
        const leader = response.topics[0]?.partitions[0]?.leaderId ?? -1;
        if (leader > 0 && cluster.isRunning(leader)) return leader;
      } finally {
        client.close();
      }
    }
    await Bun.sleep(50);
  }
  throw new Error(`${topic} has no leader`);
}

/** One acks=all produce to `nodeId`; true when it was accepted. */
async function producesOn(cluster: TestCluster, nodeId: number, topic: string): Promise<boolean> {
  const client = await RawKafkaClient.connect(cluster.node(nodeId).kafkaPort).catch(() => undefined);
  if (client === undefined) return false;
  try {
    const response = await client.request(ApiKey.Produce, 9, {
      ...apiCodecs(ApiKey.Produce).request.create(),
      acks: -1,
      timeoutMs: 2_000,
      topicData: [
        {
          name: topic,
          partitionData: [
            {
              index: 0,
              records: buildBatch([
                { key: null, value: new TextEncoder().encode("f"), timestamp: Date.now() },
              ]),
              unknownTaggedFields: [],
            },
          ],
          unknownTaggedFields: [],
        },
      ],
    });
    return response.responses[0]!.partitionResponses[0]!.errorCode === 0;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

async function failover(options: Options): Promise<void> {
  const durations: number[] = [];
  await withCluster(async (cluster) => {
    const topic = "failover";
    await runLoadGenerator(["create", cluster.bootstrap(), topic, "1", "3"]);
    for (let kill = 0; kill < options.kills; kill++) {
      const leader = await leaderOf(cluster, topic);
      const survivors = [1, 2, 3].filter((id) => id !== leader);
      // The partition takes writes before the kill.
      while (!(await producesOn(cluster, leader, topic))) await Bun.sleep(20);
      const killedAt = performance.now();
      await cluster.kill(leader);
      let accepted = false;
      while (!accepted) {
        const results = await Promise.all(survivors.map((id) => producesOn(cluster, id, topic)));
        accepted = results.some(Boolean);
        if (!accepted) await Bun.sleep(10);
      }
      durations.push(performance.now() - killedAt);
      await cluster.start(leader);
      await Bun.sleep(1_000); // the node catches up before the next kill
    }
  });
  durations.sort((a, b) => a - b);
  const at = (fraction: number) =>
    durations[Math.min(durations.length - 1, Math.floor(fraction * durations.length))]!;
  console.log(
    `\n### failover: kill -9 of the partition's leader → first acks=all produce accepted (${durations.length} kills)\n`,
  );
  console.log("| p50 ms | p90 ms | worst ms | best ms |");
  console.log("|---|---|---|---|");
  console.log(
    `| ${at(0.5).toFixed(0)} | ${at(0.9).toFixed(0)} | ${durations.at(-1)!.toFixed(0)} | ${durations[0]!.toFixed(0)} |`,
  );
  console.log(`\nall, ms: ${durations.map((value) => value.toFixed(0)).join(", ")}`);
}

const options = parseOptions(process.argv.slice(2));
if (options.only.has("throughput")) await throughput(options);
if (options.only.has("latency")) await latency(options);
if (options.only.has("failover")) await failover(options);
