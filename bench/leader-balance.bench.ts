// Leader balance on a three-node raft-cluster (issue 20, balanced leadership): a topic of N partitions (RF 3)
// starts on its preferred replicas; kill -9 of one node moves the partitions it led to the other two; once it is
// restarted they hand them back by themselves (auto.leader.rebalance.enable, one imbalance check every
// --interval seconds). Per round: the leaders per node before, while the node is down and after, the time from
// the kill until every partition has a live leader, from the restart until the node is ready, and from ready
// until every partition is on its preferred replica again. Then, with automatic rebalancing off, the time one
// ElectLeaders PREFERRED request for every partition, sent to the returned node, takes to answer.
//
//   node_modules/.bin/bun bench/leader-balance.bench.ts [--partitions 30] [--rounds 3] [--interval 1]

import { ErrorCode } from "../src/protocol/error-codes.ts";
import {
  allPreferred,
  createTopic,
  electLeaders,
  leaderBalance,
  type PartitionView,
  partitionViews,
} from "../test/support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../test/support/cluster-processes.ts";

type Options = { partitions: number; rounds: number; interval: number };

function parseOptions(argv: string[]): Options {
  const options: Options = { partitions: 30, rounds: 3, interval: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (flag === "--partitions") options.partitions = value;
    else if (flag === "--rounds") options.rounds = value;
    else if (flag === "--interval") options.interval = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

const topic = "balance";
const pollMs = 20;
const waitMsMax = 120_000;

/** Polls node `port` until `done`; the milliseconds it took and the view that satisfied it. */
async function timeUntil(
  port: number,
  done: (views: PartitionView[]) => boolean,
): Promise<{ ms: number; views: PartitionView[] }> {
  const start = performance.now();
  for (;;) {
    const views = await partitionViews(port, topic).catch((): PartitionView[] => []);
    if (views.length > 0 && done(views)) return { ms: performance.now() - start, views };
    if (performance.now() - start > waitMsMax) throw new Error(`gave up: ${leaderBalance(views)}`);
    await Bun.sleep(pollMs);
  }
}

async function balancedCluster(args: string[], partitions: number): Promise<TestCluster> {
  const cluster = await startCluster({ size: 3, args });
  await createTopic(cluster.node(1).kafkaPort, topic, partitions, 3).catch((error: Error) => {
    // A CreateTopics forwarded to the controller can answer TOPIC_ALREADY_EXISTS for the topic it has just
    // created (seen with 300 partitions; not this benchmark's subject): the topic is there either way.
    if (!error.message.includes("error 36")) throw error;
  });
  // A new partition's preferred replica campaigns first, but not every one wins; a small imbalance is within
  // the threshold and stays, so the start is made even with ElectLeaders, repeated while replicas catch up.
  const port = cluster.node(1).kafkaPort;
  await timeUntil(port, (views) => views.every((view) => view.leaderId > 0));
  for (let attempt = 0; !allPreferred(await partitionViews(port, topic)); attempt++) {
    if (attempt === 50) throw new Error("the cluster never got every partition onto its preferred replica");
    await electLeaders(port, { version: 2, electionType: 0, topicPartitions: null });
    await Bun.sleep(200);
  }
  return cluster;
}

async function automaticRounds(options: Options): Promise<void> {
  const cluster = await balancedCluster(
    ["--leader-imbalance-check-interval-seconds", String(options.interval)],
    options.partitions,
  );
  console.log(
    `\n| round | killed | leaders before | while down | after | kill → all led ms | restart → ready ms | ready → balanced ms |`,
  );
  console.log("|---|---|---|---|---|---|---|---|");
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const victim = ((round - 1) % 3) + 1;
      const observer = (victim % 3) + 1;
      const port = cluster.node(observer).kafkaPort;
      const before = await partitionViews(port, topic);
      await cluster.kill(victim);
      const down = await timeUntil(port, (views) =>
        views.every((view) => view.leaderId > 0 && view.leaderId !== victim),
      );
      const restartAt = performance.now();
      await cluster.start(victim);
      const readyMs = performance.now() - restartAt;
      const back = await timeUntil(port, allPreferred);
      console.log(
        `| ${round} | ${victim} | ${leaderBalance(before)} | ${leaderBalance(down.views)} | ` +
          `${leaderBalance(back.views)} | ${Math.round(down.ms)} | ${Math.round(readyMs)} | ${Math.round(back.ms)} |`,
      );
      await Bun.sleep(1_000);
    }
  } finally {
    await cluster.close();
  }
}

async function electLeadersRound(options: Options): Promise<void> {
  const cluster = await balancedCluster(["--auto-leader-rebalance-enable", "false"], options.partitions);
  try {
    const port = cluster.node(1).kafkaPort;
    await cluster.kill(2);
    const down = await timeUntil(port, (views) =>
      views.every((view) => view.leaderId === 1 || view.leaderId === 3),
    );
    await cluster.start(2);
    await Bun.sleep(2_000);
    console.log(
      `\n| ElectLeaders PREFERRED, every partition, to node 2 (auto off), 2 s after it is ready | ` +
        `leaders before | NONE (this topic) | PREFERRED_LEADER_NOT_AVAILABLE | answer ms | leaders after |`,
    );
    console.log("|---|---|---|---|---|---|");
    // Until a partition's replica on node 2 has caught up, its hand-over fails: asked again, it moves.
    for (let attempt = 1; attempt <= 10; attempt++) {
      const before = await partitionViews(port, topic);
      if (allPreferred(before)) break;
      const start = performance.now();
      const answer = await electLeaders(cluster.node(2).kafkaPort, {
        version: 2,
        electionType: 0,
        topicPartitions: null,
      });
      const answerMs = performance.now() - start;
      const count = (code: number) =>
        answer.rows.filter(([name, , errorCode]) => name === topic && errorCode === code).length;
      const after = await partitionViews(port, topic);
      console.log(
        `| attempt ${attempt} | ${leaderBalance(before)} | ${count(ErrorCode.None)} | ` +
          `${count(ErrorCode.PreferredLeaderNotAvailable)} | ${Math.round(answerMs)} | ${leaderBalance(after)} |`,
      );
    }
    void down;
  } finally {
    await cluster.close();
  }
}

const options = parseOptions(process.argv.slice(2));
console.log(
  `leader balance: ${options.partitions} partitions × RF 3 on 3 nodes, imbalance check every ${options.interval} s`,
);
await automaticRounds(options);
await electLeadersRound(options);
