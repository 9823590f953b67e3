// The whole broker under a real client: starts chronik-server on free ports with a fresh data dir and drives it
// with librdkafka (bench/load/produce_consume.py, its own process) — produce throughput for 100 B and 1 KiB values
// at acks=1 and acks=-1, delivery latency at a steady rate, and consume throughput reading it all back — then
// cross-checks the bytes against the broker's /metrics. Figures are printed against issue 4's targets.
//
//   node_modules/.bin/bun bench/broker.bench.ts [--seconds 5] [--partitions 1,3] [--rate 20000] [--profile DIR]
//                                               [--purge-delay MS|default] [--latency-rounds N]
//
// --profile runs the broker under Bun's CPU profiler (--cpu-prof --cpu-prof-md) and writes the profile to DIR.
// --latency-rounds measures only the latency at --rate, N rounds after a warm-up, each beside three ceilings:
// the disk's (an ideal group commit), the client's (the same generator against bench/null-broker.ts) and both
// together (the generator against the null broker syncing each Produce before it answers); and, where
// /dev/shm is a tmpfs, a second broker whose log lives there — the same broker with a flush that costs nothing,
// which tells the broker's own share of the tail from the disk's.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerPorts, freePort } from "../test/support/server-process.ts";
import { groupCommitCeiling, type LatencyQuantiles, syncedWriteCeiling } from "./disk-ceilings.ts";
import { cpuSecondsOf, type LoadResult, runLoadGenerator } from "./load/load-generator.ts";

const mainPath = join(import.meta.dir, "..", "src", "main.ts");
const megabyte = 1_000_000;
/** The allocator setting the broker ships with; `--purge-delay default` measures without it. */
let purgeDelayMs: string | null = "1000";
/** The ceiling loop syncs every 4 MiB: about what the broker's group commit covers per sync under full load. */
const ceilingChunkBytes = 4 * 1024 * 1024;
/** A 1 KiB value as stored: the value plus the record's own framing (lengths, deltas, key, header count). */
const latencyMessageBytes = 1024 + 16;
/** Unmeasured load before latency runs: with less, the JIT still compiles through the next run (RESULTS.md). */
const warmUpSeconds = 12;

type Options = {
  seconds: number;
  partitions: number[];
  rate: number;
  profileDir: string | null;
  latencyRounds: number;
};

function parseOptions(argv: string[]): Options {
  const options: Options = {
    seconds: 5,
    partitions: [1, 3],
    rate: 20_000,
    profileDir: null,
    latencyRounds: 0,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ""];
    if (flag === "--seconds") options.seconds = Number(value);
    else if (flag === "--partitions") options.partitions = value.split(",").map(Number);
    else if (flag === "--rate") options.rate = Number(value);
    else if (flag === "--profile") options.profileDir = value;
    else if (flag === "--purge-delay") purgeDelayMs = value === "default" ? null : value;
    else if (flag === "--latency-rounds") options.latencyRounds = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

// ---------------------------------------------------------------- broker process

type Broker = {
  pid: number;
  bootstrap: string;
  metricsUrl: string;
  stop(): Promise<number>;
};

/** The environment `npm start` and the Dockerfile give the broker (see the Dockerfile for why). */
function brokerEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  if (purgeDelayMs === null) delete env.MIMALLOC_PURGE_DELAY;
  else env.MIMALLOC_PURGE_DELAY = purgeDelayMs;
  return env;
}

/** A tmpfs (fdatasync costs nothing there), for the broker run that leaves the disk out. */
const memoryDiskRoot = "/dev/shm";

async function startBroker(profileDir: string | null, dataRoot = tmpdir()): Promise<Broker> {
  const { kafka: kafkaPort, http: httpPort } = await brokerPorts();
  const dataDir = mkdtempSync(join(dataRoot, "chronik-bench-"));
  const profile = profileDir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`] : [];
  const proc = Bun.spawn(
    [
      process.execPath,
      ...profile,
      mainPath,
      ...["--kafka-port", String(kafkaPort), "--http-port", String(httpPort)],
      ...["--bind-addr", "127.0.0.1", "--advertised-addr", "127.0.0.1", "--data-dir", dataDir],
      "standalone",
    ],
    { stdout: "ignore", stderr: "pipe", env: brokerEnv() },
  );
  const stderr = new Response(proc.stderr).text();
  const deadline = performance.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`broker exited ${proc.exitCode}:\n${await stderr}`);
    const ready = await fetch(`http://127.0.0.1:${httpPort}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (performance.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`broker not ready in 15 s:\n${await stderr}`);
    }
    await Bun.sleep(50);
  }
  return {
    pid: proc.pid,
    bootstrap: `127.0.0.1:${kafkaPort}`,
    metricsUrl: `http://127.0.0.1:${httpPort}/metrics`,
    stop: async () => {
      proc.kill("SIGTERM");
      const exitCode = await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
      return exitCode;
    },
  };
}

const nullBrokerPath = join(import.meta.dir, "null-broker.ts");

/**
 * bench/null-broker.ts as its own process: the listener and codec with nothing behind them, or, given a
 * directory, with only a group-committed file behind them.
 */
async function startNullBroker(syncDirectory: string | null): Promise<Omit<Broker, "metricsUrl">> {
  const port = await freePort();
  const sync = syncDirectory === null ? [] : ["--sync-dir", syncDirectory];
  const proc = Bun.spawn([process.execPath, nullBrokerPath, String(port), ...sync], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const line = new TextDecoder().decode(value);
  if (!line.startsWith("ready")) throw new Error(`null broker did not start: ${line}`);
  return {
    pid: proc.pid,
    bootstrap: `127.0.0.1:${port}`,
    stop: async () => {
      proc.kill("SIGTERM");
      return await proc.exited;
    },
  };
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const { user, system } = cpuSecondsOf(pid);
  return user + system;
}

async function scrape(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const at = line.lastIndexOf(" ");
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

// ---------------------------------------------------------------- load generator process

/** Runs one load-generator job and measures the broker's CPU over the same wall-clock span. */
async function measured(broker: Pick<Broker, "pid">, args: string[]) {
  const cpuBefore = cpuSeconds(broker.pid);
  const result = await runLoadGenerator(args);
  return { result, brokerCpuSeconds: cpuSeconds(broker.pid) - cpuBefore };
}

// ---------------------------------------------------------------- the runs

type Row = {
  run: string;
  partitions: number;
  valueBytes: number;
  acks: string;
  messages: number;
  seconds: number;
  payloadBytes: number;
  brokerCpuSeconds: number;
  loadCpuSeconds: number;
  /** acks=-1 produce: the synced-write ceiling measured just before and just after the run, MB/s. */
  diskCeilingMBps?: { before: number; after: number };
  target: string;
};

function row(
  run: string,
  shape: { partitions: number; valueBytes: number; acks: string },
  outcome: { result: LoadResult; brokerCpuSeconds: number },
  target: string,
): Row {
  const { result } = outcome;
  return {
    run,
    ...shape,
    messages: result.delivered ?? result.read ?? 0,
    seconds: result.seconds ?? 0,
    payloadBytes: result.value_bytes ?? 0,
    brokerCpuSeconds: outcome.brokerCpuSeconds,
    loadCpuSeconds: result.cpu_seconds ?? 0,
    target,
  };
}

function verdict(actual: number, goal: number, unit: string, higherIsBetter = true): string {
  const met = higherIsBetter ? actual >= goal : actual <= goal;
  return `${met ? "meets" : "MISSES"} ${higherIsBetter ? "≥" : "≤"} ${goal.toLocaleString("en-US")} ${unit}`;
}

function produceTarget(valueBytes: number, acks: string, msgsPerSecond: number, mbPerSecond: number) {
  if (acks !== "-1") return "";
  if (valueBytes === 100) return verdict(msgsPerSecond, 500_000, "msgs/s");
  return verdict(mbPerSecond, 300, "MB/s");
}

async function produceRun(
  broker: Broker,
  shape: { partitions: number; valueBytes: number; acks: string },
  seconds: number,
) {
  const { partitions, valueBytes, acks } = shape;
  const topic = `bench-p${partitions}-v${valueBytes}-acks${acks === "-1" ? "all" : acks}`;
  await runLoadGenerator(["create", broker.bootstrap, topic, String(partitions)]);
  const args = ["produce", broker.bootstrap, topic, String(valueBytes), acks, String(seconds)];
  // acks=-1 is bounded by the disk: take its synced-write ceiling on either side of the run (half as long each).
  const ceiling = () => syncedWriteCeiling(tmpdir(), seconds / 2, ceilingChunkBytes).megabytesPerSecond;
  const before = acks === "-1" ? ceiling() : Number.NaN;
  const outcome = await measured(broker, args);
  const after = acks === "-1" ? ceiling() : Number.NaN;
  const { delivered = 0, seconds: elapsed = 1, value_bytes: bytes = 0 } = outcome.result;
  const target = produceTarget(valueBytes, acks, delivered / elapsed, bytes / elapsed / megabyte);
  const produced = row("produce", shape, outcome, target);
  if (acks === "-1") produced.diskCeilingMBps = { before, after };
  return { topic, delivered, row: produced };
}

/** Produce runs for every size × acks, then reads the acks=-1 topics back; returns the rows. */
async function throughputRuns(broker: Broker, partitions: number, options: Options): Promise<Row[]> {
  const rows: Row[] = [];
  const consumable: { topic: string; valueBytes: number; messages: number }[] = [];
  for (const valueBytes of [100, 1024]) {
    for (const acks of ["1", "-1"]) {
      const run = await produceRun(broker, { partitions, valueBytes, acks }, options.seconds);
      rows.push(run.row);
      if (acks === "-1") consumable.push({ topic: run.topic, valueBytes, messages: run.delivered });
    }
  }
  for (const { topic, valueBytes, messages } of consumable) {
    const args = ["consume", broker.bootstrap, topic, String(partitions), String(messages)];
    const outcome = await measured(broker, args);
    const { seconds = 1, value_bytes: bytes = 0 } = outcome.result;
    const shape = { partitions, valueBytes, acks: "" };
    rows.push(row("consume", shape, outcome, verdict(bytes / seconds / megabyte, 500, "MB/s")));
    const kcat = await measuredKcat(broker, { topic, messages, valueBytes });
    const kcatBytes = kcat.result.value_bytes ?? 0;
    const kcatSeconds = kcat.result.seconds ?? 1;
    rows.push(row("consume (kcat)", shape, kcat, verdict(kcatBytes / kcatSeconds / megabyte, 500, "MB/s")));
  }
  return rows;
}

/**
 * The same topic read by kcat (librdkafka in C, printing only offsets): the Python consumer spends ~100% of a
 * core in the interpreter per message, so it cannot show what the broker serves. The time is kcat's whole life,
 * connection and metadata included; every offset must arrive, once.
 */
async function measuredKcat(
  broker: Broker,
  read: { topic: string; messages: number; valueBytes: number },
): Promise<Measured> {
  const cpuBefore = cpuSeconds(broker.pid);
  const startedMs = performance.now();
  const proc = Bun.spawn(
    ["kcat", "-C", "-b", broker.bootstrap, "-t", read.topic, "-o", "beginning", "-e", "-q", "-f", "%o\n"],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [exitCode, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  const seconds = (performance.now() - startedMs) / 1000;
  if (exitCode !== 0) throw new Error(`kcat exited ${exitCode}:\n${stderr}`);
  const offsets = stdout.split("\n").filter((line) => line !== "");
  if (offsets.length !== read.messages)
    throw new Error(`kcat read ${offsets.length} messages of ${read.topic}, expected ${read.messages}`);
  const usage = proc.resourceUsage();
  const kcatCpuSeconds = usage ? Number(usage.cpuTime.total) / 1e6 : Number.NaN;
  return {
    result: {
      read: offsets.length,
      seconds,
      value_bytes: offsets.length * read.valueBytes,
      cpu_seconds: kcatCpuSeconds,
    },
    brokerCpuSeconds: cpuSeconds(broker.pid) - cpuBefore,
  };
}

type Measured = { result: LoadResult; brokerCpuSeconds: number };
type LatencyRun = { lingerMs: number; outcome: Measured; brokerProduceMs: { p50: number; p99: number } };

/**
 * The broker's own Produce latency over a span, from its histogram: the upper bound of the bucket each
 * quantile falls in (so "≤ X ms"), which separates time inside the broker from time in the client and kernel.
 */
function produceQuantilesMs(before: Map<string, number>, after: Map<string, number>) {
  const byBound = new Map<number, number>();
  for (const [name, value] of after) {
    const match = /^kafka_request_latency_seconds_bucket\{api="Produce",.*le="([^"]+)"\}$/.exec(name);
    if (!match) continue;
    const bound = match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]);
    byBound.set(bound, (byBound.get(bound) ?? 0) + value - (before.get(name) ?? 0));
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  const total = byBound.get(Number.POSITIVE_INFINITY) ?? 0;
  const quantile = (q: number) =>
    1000 * (bounds.find((bound) => (byBound.get(bound) ?? 0) >= q * total) ?? Number.NaN);
  return { p50: quantile(0.5), p99: quantile(0.99) };
}

/** The generator's latency mode: 1 KiB values, acks=-1, at a steady rate. */
function latencyArgs(bootstrap: string, topic: string, rate: number, seconds: number, lingerMs: number) {
  return ["latency", bootstrap, topic, "1024", "-1", String(rate), String(seconds), String(lingerMs)];
}

/** One latency run against the broker, with its own Produce histogram over the same span. */
async function brokerLatencyRun(broker: Broker, topic: string, options: Options, lingerMs: number) {
  const before = await scrape(broker.metricsUrl);
  const outcome = await measured(
    broker,
    latencyArgs(broker.bootstrap, topic, options.rate, options.seconds, lingerMs),
  );
  const after = await scrape(broker.metricsUrl);
  return { lingerMs, outcome, brokerProduceMs: produceQuantilesMs(before, after) };
}

/** The disk's ceiling at the latency run's rate: an ideal in-process group commit, no client or network. */
function diskLatencyCeiling(options: Options): Promise<LatencyQuantiles> {
  return groupCommitCeiling(tmpdir(), {
    messagesPerSecond: options.rate,
    seconds: options.seconds,
    messageBytes: latencyMessageBytes,
  });
}

/**
 * The client's floor: the same generator against bench/null-broker.ts, which answers every Produce at once
 * (syncDirectory null) or once it is fdatasynced to a file there. It is warmed up first (JIT), as the broker is
 * by the runs before it.
 */
async function withNullBroker<T>(
  options: Options,
  syncDirectory: string | null,
  use: (floor: () => Promise<Measured>) => Promise<T>,
) {
  const nullBroker = await startNullBroker(syncDirectory);
  try {
    await runLoadGenerator(latencyArgs(nullBroker.bootstrap, "warm-up", options.rate, warmUpSeconds, 0));
    return await use(() =>
      measured(nullBroker, latencyArgs(nullBroker.bootstrap, "floor", options.rate, options.seconds, 0)),
    );
  } finally {
    await nullBroker.stop();
  }
}

/**
 * 1 KiB at a steady rate with acks=-1 on one partition, with linger.ms 0 and 5 (linger alone adds up to 5 ms),
 * then the first topic read back: it holds many small batches, unlike the throughput topics. The rate runs
 * unmeasured for warmUpSeconds first, as in the latency rounds: the target is for a steady rate, and in the
 * first ~10–20 s after the throughput runs p99 is 1–2 ms higher (RESULTS.md, 2026-12-02 evening).
 */
async function latencyRuns(broker: Broker, options: Options) {
  const runs: LatencyRun[] = [];
  const ceiling = await diskLatencyCeiling(options);
  const floor = await withNullBroker(options, null, (floor) => floor());
  for (const lingerMs of [0, 5]) {
    const topic = `bench-latency-linger${lingerMs}`;
    await runLoadGenerator(["create", broker.bootstrap, topic, "1"]);
    if (lingerMs === 0) {
      await runLoadGenerator(latencyArgs(broker.bootstrap, topic, options.rate, warmUpSeconds, lingerMs));
    }
    runs.push(await brokerLatencyRun(broker, topic, options, lingerMs));
  }
  const delivered = String(runs[0]?.outcome.result.delivered ?? 0);
  const consumed = await measured(broker, [
    "consume",
    broker.bootstrap,
    "bench-latency-linger0",
    "1",
    delivered,
  ]);
  const { seconds = 1, value_bytes: bytes = 0 } = consumed.result;
  const target = verdict(bytes / seconds / megabyte, 500, "MB/s");
  return {
    runs,
    ceiling,
    floor,
    row: row("consume (small batches)", { partitions: 1, valueBytes: 1024, acks: "" }, consumed, target),
  };
}

// ---------------------------------------------------------------- printing

const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printThroughput(rows: readonly Row[]) {
  console.log(
    "| run | partitions | value | acks | messages | seconds | msgs/s | MB/s | disk ceiling MB/s before / after | " +
      "broker CPU | load-gen CPU | target |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of rows) {
    const cpu = (cpuSeconds: number) => `${fmt((100 * cpuSeconds) / r.seconds)}%`;
    const ceiling = r.diskCeilingMBps
      ? `${fmt(r.diskCeilingMBps.before)} / ${fmt(r.diskCeilingMBps.after)}`
      : "";
    console.log(
      `| ${r.run} | ${r.partitions} | ${r.valueBytes} B | ${r.acks === "-1" ? "all" : r.acks} | ` +
        `${fmt(r.messages)} | ${fmt(r.seconds, 2)} | ${fmt(r.messages / r.seconds)} | ` +
        `${fmt(r.payloadBytes / r.seconds / megabyte, 1)} | ${ceiling} | ${cpu(r.brokerCpuSeconds)} | ` +
        `${cpu(r.loadCpuSeconds)} | ${r.target} |`,
    );
  }
  console.log(
    `\nDisk ceiling: sequential ${ceilingChunkBytes / 1024 / 1024} MiB writes each followed by fdatasync, ` +
      "for half a run's length just before and just after each acks=all run (payload MB/s; the broker also " +
      "writes ~7% framing). consume (kcat): the same topic read by kcat, whole process lifetime.",
  );
}

function printLatency(runs: readonly LatencyRun[], ceiling: LatencyQuantiles, floor: Measured, rate: number) {
  console.log(
    "| linger.ms | offered msgs/s | achieved msgs/s | delivered | p50 ms | p99 ms | p99.9 ms | max ms | " +
      "broker Produce p50/p99 ms | gen behind ms | broker CPU | load-gen CPU | target |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const { lingerMs, outcome, brokerProduceMs } of runs) {
    const r = outcome.result;
    const cpu = (cpuSeconds: number) => `${fmt((100 * cpuSeconds) / (r.seconds ?? 1))}%`;
    console.log(
      `| ${lingerMs} | ${fmt(r.offered_rate ?? 0)} | ${fmt(r.achieved_rate ?? 0)} | ${fmt(r.delivered ?? 0)} | ` +
        `${fmt(r.p50_ms ?? 0, 2)} | ${fmt(r.p99_ms ?? 0, 2)} | ${fmt(r.p999_ms ?? 0, 2)} | ${fmt(r.max_ms ?? 0, 2)} | ` +
        `≤ ${fmt(brokerProduceMs.p50, 2)} / ≤ ${fmt(brokerProduceMs.p99, 2)} | ` +
        `${fmt(r.generator_behind_max_ms ?? 0, 1)} | ${cpu(outcome.brokerCpuSeconds)} | ${cpu(r.cpu_seconds ?? 0)} | ` +
        `${verdict(r.p99_ms ?? 0, 2, "ms", false)} |`,
    );
  }
  console.log(
    `| ceiling | ${fmt(rate)} | | | ${fmt(ceiling.p50Ms, 2)} | ${fmt(ceiling.p99Ms, 2)} | ` +
      `${fmt(ceiling.p999Ms, 2)} | ${fmt(ceiling.maxMs, 2)} | | | | | ideal group commit, same disk |`,
  );
  const f = floor.result;
  const floorCpu = (cpuSeconds: number) => `${fmt((100 * cpuSeconds) / (f.seconds ?? 1))}%`;
  console.log(
    `| floor | ${fmt(rate)} | ${fmt(f.achieved_rate ?? 0)} | ${fmt(f.delivered ?? 0)} | ${fmt(f.p50_ms ?? 0, 2)} | ` +
      `${fmt(f.p99_ms ?? 0, 2)} | ${fmt(f.p999_ms ?? 0, 2)} | ${fmt(f.max_ms ?? 0, 2)} | | ` +
      `${fmt(f.generator_behind_max_ms ?? 0, 1)} | ${floorCpu(floor.brokerCpuSeconds)} | ` +
      `${floorCpu(f.cpu_seconds ?? 0)} | client + loopback, null broker |`,
  );
  console.log(
    "\nLatency: produce() → delivery callback (time.perf_counter per message), 1 KiB values, acks=all, " +
      `1 partition, after ${warmUpSeconds} s at the same rate unmeasured. Broker Produce = its request-latency ` +
      "histogram over the run (bucket upper bounds). " +
      "'gen behind' = how far the Python generator fell behind its send schedule at worst. Ceiling: an " +
      "in-process loop with no network or broker, messages arriving at the same rate in 1 ms slices, each " +
      "covered by the next single fdatasync, zeros written ahead as the broker does " +
      "(bench/disk-ceilings.ts), measured just before the runs. Floor: the same generator and linger.ms 0 " +
      "against bench/null-broker.ts (real listener and codec, answers each Produce at once: no log, no fsync).",
  );
}

function printMetrics(before: Map<string, number>, after: Map<string, number>, rows: readonly Row[]) {
  const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const produced = rows.filter((r) => r.run === "produce").reduce((sum, r) => sum + r.payloadBytes, 0);
  const consumed = rows
    .filter((r) => r.run.startsWith("consume"))
    .reduce((sum, r) => sum + r.payloadBytes, 0);
  const received = delta("kafka_bytes_received_total");
  const sent = delta("kafka_bytes_sent_total");
  const requests = [...after.keys()].filter((name) => name.startsWith("kafka_requests_total{"));
  console.log("| broker metric (delta over the bench) | value | client-side payload | ratio |");
  console.log("|---|---:|---:|---:|");
  console.log(
    `| kafka_bytes_received_total | ${fmt(received)} | ${fmt(produced)} produced | ${fmt(received / produced, 3)} |`,
  );
  console.log(
    `| kafka_bytes_sent_total | ${fmt(sent)} | ${fmt(consumed)} consumed | ${fmt(sent / consumed, 3)} |`,
  );
  console.log(`| kafka_connections_opened_total | ${fmt(delta("kafka_connections_opened_total"))} | | |`);
  for (const name of requests) console.log(`| ${name} | ${fmt(delta(name))} | | |`);
}

// ---------------------------------------------------------------- main

function printPreamble(options: Options, fsyncProbe: LoadResult) {
  console.log(
    `chronik-server standalone, Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores shared by the broker ` +
      `AND the librdkafka load generator (confluent-kafka, its own process). fdatasync before every ack ` +
      `(flush.messages=1). ~${options.seconds} s per produce run, linger.ms=5, batch.size=1 MB, no compression. ` +
      `MB = 10^6 payload bytes. CPU: 100% = one core. MIMALLOC_PURGE_DELAY=${purgeDelayMs ?? "(Bun's default)"}.` +
      `${options.profileDir ? " BROKER UNDER CPU PROFILER." : ""}`,
  );
  console.log(
    `This disk (${tmpdir()}): 4 KiB write + fdatasync p50 ${fmt(fsyncProbe.p50_ms ?? 0, 3)} ms, ` +
      `p99 ${fmt(fsyncProbe.p99_ms ?? 0, 3)} ms.\n`,
  );
}

async function fullRuns(broker: Broker, options: Options) {
  const before = await scrape(broker.metricsUrl);
  const rows: Row[] = [];
  for (const partitions of options.partitions)
    rows.push(...(await throughputRuns(broker, partitions, options)));
  const latency = await latencyRuns(broker, options);
  rows.push(latency.row);
  const after = await scrape(broker.metricsUrl);
  printPreamble(options, await runLoadGenerator(["fsync", tmpdir(), "300"]));
  printThroughput(rows);
  console.log("");
  printLatency(latency.runs, latency.ceiling, latency.floor, options.rate);
  console.log("");
  printMetrics(before, after, rows);
}

/** Under the profiler: only the acks=-1 produce runs on one partition, so the profile is the produce path. */
async function profileRuns(broker: Broker, options: Options) {
  const rows: Row[] = [];
  for (const valueBytes of [1024, 100])
    rows.push((await produceRun(broker, { partitions: 1, valueBytes, acks: "-1" }, options.seconds)).row);
  printPreamble(options, await runLoadGenerator(["fsync", tmpdir(), "300"]));
  printThroughput(rows);
  console.log(`\nThe profile is written to ${options.profileDir} when the broker exits.`);
}

/**
 * Latency only, in rounds: the disk's ceiling, the client's floor, the client's floor with a synced file
 * behind it and the broker (linger.ms 0) one after the other, so each round's figures saw the same minute of
 * this machine's disk and CPU.
 */
async function latencyRoundRuns(broker: Broker, options: Options) {
  const topic = "bench-latency-rounds";
  await runLoadGenerator(["create", broker.bootstrap, topic, "1"]);
  await runLoadGenerator(latencyArgs(broker.bootstrap, topic, options.rate, warmUpSeconds, 0));
  const memoryBroker = existsSync(memoryDiskRoot) ? await startBroker(null, memoryDiskRoot) : null;
  if (memoryBroker !== null) {
    await runLoadGenerator(["create", memoryBroker.bootstrap, topic, "1"]);
    await runLoadGenerator(latencyArgs(memoryBroker.bootstrap, topic, options.rate, warmUpSeconds, 0));
  }
  const syncDirectory = mkdtempSync(join(tmpdir(), "chronik-null-sync-"));
  const rounds = await withNullBroker(options, null, (floor) =>
    withNullBroker(options, syncDirectory, async (syncedFloor) => {
      const measuredRounds = [];
      for (let round = 1; round <= options.latencyRounds; round++) {
        const ceiling = await diskLatencyCeiling(options);
        const nullBroker = await floor();
        const syncedNullBroker = await syncedFloor();
        const run = await brokerLatencyRun(broker, topic, options, 0);
        const inMemory =
          memoryBroker === null ? null : await brokerLatencyRun(memoryBroker, topic, options, 0);
        measuredRounds.push({
          round,
          ceiling,
          floor: nullBroker.result,
          synced: syncedNullBroker.result,
          run,
          inMemory,
        });
      }
      return measuredRounds;
    }),
  ).finally(async () => {
    rmSync(syncDirectory, { recursive: true, force: true });
    await memoryBroker?.stop();
  });
  console.log(
    `chronik-server standalone, Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores shared with the ` +
      `generator; ${fmt(options.rate)} msgs/s of 1 KiB, acks=all, linger.ms 0, one partition, ` +
      `${options.seconds} s per run after ${warmUpSeconds} s of warm-up. Milliseconds, p50 / p99 / p99.9. ` +
      `"broker, log on tmpfs": a second broker whose data dir is in ${memoryDiskRoot} (its fdatasync costs ` +
      "nothing), measured right after the first.\n",
  );
  console.log(
    "| round | disk ceiling | client floor | client + fsync floor | broker | broker Produce p50/p99 | " +
      "broker CPU | broker, log on tmpfs | its CPU | target |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  const quantiles = (p50: number, p99: number, p999: number) =>
    `${fmt(p50, 2)} / ${fmt(p99, 2)} / ${fmt(p999, 2)}`;
  const cpu = (run: { outcome: { brokerCpuSeconds: number; result: LoadResult } }) =>
    `${fmt((100 * run.outcome.brokerCpuSeconds) / (run.outcome.result.seconds ?? 1))}%`;
  for (const { round, ceiling, floor, synced, run, inMemory } of rounds) {
    const r = run.outcome.result;
    const m = inMemory?.outcome.result;
    console.log(
      `| ${round} | ${quantiles(ceiling.p50Ms, ceiling.p99Ms, ceiling.p999Ms)} | ` +
        `${quantiles(floor.p50_ms ?? 0, floor.p99_ms ?? 0, floor.p999_ms ?? 0)} | ` +
        `${quantiles(synced.p50_ms ?? 0, synced.p99_ms ?? 0, synced.p999_ms ?? 0)} | ` +
        `${quantiles(r.p50_ms ?? 0, r.p99_ms ?? 0, r.p999_ms ?? 0)} | ` +
        `≤ ${fmt(run.brokerProduceMs.p50, 2)} / ≤ ${fmt(run.brokerProduceMs.p99, 2)} | ${cpu(run)} | ` +
        `${m === undefined || inMemory === null ? "—" : quantiles(m.p50_ms ?? 0, m.p99_ms ?? 0, m.p999_ms ?? 0)} | ` +
        `${inMemory === null ? "—" : cpu(inMemory)} | ${verdict(r.p99_ms ?? 0, 2, "ms", false)} |`,
    );
  }
}

const options = parseOptions(process.argv.slice(2));
const startedMs = performance.now();
const broker = await startBroker(options.profileDir);
let exitCode = 0;
try {
  if (options.profileDir) await profileRuns(broker, options);
  else if (options.latencyRounds > 0) await latencyRoundRuns(broker, options);
  else await fullRuns(broker, options);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  const brokerExit = await broker.stop();
  if (brokerExit !== 0) {
    console.error(`broker exited with ${brokerExit}`);
    exitCode = 1;
  }
}
console.log(`\nbench took ${fmt((performance.now() - startedMs) / 1000, 1)} s`);
process.exit(exitCode);
