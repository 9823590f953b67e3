// A scripted fault run with real processes: three chronik-server nodes whose Raft links pass through fault
// proxies (one per direction of each pair), idempotent acks=all producers and a committing consumer group on
// confluent-kafka, and a seeded controller that kills (-9) and restarts nodes, pauses them (SIGSTOP/SIGCONT), cuts
// links both ways and one way, and delays them — one fault at a time, each healed before the next. After the run
// it heals everything, reads every partition from the beginning, and checks: every acknowledged message present
// exactly once, no message twice, offsets per partition strictly increasing, every record a consumer read still
// at its offset, and the group's committed offsets never ahead of what its consumers read.
// Used by test/integration/cluster-faults.test.ts (a short run) and scripts/fault-run.ts (long runs by hand).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTopic, partitionViews } from "./cluster-leaders.ts";
import { clusterSpecs, startCluster, type TestCluster } from "./cluster-processes.ts";
import { FaultProxy } from "./fault-proxy.ts";

const clientsScript = join(import.meta.dir, "fault-clients.py");
const python = "/usr/bin/python3";

export interface FaultRunOptions {
  readonly seed: number;
  /** How long the producers run while faults are injected. */
  readonly workloadMs: number;
  /** How long a fault lasts, and the quiet gap after its heal: each drawn in [min, max]. */
  readonly faultMs: readonly [number, number];
  readonly gapMs: readonly [number, number];
  readonly producers?: number;
  readonly consumers?: number;
  readonly partitions?: number;
  /** The faults in this order, cycling (default: drawn at random from all kinds). */
  readonly kinds?: readonly FaultKind[];
  /** Where to write every client's lines (producers, consumers, the final read), to study a failing run. */
  readonly dumpDir?: string;
  /** Progress lines (faults as they happen); default silent. */
  readonly log?: (line: string) => void;
}

export interface FaultRunReport {
  readonly seed: number;
  readonly faults: string[];
  readonly faultCounts: Record<string, number>;
  readonly acknowledged: number;
  /** Producer callbacks with an error (never acknowledged: allowed to be absent or present once). */
  readonly failed: number;
  readonly lost: string[];
  readonly duplicated: string[];
  /** Offsets that went backwards or repeated within a partition in the final read. */
  readonly offsetDisorders: string[];
  /** Records a consumer read whose offset now holds something else or nothing. */
  readonly rewrittenReads: string[];
  /** Committed offsets ahead of every offset the group's consumers read (+1). */
  readonly commitsAhead: string[];
  readonly recordsInLog: number;
  readonly consumerReads: number;
  readonly consumerCommits: number;
  readonly elapsedMs: number;
}

/** A deterministic PRNG (mulberry32): the same seed draws the same faults in the same order. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ClientProcess {
  readonly lines: string[];
  readonly exited: Promise<number>;
  kill(): void;
}

function spawnClient(args: string[]): ClientProcess {
  const proc = Bun.spawn([python, clientsScript, ...args], { stdout: "pipe", stderr: "ignore" });
  const lines: string[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of proc.stdout) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
    if (rest !== "") lines.push(rest);
  })();
  return {
    lines,
    exited: Promise.all([proc.exited, reading]).then(([code]) => code),
    kill: () => proc.kill("SIGKILL"),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, Bun.sleep(ms).then(() => undefined)]);
}

export interface FaultCluster {
  readonly cluster: TestCluster;
  /** proxies.get("1>2") carries node 1's calls to node 2. */
  readonly proxies: Map<string, FaultProxy>;
  readonly paused: Set<number>;
  pause(nodeId: number): void;
  resume(nodeId: number): void;
  /** Cuts the links from → to (one way: from's calls never reach to; to's calls to from still flow). */
  cut(from: number, to: number): void;
  healAll(): void;
  /** Running, unpaused nodes. */
  reachable(): number[];
  close(): Promise<void>;
}

/** Three nodes (default) behind fault proxies: node A reaches node B's Raft port through proxy "A>B". */
export async function startFaultCluster(
  options: { size?: number; args?: string[] } = {},
): Promise<FaultCluster> {
  const specs = await clusterSpecs(options.size ?? 3);
  const proxies = new Map<string, FaultProxy>();
  for (const from of specs)
    for (const to of specs)
      if (from.nodeId !== to.nodeId)
        proxies.set(`${from.nodeId}>${to.nodeId}`, FaultProxy.start(to.raftPort));
  let cluster: TestCluster;
  try {
    cluster = await startCluster({
      specs,
      args: options.args,
      // A node restarted mid-run replays its logs while the others load the machine: slow is not a failure.
      startupMs: 120_000,
      peerPort: (from, to) => proxies.get(`${from}>${to}`)!.port,
    });
  } catch (error) {
    for (const proxy of proxies.values()) proxy.close();
    throw error;
  }
  const paused = new Set<number>();
  const signal = (nodeId: number, name: "SIGSTOP" | "SIGCONT") =>
    process.kill(cluster.node(nodeId).pid, name);
  const resume = (nodeId: number) => {
    if (!paused.delete(nodeId)) return;
    if (cluster.isRunning(nodeId)) signal(nodeId, "SIGCONT");
  };
  return {
    cluster,
    proxies,
    paused,
    pause(nodeId) {
      signal(nodeId, "SIGSTOP");
      paused.add(nodeId);
    },
    resume,
    cut(from, to) {
      proxies.get(`${from}>${to}`)!.cut();
    },
    healAll() {
      for (const proxy of proxies.values()) proxy.heal();
    },
    reachable: () =>
      specs.map((spec) => spec.nodeId).filter((id) => cluster.isRunning(id) && !paused.has(id)),
    async close() {
      for (const nodeId of [...paused]) resume(nodeId);
      await cluster.close();
      for (const proxy of proxies.values()) proxy.close();
    },
  };
}

/** The leader of each partition of topic as some reachable node sees it (-1 unknown). */
export async function leadersOf(faults: FaultCluster, topic: string): Promise<number[]> {
  for (const nodeId of faults.reachable()) {
    const views = await withTimeout(
      partitionViews(faults.cluster.node(nodeId).kafkaPort, topic).catch(() => undefined),
      2_000,
    );
    if (views !== undefined && views.length > 0) return views.map((view) => view.leaderId);
  }
  return [];
}

export type FaultKind = "kill" | "pause" | "isolate" | "cutLink" | "oneWayOut" | "oneWayIn" | "delay";
const faultKinds: readonly FaultKind[] = [
  "kill",
  "pause",
  "isolate",
  "cutLink",
  "oneWayOut",
  "oneWayIn",
  "delay",
];

export async function runFaults(options: FaultRunOptions): Promise<FaultRunReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const random = prng(options.seed);
  const draw = (range: readonly [number, number]) =>
    range[0] + Math.floor(random() * (range[1] - range[0] + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const partitions = options.partitions ?? 3;
  const topic = `faults-${options.seed}`;
  const group = `faults-group-${options.seed}`;
  const faults = await startFaultCluster();
  const { cluster } = faults;
  const nodeIds = cluster.specs.map((spec) => spec.nodeId);
  const brokers = nodeIds.map((id) => `127.0.0.1:${cluster.specs[id - 1]!.kafkaPort}`).join(",");
  const at = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
  const injected: string[] = [];
  const faultCounts: Record<string, number> = {};
  const clients: ClientProcess[] = [];
  try {
    await createTopic(cluster.node(1).kafkaPort, topic, partitions, 3);
    const workloadSeconds = options.workloadMs / 1000;
    const producers = Array.from({ length: options.producers ?? 2 }, (_, index) =>
      spawnClient(["produce", brokers, topic, `p${index}`, String(workloadSeconds)]),
    );
    // Consumers keep reading past the producers' end, so they catch up after the last heal.
    const consumers = Array.from({ length: options.consumers ?? 2 }, (_, index) =>
      spawnClient(["consume", brokers, topic, group, `c${index}`, String(workloadSeconds + 15)]),
    );
    clients.push(...producers, ...consumers);

    const workloadEnd = performance.now() + options.workloadMs;
    await Bun.sleep(draw(options.gapMs));
    while (performance.now() + options.faultMs[0] < workloadEnd) {
      const kind = options.kinds?.[injected.length % options.kinds.length] ?? pick(faultKinds);
      const leaders = await leadersOf(faults, topic);
      const leader = leaders.length > 0 ? pick(leaders) : -1;
      // Half the node faults hit a partition leader: those are the ones that make elections and fencing work.
      const node = leader >= 1 && random() < 0.5 ? leader : pick(nodeIds);
      const other = pick(nodeIds.filter((id) => id !== node));
      const holdMs = draw(options.faultMs);
      let description: string;
      let heal: () => Promise<void>;
      switch (kind) {
        case "kill":
          await cluster.kill(node);
          description = `kill -9 node ${node}`;
          heal = async () => {
            await cluster.start(node);
          };
          break;
        case "pause":
          faults.pause(node);
          description = `SIGSTOP node ${node}`;
          heal = async () => faults.resume(node);
          break;
        case "isolate":
          for (const peer of nodeIds.filter((id) => id !== node)) {
            faults.cut(node, peer);
            faults.cut(peer, node);
          }
          description = `isolate node ${node}`;
          heal = async () => faults.healAll();
          break;
        case "cutLink":
          faults.cut(node, other);
          faults.cut(other, node);
          description = `cut link ${node}<->${other}`;
          heal = async () => faults.healAll();
          break;
        case "oneWayOut":
          for (const peer of nodeIds.filter((id) => id !== node)) faults.cut(node, peer);
          description = `cut node ${node}'s outbound links (it hears, is not heard)`;
          heal = async () => faults.healAll();
          break;
        case "oneWayIn":
          for (const peer of nodeIds.filter((id) => id !== node)) faults.cut(peer, node);
          description = `cut node ${node}'s inbound links (it is heard, hears nothing)`;
          heal = async () => faults.healAll();
          break;
        case "delay": {
          const delayMs = 50 + Math.floor(random() * 250);
          for (const [key, proxy] of faults.proxies) if (key.includes(String(node))) proxy.delay(delayMs);
          description = `delay node ${node}'s links by ${delayMs} ms`;
          heal = async () => faults.healAll();
          break;
        }
      }
      faultCounts[kind] = (faultCounts[kind] ?? 0) + 1;
      const line = `${at()} ${description} for ${holdMs} ms${leader === node ? " (a partition leader)" : ""}`;
      injected.push(line);
      log(line);
      await Bun.sleep(holdMs);
      await heal();
      log(`${at()} healed`);
      await Bun.sleep(draw(options.gapMs));
    }

    for (const producer of producers) await producer.exited;
    log(`${at()} producers done`);
    for (const consumer of consumers) await consumer.exited;
    log(`${at()} consumers done`);

    const reader = spawnClient(["read", brokers, topic, String(partitions)]);
    await reader.exited;
    const committedReader = spawnClient(["committed", brokers, topic, group, String(partitions)]);
    await committedReader.exited;

    if (options.dumpDir !== undefined) {
      mkdirSync(options.dumpDir, { recursive: true });
      const dump = (name: string, lines: string[]) =>
        writeFileSync(join(options.dumpDir!, name), `${lines.join("\n")}\n`);
      for (const [index, producer] of producers.entries()) dump(`producer-${index}.txt`, producer.lines);
      for (const [index, consumer] of consumers.entries()) dump(`consumer-${index}.txt`, consumer.lines);
      dump("read.txt", reader.lines);
      dump("committed.txt", committedReader.lines);
      dump("faults.txt", injected);
    }
    return check({
      seed: options.seed,
      partitions,
      injected,
      faultCounts,
      producerLines: producers.flatMap((producer) => producer.lines),
      consumerLines: consumers.map((consumer) => consumer.lines),
      readerLines: reader.lines,
      committedLines: committedReader.lines,
      elapsedMs: performance.now() - started,
    });
  } finally {
    for (const client of clients) client.kill();
    await faults.close();
  }
}

function check(input: {
  seed: number;
  partitions: number;
  injected: string[];
  faultCounts: Record<string, number>;
  producerLines: string[];
  consumerLines: string[][];
  readerLines: string[];
  committedLines: string[];
  elapsedMs: number;
}): FaultRunReport {
  const acknowledged = new Set<string>();
  let failed = 0;
  for (const line of input.producerLines) {
    const [tag, value] = line.split(" ");
    if (tag === "A") acknowledged.add(value!);
    else if (tag === "F") failed += 1;
  }
  const readerEnd = input.readerLines.find((line) => line.startsWith("END "));
  if (readerEnd !== `END ${input.partitions}`) {
    // Everything acknowledged would count as lost: say why instead.
    const acknowledgedCount = acknowledged.size;
    throw new Error(
      `the final read did not reach every partition's high watermark (${readerEnd}; ${acknowledgedCount} acknowledged, ${input.readerLines.length} lines read)`,
    );
  }
  const atOffset = new Map<string, string>(); // "partition offset" → value
  const copies = new Map<string, number>();
  const lastOffset = new Map<number, number>();
  const offsetDisorders: string[] = [];
  for (const line of input.readerLines) {
    const [tag, partitionText, offsetText, value] = line.split(" ");
    if (tag !== "R") continue;
    const partition = Number(partitionText);
    const offset = Number(offsetText);
    const before = lastOffset.get(partition) ?? -1;
    if (offset <= before) offsetDisorders.push(`partition ${partition}: offset ${offset} after ${before}`);
    lastOffset.set(partition, offset);
    atOffset.set(`${partition} ${offset}`, value!);
    copies.set(value!, (copies.get(value!) ?? 0) + 1);
  }
  const lost = [...acknowledged].filter((value) => !copies.has(value));
  const duplicated = [...copies]
    .filter(([, count]) => count > 1)
    .map(([value, count]) => `${value}×${count}`);

  const rewrittenReads: string[] = [];
  const maxRead = new Map<number, number>();
  let consumerReads = 0;
  let consumerCommits = 0;
  for (const lines of input.consumerLines) {
    for (const line of lines) {
      const [tag, partitionText, offsetText, value] = line.split(" ");
      const partition = Number(partitionText);
      const offset = Number(offsetText);
      if (tag === "R") {
        consumerReads += 1;
        maxRead.set(partition, Math.max(maxRead.get(partition) ?? -1, offset));
        const now = atOffset.get(`${partition} ${offset}`);
        if (now !== value)
          rewrittenReads.push(`partition ${partition} offset ${offset}: read ${value}, now ${now}`);
      } else if (tag === "C") {
        consumerCommits += 1;
      }
    }
  }
  const commitsAhead: string[] = [];
  for (const line of input.committedLines) {
    const [tag, partitionText, offsetText] = line.split(" ");
    if (tag !== "G") continue;
    const partition = Number(partitionText);
    const committed = Number(offsetText);
    const read = maxRead.get(partition) ?? -1;
    if (committed >= 0 && committed > read + 1) {
      commitsAhead.push(`partition ${partition}: committed ${committed}, read up to ${read}`);
    }
  }
  return {
    seed: input.seed,
    faults: input.injected,
    faultCounts: input.faultCounts,
    acknowledged: acknowledged.size,
    failed,
    lost,
    duplicated,
    offsetDisorders,
    rewrittenReads,
    commitsAhead,
    recordsInLog: atOffset.size,
    consumerReads,
    consumerCommits,
    elapsedMs: input.elapsedMs,
  };
}
