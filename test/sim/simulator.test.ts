// Proves the Raft core safe and live under the deterministic simulator: hundreds of seeds of 3- and 5-node
// clusters with drops, duplicates, delays, partitions, crashes (torn tails), skew, compaction and membership
// changes, with every invariant checked after every step and progress demanded once healed; and one seed
// replays exactly.
import { describe, expect, test } from "bun:test";
import type { SimulationResult } from "./simulator.ts";
import { defaultSimulation, runSimulation } from "./simulator.ts";

function runSeeds(nodeCount: 3 | 5, first: number, count: number): SimulationResult[] {
  const results: SimulationResult[] = [];
  for (let seed = first; seed < first + count; seed++) {
    results.push(runSimulation({ ...defaultSimulation, seed, nodeCount }));
  }
  return results;
}

/** One line per failing seed, with the command that replays it. */
function failures(results: readonly SimulationResult[], nodeCount: 3 | 5): string[] {
  return results
    .filter((result) => !result.ok)
    .map(
      (result) =>
        `seed ${result.seed} step ${result.step}: ${result.failure} — replay: bun scripts/sim.ts --seed ${result.seed} --nodes ${nodeCount}`,
    );
}

describe("simulator", () => {
  test("500 seeds of three nodes keep every invariant and make progress once healed", () => {
    const results = runSeeds(3, 1, 500);
    expect(failures(results, 3)).toEqual([]);
    const total = (pick: (result: SimulationResult) => number) =>
      results.reduce((sum, result) => sum + pick(result), 0);
    // The faults really happened, and work really got committed.
    expect(total((result) => result.stats.crashes)).toBeGreaterThan(300);
    expect(total((result) => result.stats.tornCrashes)).toBeGreaterThan(30);
    expect(total((result) => result.stats.partitions)).toBeGreaterThan(1000);
    expect(total((result) => result.stats.compactions)).toBeGreaterThan(100);
    expect(total((result) => result.stats.configChanges)).toBeGreaterThan(100);
    expect(total((result) => result.stats.writeAheads)).toBeGreaterThan(10_000);
    expect(total((result) => (result.stats.committedOffset > 100 ? 1 : 0))).toBeGreaterThan(200);
  });

  test("200 seeds of five nodes keep every invariant and make progress once healed", () => {
    expect(failures(runSeeds(5, 1001, 200), 5)).toEqual([]);
  });

  test("20 long seeds (10× the chaos steps) of three nodes keep every invariant", () => {
    const results: SimulationResult[] = [];
    for (let seed = 5001; seed <= 5020; seed++) {
      results.push(runSimulation({ ...defaultSimulation, chaosSteps: 30_000, seed }));
    }
    expect(failures(results, 3)).toEqual([]);
  });

  test("a seed replays exactly", () => {
    const first = runSimulation({ ...defaultSimulation, seed: 4242 });
    const again = runSimulation({ ...defaultSimulation, seed: 4242 });
    expect(again).toEqual(first);
    const other = runSimulation({ ...defaultSimulation, seed: 4243 });
    expect(other.stats).not.toEqual(first.stats);
  });
});
