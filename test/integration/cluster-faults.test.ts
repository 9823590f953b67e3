// Proves that three real nodes lose nothing acknowledged under kill -9, SIGSTOP, a one-way cut and an isolated
// node, with links passing through fault proxies: after the heal every message an idempotent acks=all producer
// had acknowledged is in the log exactly once, offsets only grow, what consumers read is still where they read it,
// and the group's committed offsets are never ahead of what its consumers read.
import { expect, test } from "bun:test";
import { runFaults } from "../support/fault-run.ts";

test("a short fault run: kill, pause, one-way cut and isolation of nodes (half of them leaders) lose nothing", async () => {
  const report = await runFaults({
    seed: 19,
    workloadMs: 40_000,
    faultMs: [2_000, 4_000],
    gapMs: [1_000, 2_000],
    kinds: ["pause", "oneWayOut", "kill", "isolate", "oneWayIn", "cutLink"],
  });
  expect(report.faults.length).toBeGreaterThanOrEqual(4);
  expect(report.acknowledged).toBeGreaterThan(1_000);
  expect(report.lost).toEqual([]);
  expect(report.duplicated).toEqual([]);
  expect(report.offsetDisorders).toEqual([]);
  expect(report.rewrittenReads).toEqual([]);
  expect(report.commitsAhead).toEqual([]);
  expect(report.consumerReads).toBeGreaterThan(0);
  expect(report.consumerCommits).toBeGreaterThan(0);
}, 150_000);
