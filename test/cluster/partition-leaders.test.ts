// Proves the leaders table answers who leads from the freshest knowledge: a local replica's own view, a peer's
// report of a higher epoch over an older one, the ISR a report fills in for a follower, and nothing from a
// node that stopped reporting once its reports expire.

import { expect, test } from "bun:test";
import { PartitionLeaders } from "../../src/cluster/partition-leaders.ts";

const report = (leaderId: number, leaderEpoch: number, isr: number[]) => ({
  topicId: "t",
  partition: 0,
  leaderId,
  leaderEpoch,
  isr,
});

test("a local leader answers for itself; unknown partitions have no leader", () => {
  const leaders = new PartitionLeaders(5_000);
  expect(leaders.lookup("t", 0, { leaderId: 1, leaderEpoch: 3, isr: [1, 2] }, 0)).toEqual({
    leaderId: 1,
    leaderEpoch: 3,
    isr: [1, 2],
  });
  expect(leaders.lookup("t", 1, undefined, 0)).toBeNull();
});

test("a follower learns the ISR from its leader's report of the same epoch", () => {
  const leaders = new PartitionLeaders(5_000);
  leaders.received(2, [report(2, 4, [2, 3])], 0);
  expect(leaders.lookup("t", 0, { leaderId: 2, leaderEpoch: 4, isr: [] }, 100)).toEqual({
    leaderId: 2,
    leaderEpoch: 4,
    isr: [2, 3],
  });
  // Without a report, the leader alone stands for the ISR.
  expect(
    new PartitionLeaders(5_000).lookup("t", 0, { leaderId: 2, leaderEpoch: 4, isr: [] }, 0)!.isr,
  ).toEqual([2]);
});

test("the highest epoch wins; a node's reports expire after the TTL", () => {
  const leaders = new PartitionLeaders(5_000);
  leaders.received(1, [report(1, 2, [1, 2, 3])], 0);
  leaders.received(3, [report(3, 5, [3, 2])], 1_000);
  expect(leaders.lookup("t", 0, undefined, 2_000)!.leaderId).toBe(3);
  // Node 3 goes silent; node 1 keeps reporting (stale epoch): after the TTL only node 1's report remains.
  leaders.received(1, [report(1, 2, [1, 2, 3])], 6_500);
  expect(leaders.lookup("t", 0, undefined, 6_500)!.leaderId).toBe(1);
  // A local view of a newer epoch beats every report.
  expect(leaders.lookup("t", 0, { leaderId: 2, leaderEpoch: 6, isr: [] }, 6_500)!.leaderId).toBe(2);
  // A full list replaces what a node said before: node 1 no longer leads it.
  leaders.received(1, [], 7_000);
  expect(leaders.lookup("t", 0, undefined, 7_000)).toBeNull();
});
