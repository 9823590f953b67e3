// Rebalance time under the KIP-848 consumer protocol on a real chronik-server: with two @platformatic/kafka
// members (groupProtocol "consumer") in a group over a six-partition topic, a third joins; measured is the
// time from its consume() call until the three hold disjoint assignments covering the six partitions and each
// has received a message from its own partitions after that. Joins are spread evenly over the old members'
// heartbeat cycle; run for two broker heartbeat intervals (5000 ms, Kafka's default, and 500 ms). Prints tables.
//   bun bench/rebalance-consumer-protocol.bench.ts [--rounds 3]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin, Consumer, Producer } from "@platformatic/kafka";
import { assert } from "../src/base/assert.ts";
import { type ServerProcess, startServer } from "../test/support/server-process.ts";

const roundsArgIndex = process.argv.indexOf("--rounds");
const rounds = roundsArgIndex === -1 ? 3 : Number(process.argv[roundsArgIndex + 1]) || 3;
/** The broker's group.consumer.heartbeat.interval.ms: 5000 is Kafka's default. */
const heartbeatIntervalsMs = [5000, 500];
const partitionCount = 6;
const allPartitions = Array.from({ length: partitionCount }, (_, partition) => partition).join();
const feedIntervalMs = 5;
const waitMsMax = 30_000;
const closeMsMax = 5_000;

/** One group member: what it owns right now and when it last read a message from a partition it owns. */
class Member {
  readonly consumer: Consumer;
  /** performance.now() of the last message read from a partition the member was assigned at that moment. */
  lastOwnedMessageMs = 0;
  /** performance.now() of every ConsumerGroupHeartbeat answer the member received. */
  readonly heartbeatsMs: number[] = [];

  constructor(
    readonly name: string,
    bootstrap: string,
    groupId: string,
    private readonly topic: string,
  ) {
    this.consumer = new Consumer({
      clientId: name,
      bootstrapBrokers: [bootstrap],
      groupId,
      groupProtocol: "consumer",
      retries: 20,
      retryDelay: 250,
    });
    this.consumer.on("consumer:heartbeat:end", () => this.heartbeatsMs.push(performance.now()));
  }

  async start(): Promise<void> {
    const stream = await this.consumer.consume({ topics: [this.topic], mode: "latest", maxWaitTime: 100 });
    stream.on("error", () => {
      // Surfaces as a member that never settles, which times the round out.
    });
    stream.on("data", (message) => {
      if (this.partitions().includes(message.partition)) this.lastOwnedMessageMs = performance.now();
    });
  }

  partitions(): number[] {
    return (this.consumer.assignments ?? []).flatMap((assignment) =>
      assignment.topic === this.topic ? assignment.partitions : [],
    );
  }

  async close(): Promise<void> {
    await withTimeout(this.consumer.close(true), closeMsMax, `closing ${this.name}`);
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Every partition owned by exactly one member, and every member owning some. */
function settled(members: Member[]): boolean {
  const owned = members.map((member) => member.partitions());
  const all = owned.flat().sort((a, b) => a - b);
  return owned.every((list) => list.length > 0) && all.join() === allPartitions;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + waitMsMax;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(1);
  }
}

/** Produces one message to every partition every feedIntervalMs until the returned stop() is awaited. */
function feed(producer: Producer, topic: string): () => Promise<void> {
  let running = true;
  const feeding = (async () => {
    while (running) {
      const messages = Array.from({ length: partitionCount }, (_, partition) => ({
        topic,
        partition,
        value: Buffer.from("x"),
      }));
      await producer.send({ messages });
      await Bun.sleep(feedIntervalMs);
    }
  })();
  return async () => {
    running = false;
    await feeding;
  };
}

interface RoundResult {
  /** consume() of the third member → the last of the two old members holds fewer partitions than before. */
  releasedMs: number;
  /** consume() of the third member → it first holds a non-empty assignment. */
  firstAssignmentMs: number;
  /** consume() of the third member → each ConsumerGroupHeartbeat answer it received until it settled. */
  newMemberHeartbeatsMs: number[];
  /** consume() → the three hold disjoint assignments covering all partitions. */
  settledMs: number;
  /** consume() → settled, and every member has read from its own partitions after that. */
  consumingMs: number;
}

/** A group of two members, settled before any round starts so that all groups settle in parallel. */
interface PreparedGroup {
  groupId: string;
  topic: string;
  members: Member[];
}

/** Starts the group's first two members; the group is listed first so that a failure still closes them. */
async function prepareGroup(bootstrap: string, name: string, groups: PreparedGroup[]): Promise<void> {
  const topic = `rebalance-848-${name}`;
  const groupId = `rebalance-848-group-${name}`;
  const group: PreparedGroup = { groupId, topic, members: [] };
  groups.push(group);
  for (const suffix of ["a", "b"]) {
    const member = new Member(`${name}-${suffix}`, bootstrap, groupId, topic);
    group.members.push(member);
    await member.start();
  }
}

/** When, after the third member's consume() call, the old members gave up partitions and the new one got some. */
class RoundTimeline {
  readonly joinedAtMs = performance.now();
  private readonly countsAtJoin: number[];
  private readonly releasedAtMs: number[];
  private firstAssignmentAtMs = 0;
  settledAtMs = 0;

  constructor(
    private readonly old: Member[],
    private readonly third: Member,
  ) {
    this.countsAtJoin = old.map((member) => member.partitions().length);
    this.releasedAtMs = old.map(() => 0);
  }

  /** Notes what changed since the last sample; true once the group is settled. */
  sample(): boolean {
    const nowMs = performance.now();
    this.old.forEach((member, index) => {
      const released = member.partitions().length < this.countsAtJoin[index]!;
      if (released && this.releasedAtMs[index] === 0) this.releasedAtMs[index] = nowMs;
    });
    if (this.firstAssignmentAtMs === 0 && this.third.partitions().length > 0)
      this.firstAssignmentAtMs = nowMs;
    if (!settled([...this.old, this.third])) return false;
    this.settledAtMs = nowMs;
    return true;
  }

  result(consumedAtMs: number): RoundResult {
    assert(this.settledAtMs > 0, "a result is taken once the group has settled");
    const sinceJoin = (atMs: number) => atMs - this.joinedAtMs;
    return {
      releasedMs: sinceJoin(Math.max(...this.releasedAtMs)),
      firstAssignmentMs: sinceJoin(this.firstAssignmentAtMs),
      newMemberHeartbeatsMs: this.third.heartbeatsMs
        .filter((atMs) => atMs <= this.settledAtMs)
        .map(sinceJoin),
      settledMs: sinceJoin(this.settledAtMs),
      consumingMs: sinceJoin(consumedAtMs),
    };
  }
}

/**
 * Waits until `offsetMs` past a heartbeat of the group's first member (heartbeats come every `intervalMs`), so
 * that rounds join at chosen points of the old members' heartbeat cycle rather than wherever the previous round
 * happened to leave it.
 */
async function waitForHeartbeatPhase(member: Member, intervalMs: number, offsetMs: number): Promise<void> {
  const lastHeartbeatMs = member.heartbeatsMs.at(-1);
  assert(lastHeartbeatMs !== undefined, "a member holding partitions has had a heartbeat answered");
  let targetMs = lastHeartbeatMs + offsetMs;
  while (targetMs < performance.now()) targetMs += intervalMs;
  await Bun.sleep(targetMs - performance.now());
}

/**
 * One round: the third member joins a settled group of two while every partition receives messages, `offsetMs`
 * after a heartbeat of the first member.
 */
async function measureRound(
  bootstrap: string,
  producer: Producer,
  group: PreparedGroup,
  phase: { intervalMs: number; offsetMs: number },
): Promise<RoundResult> {
  const stopFeeding = feed(producer, group.topic);
  try {
    await until(
      () => group.members.every((member) => member.lastOwnedMessageMs > 0),
      `${group.groupId}: both members consuming`,
    );
    await waitForHeartbeatPhase(group.members[0]!, phase.intervalMs, phase.offsetMs);
    const third = new Member(`${group.groupId}-c`, bootstrap, group.groupId, group.topic);
    const timeline = new RoundTimeline([...group.members], third);
    group.members.push(third);
    // Sampled from before consume() is called: the old members may give up partitions before it returns.
    await Promise.all([
      until(() => timeline.sample(), `${group.groupId}: three disjoint assignments`),
      third.start(),
    ]);
    await until(
      () => group.members.every((member) => member.lastOwnedMessageMs > timeline.settledAtMs),
      `${group.groupId}: every member consuming after the rebalance`,
    );
    const consumedAtMs = Math.max(...group.members.map((member) => member.lastOwnedMessageMs));
    return timeline.result(consumedAtMs);
  } finally {
    await stopFeeding();
  }
}

/** One broker with the given heartbeat interval: prepares every round's group, then measures the rounds in turn. */
async function measureInterval(heartbeatIntervalMs: number): Promise<RoundResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "chronik-rebalance-848-"));
  let server: ServerProcess | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const groups: PreparedGroup[] = [];
  try {
    server = await startServer({
      dataDir,
      args: [
        ...["--group-consumer-heartbeat-interval-ms", String(heartbeatIntervalMs)],
        // Kafka's least allowed interval is its default, 5 s: the faster ones measured here lower it.
        ...["--group-consumer-min-heartbeat-interval-ms", String(Math.min(heartbeatIntervalMs, 5000))],
      ],
    });
    const bootstrap = `127.0.0.1:${server.kafkaPort}`;
    admin = new Admin({ clientId: "rebalance-848-admin", bootstrapBrokers: [bootstrap] });
    producer = new Producer({ clientId: "rebalance-848-producer", bootstrapBrokers: [bootstrap] });
    const names = Array.from({ length: rounds }, (_, round) => `${heartbeatIntervalMs}-${round}`);
    await admin.createTopics({
      topics: names.map((name) => `rebalance-848-${name}`),
      partitions: partitionCount,
      replicas: 1,
    });
    for (const name of names) await prepareGroup(bootstrap, name, groups);
    await until(() => groups.every((group) => settled(group.members)), "every group of two to settle");
    const results: RoundResult[] = [];
    for (const [round, group] of groups.entries()) {
      // Joins spread evenly over the old members' heartbeat cycle.
      const offsetMs = (heartbeatIntervalMs * (round + 0.5)) / rounds;
      results.push(
        await measureRound(bootstrap, producer, group, { intervalMs: heartbeatIntervalMs, offsetMs }),
      );
      await Promise.all(group.members.map((member) => member.close()));
      group.members.length = 0;
    }
    return results;
  } finally {
    await closeAll(groups, producer, admin, server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Closes whatever was opened, each step on its own so that one failure does not leave the rest running. */
async function closeAll(
  groups: PreparedGroup[],
  producer: Producer | undefined,
  admin: Admin | undefined,
  server: ServerProcess | undefined,
): Promise<void> {
  const steps: Promise<unknown>[] = groups.flatMap((group) => group.members.map((member) => member.close()));
  if (producer) steps.push(withTimeout(producer.close(), closeMsMax, "closing the producer"));
  if (admin) steps.push(withTimeout(admin.close(), closeMsMax, "closing the admin"));
  await Promise.allSettled(steps);
  if (server) await server.stop();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** One table cell: "median (min–max)". */
const formatCell = (values: number[]) =>
  `${median(values).toFixed(0)} (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;
const format = (values: number[]) =>
  [median(values), Math.min(...values), Math.max(...values)].map((value) => value.toFixed(0)).join(" | ");

function printTables(results: Map<number, RoundResult[]>): void {
  console.log(
    `Rebalance, KIP-848 consumer protocol: a third @platformatic/kafka member joins a group of two over ${partitionCount} partitions`,
  );
  console.log(
    "| broker heartbeat interval ms | rounds | consume() → every member consuming again, median ms | min | max |",
  );
  console.log("|---:|---:|---:|---:|---:|");
  for (const [intervalMs, values] of results) {
    console.log(`| ${intervalMs} | ${values.length} | ${format(values.map((value) => value.consumingMs))} |`);
  }
  console.log("\nFor context, ms after the third member's consume(), median (min–max):");
  console.log(
    "| broker heartbeat interval ms | old members released partitions | new member's first partitions | disjoint assignments | new member's heartbeat answers, per round |",
  );
  console.log("|---:|---|---|---|---|");
  for (const [intervalMs, values] of results) {
    const released = formatCell(values.map((value) => value.releasedMs));
    const first = formatCell(values.map((value) => value.firstAssignmentMs));
    const settledTimes = formatCell(values.map((value) => value.settledMs));
    const heartbeats = values
      .map((value) => value.newMemberHeartbeatsMs.map((atMs) => atMs.toFixed(0)).join(", "))
      .join("; ");
    console.log(`| ${intervalMs} | ${released} | ${first} | ${settledTimes} | ${heartbeats} |`);
  }
}

try {
  const startedMs = performance.now();
  const results = new Map<number, RoundResult[]>();
  for (const intervalMs of heartbeatIntervalsMs) results.set(intervalMs, await measureInterval(intervalMs));
  printTables(results);
  console.log(`(whole bench: ${((performance.now() - startedMs) / 1000).toFixed(1)} s)`);
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
