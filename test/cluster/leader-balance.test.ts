// Proves the leader-balance decision: a partition's leader hands over to the preferred replica only when that
// replica is live and caught up, and only when the preferred broker's imbalance exceeds the per-broker
// percentage (Kafka's leader.imbalance.per.broker.percentage, strictly above, leaderless partitions counted);
// a node only ever moves the partitions it leads, and at most transfersMax of them per check.
import { describe, expect, test } from "bun:test";
import {
  isImbalanced,
  type PartitionLeaderView,
  planLeaderBalance,
  preferredElection,
} from "../../src/cluster/leader-balance.ts";

function partition(index: number, replicas: number[], leaderId: number | null): PartitionLeaderView {
  return { topicId: "t", partition: index, replicas, leaderId };
}

describe("preferredElection", () => {
  test("not needed when the preferred replica leads", () => {
    expect(preferredElection(partition(0, [2, 1, 3], 2), { live: true, caughtUp: true })).toEqual({
      kind: "notNeeded",
    });
  });

  test("the preferred replica takes over only when live and caught up", () => {
    const p = partition(0, [2, 1, 3], 1);
    expect(preferredElection(p, { live: false, caughtUp: true })).toEqual({
      kind: "unavailable",
      reason: "preferred replica 2 is not alive",
    });
    expect(preferredElection(p, { live: true, caughtUp: false })).toEqual({
      kind: "unavailable",
      reason: "preferred replica 2 is not in sync",
    });
    expect(preferredElection(p, { live: true, caughtUp: true })).toEqual({ kind: "transfer", target: 2 });
  });
});

describe("planLeaderBalance", () => {
  const everyoneReady = { isLive: () => true, canTakeOver: () => true };

  test("node 2 returns after its partitions moved: each leader hands back only the ones it leads", () => {
    // Six partitions, two preferring each node; node 2's went to node 1 (p2) and node 3 (p3) while it was away.
    const partitions = [
      partition(0, [1, 2, 3], 1),
      partition(1, [1, 3, 2], 1),
      partition(2, [2, 3, 1], 1),
      partition(3, [2, 1, 3], 3),
      partition(4, [3, 1, 2], 3),
      partition(5, [3, 2, 1], 3),
    ];
    const input = { partitions, imbalancePercentPerBroker: 10, transfersMax: 100, ...everyoneReady };
    const fromNode1 = planLeaderBalance({ ...input, nodeId: 1 });
    expect(fromNode1.transfers.map((t) => [t.partition.partition, t.target])).toEqual([[2, 2]]);
    expect(Object.fromEntries(fromNode1.brokers)).toEqual({
      1: { preferredCount: 2, notLedCount: 0 },
      2: { preferredCount: 2, notLedCount: 2 },
      3: { preferredCount: 2, notLedCount: 0 },
    });
    expect(planLeaderBalance({ ...input, nodeId: 3 }).transfers.map((t) => t.partition.partition)).toEqual([
      3,
    ]);
    // Node 2 leads nothing, so it moves nothing: only a leader can hand over.
    expect(planLeaderBalance({ ...input, nodeId: 2 }).transfers).toEqual([]);
  });

  test("the imbalance must exceed the percentage: 2 of 20 (10%) stays, 3 of 20 moves, and 0% moves any", () => {
    const displaced = (count: number) =>
      Array.from({ length: 20 }, (_, index) => partition(index, [2, 1, 3], index < count ? 1 : 2));
    const plan = (count: number, percent: number) =>
      planLeaderBalance({
        nodeId: 1,
        partitions: displaced(count),
        imbalancePercentPerBroker: percent,
        transfersMax: 100,
        ...everyoneReady,
      }).transfers.length;
    expect(plan(2, 10)).toBe(0);
    expect(plan(3, 10)).toBe(3);
    expect(plan(1, 0)).toBe(1);
    expect(plan(20, 100)).toBe(0);
    expect(isImbalanced({ preferredCount: 10, notLedCount: 1 }, 10)).toBe(false);
    expect(isImbalanced({ preferredCount: 9, notLedCount: 1 }, 10)).toBe(true);
  });

  test("leaderless partitions count toward the imbalance but nobody moves them", () => {
    const partitions = [
      partition(0, [2, 1, 3], null),
      partition(1, [2, 1, 3], 2),
      partition(2, [2, 1, 3], 2),
      partition(3, [2, 3, 1], 1),
    ];
    const plan = planLeaderBalance({
      nodeId: 1,
      partitions,
      imbalancePercentPerBroker: 40,
      transfersMax: 100,
      ...everyoneReady,
    });
    expect(plan.brokers.get(2)).toEqual({ preferredCount: 4, notLedCount: 2 });
    expect(plan.transfers.map((t) => t.partition.partition)).toEqual([3]);
  });

  test("a preferred replica that is fenced or not caught up gets nothing", () => {
    const partitions = [partition(0, [2, 1, 3], 1), partition(1, [3, 1, 2], 1)];
    const base = { nodeId: 1, partitions, imbalancePercentPerBroker: 10, transfersMax: 100 };
    const fenced = planLeaderBalance({ ...base, isLive: (id) => id !== 2, canTakeOver: () => true });
    expect(fenced.transfers.map((t) => t.target)).toEqual([3]);
    const behind = planLeaderBalance({
      ...base,
      isLive: () => true,
      canTakeOver: (_, id) => id !== 3,
    });
    expect(behind.transfers.map((t) => t.target)).toEqual([2]);
  });

  test("one check starts at most transfersMax transfers, the first in metadata order", () => {
    const partitions = Array.from({ length: 10 }, (_, index) => partition(index, [2, 1, 3], 1));
    const plan = planLeaderBalance({
      nodeId: 1,
      partitions,
      imbalancePercentPerBroker: 10,
      transfersMax: 4,
      ...everyoneReady,
    });
    expect(plan.transfers.map((t) => t.partition.partition)).toEqual([0, 1, 2, 3]);
  });
});
