// Runs the whole-node simulator (test/sim/node) over many seeds in parallel child processes, printing each
// failure with a one-line replay command and the totals of the faults injected. Usage:
//   bun scripts/node-sim.ts --seeds 1000 [--first 1] [--parallel 2] [--chaos-ms 12000] [--bug NAME]
//   bun scripts/node-sim.ts --seed 42 [--chaos-ms 12000] [--bug NAME]   (replays one seed, prints its stats)
import type { RaftGroupTestingBug } from "../src/raft/node/index.ts";
import {
  defaultNodeSimulation,
  type NodeSimulationResult,
  type NodeSimulationStats,
  runNodeSimulation,
} from "../test/sim/node/node-simulator.ts";

interface Args {
  seeds: number;
  first: number;
  parallel: number;
  chaosMs: number;
  seed: number | undefined;
  bug: RaftGroupTestingBug | undefined;
  worker: boolean;
}

const bugs: readonly RaftGroupTestingBug[] = ["followerAckBeforeFsync", "readsPastCommit"];

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seeds: 100,
    first: 1,
    parallel: 2,
    chaosMs: defaultNodeSimulation.chaosMs,
    seed: undefined,
    bug: undefined,
    worker: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    if (name === "--worker") {
      args.worker = true;
      continue;
    }
    const value = argv[++index] ?? "";
    const number = Number(value);
    if (name !== "--bug" && !Number.isSafeInteger(number)) throw new Error(`${name} needs a whole number`);
    if (name === "--seeds") args.seeds = number;
    else if (name === "--first") args.first = number;
    else if (name === "--parallel") args.parallel = Math.max(1, number);
    else if (name === "--chaos-ms") args.chaosMs = number;
    else if (name === "--seed") args.seed = number;
    else if (name === "--bug") {
      if (!bugs.includes(value as RaftGroupTestingBug)) throw new Error(`--bug is one of ${bugs.join(", ")}`);
      args.bug = value as RaftGroupTestingBug;
    } else throw new Error(`unknown argument ${name}`);
  }
  return args;
}

export function runNodeSeed(
  seed: number,
  options: { chaosMs?: number; bug?: RaftGroupTestingBug } = {},
): Promise<NodeSimulationResult> {
  return runNodeSimulation({
    ...defaultNodeSimulation,
    seed,
    chaosMs: options.chaosMs ?? defaultNodeSimulation.chaosMs,
    ...(options.bug === undefined ? {} : { testingOnlyBug: options.bug }),
  });
}

export function nodeReplayCommand(seed: number, options: { chaosMs?: number; bug?: string } = {}): string {
  const chaos = options.chaosMs === undefined ? "" : ` --chaos-ms ${options.chaosMs}`;
  const bug = options.bug === undefined ? "" : ` --bug ${options.bug}`;
  return `bun scripts/node-sim.ts --seed ${seed}${chaos}${bug}`;
}

function addStats(total: Record<string, number>, stats: NodeSimulationStats): void {
  for (const [name, value] of Object.entries(stats)) total[name] = (total[name] ?? 0) + value;
}

/** Runs seeds first… in `workers` child processes (one JSON line per seed each) and returns every result. */
export async function runSeedsInWorkers(
  first: number,
  count: number,
  workers: number,
  options: { chaosMs?: number; bug?: RaftGroupTestingBug } = {},
): Promise<NodeSimulationResult[]> {
  const per = Math.ceil(count / workers);
  const children = [];
  for (let worker = 0; worker < workers; worker++) {
    const from = first + worker * per;
    const seeds = Math.min(per, first + count - from);
    if (seeds <= 0) continue;
    const command = [
      process.execPath,
      import.meta.path,
      "--worker",
      "--first",
      `${from}`,
      "--seeds",
      `${seeds}`,
    ];
    if (options.chaosMs !== undefined) command.push("--chaos-ms", `${options.chaosMs}`);
    if (options.bug !== undefined) command.push("--bug", options.bug);
    children.push(Bun.spawn(command, { stdout: "pipe", stderr: "inherit" }));
  }
  const results: NodeSimulationResult[] = [];
  for (const child of children) {
    const output = await new Response(child.stdout).text();
    const exitCode = await child.exited;
    if (exitCode !== 0) throw new Error(`a simulator worker exited with ${exitCode}`);
    for (const line of output.split("\n")) if (line.trim() !== "") results.push(JSON.parse(line));
  }
  return results;
}

async function main(): Promise<void> {
  const args = parseArgs(Bun.argv.slice(2));
  const options = { chaosMs: args.chaosMs, ...(args.bug === undefined ? {} : { bug: args.bug }) };
  if (args.seed !== undefined) {
    const result = await runNodeSeed(args.seed, options);
    console.log(JSON.stringify(result, null, 2));
    process.exit(result.ok ? 0 : 1);
  }
  if (args.worker) {
    // A worker prints one JSON line per seed.
    for (let seed = args.first; seed < args.first + args.seeds; seed++) {
      console.log(JSON.stringify(await runNodeSeed(seed, options)));
    }
    return;
  }
  const started = performance.now();
  const results = await runSeedsInWorkers(args.first, args.seeds, args.parallel, options);
  const total: Record<string, number> = {};
  let failures = 0;
  for (const result of results) {
    addStats(total, result.stats);
    if (result.ok) continue;
    failures += 1;
    console.log(`seed ${result.seed} failed at ${result.atMs} ms: ${result.failure}`);
    console.log(`  replay: ${nodeReplayCommand(result.seed, options)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`totals: ${JSON.stringify(total)}`);
  console.log(`${args.seeds} seeds, ${failures} failed, ${seconds.toFixed(1)} s`);
  process.exit(failures === 0 ? 0 : 1);
}

if (import.meta.main) await main();
