// Checks the checkers: each deliberately broken core variant is caught by the simulator's invariants within a
// bounded number of seeds, while the correct core passes the very same seeds.
import { describe, expect, test } from "bun:test";
import type { TestingOnlyBug } from "../../src/raft/core/config.ts";
import type { SimulationResult } from "./simulator.ts";
import { runSimulation } from "./simulator.ts";

function firstCaught(
  bug: TestingOnlyBug,
  chaosSteps: number,
  seedsMax: number,
): SimulationResult | undefined {
  for (let seed = 1; seed <= seedsMax; seed++) {
    const result = runSimulation({
      seed,
      nodeCount: 3,
      chaosSteps,
      livenessTicksMax: 200,
      testingOnlyBug: bug,
    });
    if (!result.ok && result.failure?.startsWith("SafetyViolation")) return result;
  }
  return undefined;
}

describe("the simulator catches broken cores", () => {
  test("not persisting the vote lets two leaders win one term, within 100 seeds", () => {
    const caught = firstCaught("skipVotePersist", 20000, 100);
    expect(caught?.failure).toMatch(/election safety|log matching|leader completeness|state machine safety/);
    const fixed = runSimulation({
      seed: caught!.seed,
      nodeCount: 3,
      chaosSteps: 3000,
      livenessTicksMax: 200,
    });
    expect(fixed.ok).toBe(true);
  });

  test("committing an earlier epoch's entry by counting replicas (figure 8) is caught within 100 seeds", () => {
    const caught = firstCaught("commitOldTermByCount", 20000, 100);
    expect(caught?.failure).toMatch(/leader completeness|state machine safety|log matching/);
    const fixed = runSimulation({
      seed: caught!.seed,
      nodeCount: 3,
      chaosSteps: 20000,
      livenessTicksMax: 200,
    });
    expect(fixed.ok).toBe(true);
  }, 60_000);
});
