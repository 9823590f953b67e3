// How fast a follower catches up, beside the transport's ceiling measured in the same run, and what it costs
// live replication meanwhile. Three real nodes: node F is killed, its leader L takes N MB on partition
// "bulk" (RF 3) from the two left, then F comes back and replicates it all; meanwhile one producer sends 1 KiB
// acks=all batches, one at a time, to partition "live", whose two replicas are L and F (so each of its commits
// waits for F, over the same L → F peer queue as the catch-up). Catch-up MB/s is the bulk bytes over the time
// from F's first progress to its high watermark reaching L's; the ceiling is raw Connect calls of
// callBytesTarget (4 MiB) bodies, one in flight, between two processes (a child serving a handler that decodes
// nothing). The live produce latency is also measured with every node caught up, as the baseline.
//
//   node_modules/.bin/bun bench/catch-up.bench.ts [megabytes=300] [ceilingSeconds=5]

import { create } from "@bufbuild/protobuf";
import { createClient, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  DeliverRequestSchema,
  DeliverResponseSchema,
  RaftService,
} from "../src/gen/chronik/raft/v1/raft_pb.ts";
import { createFetchRequestFetchPartition } from "../src/protocol/messages/fetch.ts";
import { ApiKey, apiCodecs } from "../src/protocol/messages/registry.ts";
import { buildBatch } from "../src/protocol/records/batch-builder.ts";
import { raftTransportLimitsDefaults } from "../src/raft/transport/limits.ts";
import { partitionViews, waitForViews } from "../test/support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../test/support/cluster-processes.ts";
import { RawKafkaClient } from "../test/support/raw-kafka-client.ts";

const host = "127.0.0.1";
const megabyte = 1_000_000;
/** 15 records of 64 KiB: just under Kafka's default message.max.bytes. */
const bulkRecord = new Uint8Array(64 * 1024).fill(0x5a);
const bulkRecordsPerBatch = 15;
/** Bulk Produce requests in flight per client, and clients. */
const bulkWindow = 4;
const bulkClients = 2;

// ---------------------------------------------------------------- ceiling: raw Connect between two processes

function serve(): void {
  const router = createConnectRouter({ readMaxBytes: 64 * 1024 * 1024, acceptCompression: [] });
  router.service(RaftService, { deliver: () => create(DeliverResponseSchema) });
  const handler = createFetchHandler(router.handlers[0]!, { httpVersion: "1.1" });
  const server = Bun.serve({
    hostname: host,
    port: 0,
    maxRequestBodySize: 65 * 1024 * 1024,
    fetch: (request) => handler(request),
  });
  console.log(JSON.stringify({ port: server.port }));
}

async function ceilingMbPerSecond(seconds: number): Promise<number> {
  const child = Bun.spawn([process.execPath, import.meta.path, "--serve"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const { value } = await child.stdout.getReader().read();
    const { port } = JSON.parse(new TextDecoder().decode(value).split("\n")[0]!) as { port: number };
    const client = createClient(
      RaftService,
      createConnectTransport({
        httpVersion: "1.1",
        baseUrl: `http://${host}:${port}`,
        acceptCompression: [],
      }),
    );
    const request = create(DeliverRequestSchema, {
      fromNodeId: 1,
      toNodeId: 2,
      clusterId: "bench",
      batch: new Uint8Array(raftTransportLimitsDefaults.callBytesTarget).fill(0x5a),
    });
    await client.deliver(request);
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < seconds * 1000) {
      await client.deliver(request);
      calls += 1;
    }
    return (calls * request.batch.byteLength) / megabyte / ((performance.now() - started) / 1000);
  } finally {
    child.kill();
  }
}

// ---------------------------------------------------------------- the cluster

async function withClient<T>(port: number, use: (client: RawKafkaClient) => Promise<T>): Promise<T> {
  const client = await RawKafkaClient.connect(port);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

function produceBody(topic: string, records: Uint8Array) {
  return {
    ...apiCodecs(ApiKey.Produce).request.create(),
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: topic,
        partitionData: [{ index: 0, records, unknownTaggedFields: [] }],
        unknownTaggedFields: [],
      },
    ],
  };
}

async function createTopic(port: number, name: string, brokerIds: number[]): Promise<void> {
  await withClient(port, async (client) => {
    const response = await client.request(ApiKey.CreateTopics, 7, {
      topics: [
        {
          name,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds, unknownTaggedFields: [] }],
          configs: [],
          unknownTaggedFields: [],
        },
      ],
      timeoutMs: 20_000,
      validateOnly: false,
      unknownTaggedFields: [],
    });
    if (response.topics[0]!.errorCode !== 0)
      throw new Error(`CreateTopics ${name}: ${response.topics[0]!.errorCode}`);
  });
}

/** The high watermark node `port` serves for the topic's partition 0 (a follower's is its own). */
function highWatermarkAt(client: RawKafkaClient, topic: string): Promise<bigint> {
  return client
    .request(ApiKey.Fetch, 12, {
      ...apiCodecs(ApiKey.Fetch).request.create(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1,
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
              partitionMaxBytes: 1,
              unknownTaggedFields: [],
            },
          ],
          unknownTaggedFields: [],
        },
      ],
    })
    .then((response) => response.responses[0]!.partitions[0]!.highWatermark);
}

/** Fills the bulk partition through its leader: returns the batches written. */
async function fill(port: number, megabytes: number): Promise<number> {
  const batch = buildBatch(
    Array.from({ length: bulkRecordsPerBatch }, () => ({
      key: null,
      value: bulkRecord,
      timestamp: Date.now(),
    })),
  );
  const batches = Math.ceil((megabytes * megabyte) / batch.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: bulkClients }, () =>
      withClient(port, async (client) => {
        const frame = client.frame(ApiKey.Produce, 9, produceBody("bulk", batch));
        const inFlight: Promise<void>[] = [];
        const one = async () => {
          const response = await client.send(ApiKey.Produce, 9, frame);
          const code = response.responses[0]!.partitionResponses[0]!.errorCode;
          if (code !== 0) throw new Error(`bulk produce: error ${code}`);
        };
        while (next < batches) {
          next += 1;
          inFlight.push(one());
          if (inFlight.length >= bulkWindow) await inFlight.shift();
        }
        await Promise.all(inFlight);
      }),
    ),
  );
  return batches * batch.length;
}

/**
 * Sequential 1 KiB acks=all produces to "live", to whichever node leads it, until `until` says stop: the
 * latencies of those accepted, in ms, and how many were refused (no leader or another one: asked again).
 */
async function liveProduce(
  cluster: TestCluster,
  until: () => boolean,
): Promise<{ latencies: number[]; refused: number }> {
  const latencies: number[] = [];
  let refused = 0;
  const value = new Uint8Array(1024).fill(0x41);
  while (!until()) {
    const views = await partitionViews(cluster.node(1).kafkaPort, "live").catch(() => []);
    const leaderId = views[0]?.leaderId ?? -1;
    if (leaderId < 1 || !cluster.isRunning(leaderId)) {
      await Bun.sleep(50);
      continue;
    }
    await withClient(cluster.node(leaderId).kafkaPort, async (client) => {
      while (!until()) {
        const records = buildBatch([{ key: null, value, timestamp: Date.now() }]);
        const frame = client.frame(ApiKey.Produce, 9, produceBody("live", records));
        const started = performance.now();
        const response = await client.send(ApiKey.Produce, 9, frame);
        const code = response.responses[0]!.partitionResponses[0]!.errorCode;
        if (code !== 0) {
          refused += 1;
          await Bun.sleep(50);
          return;
        }
        latencies.push(performance.now() - started);
        await Bun.sleep(5);
      }
    });
  }
  return { latencies, refused };
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const megabytes = Number(process.argv[2] ?? 300);
  const ceilingSeconds = Number(process.argv[3] ?? 5);
  const ceilingBefore = await ceilingMbPerSecond(ceilingSeconds);
  const cluster: TestCluster = await startCluster({
    size: 3,
    args: ["--auto-leader-rebalance-enable", "false"],
  });
  try {
    const port = (nodeId: number) => cluster.node(nodeId).kafkaPort;
    const [leader, follower] = [1, 2];
    await createTopic(port(leader), "bulk", [leader, follower, 3]);
    await createTopic(port(leader), "live", [leader, follower]);
    for (const topic of ["bulk", "live"]) {
      await waitForViews(
        port(leader),
        topic,
        (views) => views[0]?.leaderId === leader,
        `${topic} led by ${leader}`,
      );
    }
    await cluster.kill(follower);
    const fillStarted = performance.now();
    const bytes = await fill(port(leader), megabytes);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const target = await withClient(port(leader), (client) => highWatermarkAt(client, "bulk"));

    // The follower returns and catches up, while the live producer runs.
    let caughtUp = false;
    const restart = cluster.start(follower);
    const during = liveProduce(cluster, () => caughtUp);
    await restart;
    const progress = await withClient(port(follower), async (client) => {
      let first = { offset: await highWatermarkAt(client, "bulk"), at: performance.now() };
      let offset = first.offset;
      while (offset < target) {
        await Bun.sleep(20);
        offset = await highWatermarkAt(client, "bulk");
        if (first.offset === 0n && offset > 0n) first = { offset, at: performance.now() };
      }
      return { first, done: performance.now() };
    });
    caughtUp = true;
    const { latencies: duringLatencies, refused } = await during;
    const caughtUpBytes = (Number(target - progress.first.offset) / Number(target)) * bytes;
    const catchUpSeconds = (progress.done - progress.first.at) / 1000;

    const baselineUntil = performance.now() + 10_000;
    const { latencies: baseline } = await liveProduce(cluster, () => performance.now() > baselineUntil);
    const ceilingAfter = await ceilingMbPerSecond(ceilingSeconds);

    console.log(
      `### Follower catch-up, ${megabytes} MB behind (filled at ${fmt(bytes / megabyte / fillSeconds)} MB/s)\n`,
    );
    console.log("| measure | value |");
    console.log("|---|---:|");
    console.log(
      `| raw Connect, ${raftTransportLimitsDefaults.callBytesTarget / 1024 / 1024} MiB calls, before | ${fmt(ceilingBefore)} MB/s |`,
    );
    console.log(`| raw Connect, after | ${fmt(ceilingAfter)} MB/s |`);
    console.log(
      `| catch-up, ${fmt(caughtUpBytes / megabyte)} MB in ${fmt(catchUpSeconds, 1)} s | ${fmt(caughtUpBytes / megabyte / catchUpSeconds)} MB/s (${fmt((caughtUpBytes / megabyte / catchUpSeconds / ((ceilingBefore + ceilingAfter) / 2)) * 100)}% of the ceiling) |`,
    );
    console.log(
      `| live 1 KiB acks=all during catch-up (${duringLatencies.length} accepted, ${refused} refused: no leader yet) | p50 ${fmt(percentile(duringLatencies, 0.5), 1)} ms, p99 ${fmt(percentile(duringLatencies, 0.99), 1)} ms, max ${fmt(Math.max(...duringLatencies), 1)} ms |`,
    );
    console.log(
      `| live, every node caught up (${baseline.length}) | p50 ${fmt(percentile(baseline, 0.5), 1)} ms, p99 ${fmt(percentile(baseline, 0.99), 1)} ms, max ${fmt(Math.max(...baseline), 1)} ms |`,
    );
  } finally {
    await cluster.close();
  }
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

if (process.argv.includes("--serve")) serve();
else await main();
