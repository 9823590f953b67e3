// Failover after a leader pause and after a partition, on three real nodes behind fault proxies: the leader of a
// one-partition RF 3 topic is frozen (SIGSTOP) or isolated (every link to and from it cut), and the time until a
// surviving node accepts an acks=all produce is measured; for the partition, also the time until the isolated
// old leader stops naming itself leader (its check-quorum), and for the pause, the time after SIGCONT until the
// resumed node names another leader. Each trial is healed and the cluster left to settle before the next.
//
//   node_modules/.bin/bun bench/fault-failover.bench.ts [--trials 8]

import { ApiKey, apiCodecs } from "../src/protocol/messages/registry.ts";
import { buildBatch } from "../src/protocol/records/batch-builder.ts";
import { createTopic, partitionViews } from "../test/support/cluster-leaders.ts";
import { type FaultCluster, startFaultCluster } from "../test/support/fault-run.ts";
import { RawKafkaClient } from "../test/support/raw-kafka-client.ts";

const trialsIndex = process.argv.indexOf("--trials");
const trials = trialsIndex >= 0 ? Number(process.argv[trialsIndex + 1]) : 8;
const topic = "failover";
const nodeIds = [1, 2, 3];

function produceRequest(value: string) {
  return {
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

async function leaderAsSeenBy(faults: FaultCluster, nodeId: number): Promise<number> {
  const views = await Promise.race([
    partitionViews(faults.cluster.node(nodeId).kafkaPort, topic).catch(() => []),
    Bun.sleep(1_000).then(() => []),
  ]);
  return views[0]?.leaderId ?? -1;
}

/** Until some node of `among` accepts an acks=all produce; its id. */
async function firstAccepted(faults: FaultCluster, among: number[], deadlineMs: number): Promise<number> {
  const clients = await Promise.all(
    among.map((id) => RawKafkaClient.connect(faults.cluster.node(id).kafkaPort)),
  );
  try {
    for (;;) {
      const answers = await Promise.all(
        clients.map((client) =>
          Promise.race([
            client
              .request(ApiKey.Produce, 9, produceRequest("probe"))
              .then((response) => response.responses[0]!.partitionResponses[0]!.errorCode),
            Bun.sleep(2_500).then(() => -1),
          ]),
        ),
      );
      const accepted = answers.indexOf(0);
      if (accepted >= 0) return among[accepted]!;
      if (performance.now() > deadlineMs) throw new Error("no survivor accepted a produce");
      await Bun.sleep(20);
    }
  } finally {
    for (const client of clients) client.close();
  }
}

async function settledLeader(faults: FaultCluster): Promise<number> {
  for (;;) {
    const leader = await leaderAsSeenBy(faults, 1);
    if (leader >= 1) {
      const accepted = await firstAccepted(faults, [leader], performance.now() + 10_000).catch(() => -1);
      if (accepted === leader) return leader;
    }
    await Bun.sleep(200);
  }
}

function summary(name: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(0);
  return `${name}: n=${sorted.length} p50 ${at(0.5)} ms, p90 ${at(0.9)}, worst ${sorted.at(-1)!.toFixed(0)}, best ${sorted[0]!.toFixed(0)}`;
}

const faults = await startFaultCluster();
try {
  await createTopic(faults.cluster.node(1).kafkaPort, topic, 1, 3);
  const pauseFailover: number[] = [];
  const pauseStepDown: number[] = [];
  const partitionFailover: number[] = [];
  const partitionStepDown: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    for (const kind of ["pause", "partition"] as const) {
      await Bun.sleep(3_000);
      const leader = await settledLeader(faults);
      const survivors = nodeIds.filter((id) => id !== leader);
      const started = performance.now();
      if (kind === "pause") {
        faults.pause(leader);
        const accepted = await firstAccepted(faults, survivors, started + 30_000);
        pauseFailover.push(performance.now() - started);
        faults.resume(leader);
        const resumed = performance.now();
        while ((await leaderAsSeenBy(faults, leader)) === leader) await Bun.sleep(10);
        pauseStepDown.push(performance.now() - resumed);
        console.log(
          `pause of node ${leader}: node ${accepted} accepted after ${pauseFailover.at(-1)!.toFixed(0)} ms`,
        );
      } else {
        for (const peer of survivors) {
          faults.cut(leader, peer);
          faults.cut(peer, leader);
        }
        const stepDown = (async () => {
          while ((await leaderAsSeenBy(faults, leader)) === leader) await Bun.sleep(10);
          return performance.now() - started;
        })();
        const accepted = await firstAccepted(faults, survivors, started + 30_000);
        partitionFailover.push(performance.now() - started);
        partitionStepDown.push(await stepDown);
        faults.healAll();
        console.log(
          `partition of node ${leader}: node ${accepted} accepted after ${partitionFailover.at(-1)!.toFixed(0)} ms; the old leader stepped down after ${partitionStepDown.at(-1)!.toFixed(0)} ms`,
        );
      }
    }
  }
  console.log(summary("pause → first acks=all produce accepted by a survivor", pauseFailover));
  console.log(summary("resumed old leader names another leader, after SIGCONT", pauseStepDown));
  console.log(summary("partition → first acks=all produce accepted by a survivor", partitionFailover));
  console.log(summary("isolated old leader stops naming itself, after the cut", partitionStepDown));
} finally {
  await faults.close();
}
