// Runs the deterministic Raft simulator over many seeds in parallel child processes and prints each failure
// with a one-line replay command. Usage:
//   bun scripts/sim.ts --seeds 1000 [--first 1] [--nodes 3|5] [--parallel 2] [--steps 3000] [--bug NAME]
//   bun scripts/sim.ts --seed 42 [--nodes 5]            (replays one seed and prints its stats)
import type { TestingOnlyBug } from "../src/raft/core/config.ts";
import type { SimulationResult } from "../test/sim/simulator.ts";
import { defaultSimulation, runSimulation } from "../test/sim/simulator.ts";

interface Args {
  seeds: number;
  first: number;
  nodes: 3 | 5;
  parallel: number;
  steps: number;
  seed: number | undefined;
  bug: TestingOnlyBug | undefined;
  worker: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seeds: 100,
    first: 1,
    nodes: 3,
    parallel: 2,
    steps: 3000,
    seed: undefined,
    bug: undefined,
    worker: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = argv[index + 1] ?? "";
    const number = Number(value);
    if (name === "--worker") {
      args.worker = true;
      continue;
    }
    index += 1;
    if (name === "--seeds") args.seeds = number;
    else if (name === "--first") args.first = number;
    else if (name === "--nodes") args.nodes = number === 5 ? 5 : 3;
    else if (name === "--parallel") args.parallel = Math.max(1, number);
    else if (name === "--steps") args.steps = number;
    else if (name === "--seed") args.seed = number;
    else if (name === "--bug") args.bug = value as TestingOnlyBug;
    else throw new Error(`unknown argument ${name}`);
  }
  return args;
}

function runOne(args: Args, seed: number): SimulationResult {
  return runSimulation({
    seed,
    nodeCount: args.nodes,
    chaosSteps: args.steps,
    livenessTicksMax: defaultSimulation.livenessTicksMax,
    ...(args.bug === undefined ? {} : { testingOnlyBug: args.bug }),
  });
}

function replayCommand(args: Args, seed: number): string {
  const bug = args.bug === undefined ? "" : ` --bug ${args.bug}`;
  return `bun scripts/sim.ts --seed ${seed} --nodes ${args.nodes} --steps ${args.steps}${bug}`;
}

async function main(): Promise<void> {
  const args = parseArgs(Bun.argv.slice(2));
  if (args.seed !== undefined) {
    const result = runOne(args, args.seed);
    console.log(JSON.stringify(result, null, 2));
    process.exit(result.ok ? 0 : 1);
  }
  if (args.worker) {
    // A worker prints one JSON line per failing seed.
    for (let seed = args.first; seed < args.first + args.seeds; seed++) {
      const result = runOne(args, seed);
      if (!result.ok) console.log(JSON.stringify({ seed, failure: result.failure, step: result.step }));
    }
    return;
  }
  const started = performance.now();
  const per = Math.ceil(args.seeds / args.parallel);
  const children = [];
  for (let worker = 0; worker < args.parallel; worker++) {
    const first = args.first + worker * per;
    const count = Math.min(per, args.first + args.seeds - first);
    if (count <= 0) continue;
    const command = [
      process.execPath,
      import.meta.path,
      "--worker",
      "--first",
      `${first}`,
      "--seeds",
      `${count}`,
    ];
    command.push("--nodes", `${args.nodes}`, "--steps", `${args.steps}`);
    if (args.bug !== undefined) command.push("--bug", args.bug);
    children.push(Bun.spawn(command, { stdout: "pipe", stderr: "inherit" }));
  }
  let failures = 0;
  for (const child of children) {
    const output = await new Response(child.stdout).text();
    for (const line of output.split("\n")) {
      if (line.trim() === "") continue;
      const failure = JSON.parse(line) as { seed: number; failure: string; step: number };
      failures += 1;
      console.log(`seed ${failure.seed} failed at step ${failure.step}: ${failure.failure}`);
      console.log(`  replay: ${replayCommand(args, failure.seed)}`);
    }
    await child.exited;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${args.seeds} seeds, ${args.nodes} nodes, ${failures} failed, ${seconds.toFixed(1)} s`);
  process.exit(failures === 0 ? 0 : 1);
}

await main();
