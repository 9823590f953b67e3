// Proves the uniform and range assignors: every subscribed partition assigned exactly once to a subscriber,
// uniform balanced within one and sticky, range contiguous per topic, on known and seeded random inputs.

import { describe, expect, test } from "bun:test";
import {
  type Assignment,
  type AssignorInput,
  type AssignorMember,
  assignmentOf,
  emptyAssignment,
  partitionCount,
  rangeAssign,
  uniformAssign,
} from "../../../src/cluster/consumer-groups/index.ts";

function members(
  count: number,
  topics: string[],
  current: Map<string, Assignment> = new Map(),
): AssignorMember[] {
  return Array.from({ length: count }, (_, i) => {
    const memberId = `m${i}`;
    return {
      memberId,
      subscribedTopicIds: topics,
      currentAssignment: current.get(memberId) ?? emptyAssignment,
    };
  });
}

function plain(result: Map<string, Assignment>): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const [memberId, assignment] of result) {
    out[memberId] = Object.fromEntries([...assignment].map(([t, ps]) => [t, [...ps]]));
  }
  return out;
}

/** Every partition of a subscribed topic goes to exactly one member subscribed to it. */
function expectExactlyOnce(input: AssignorInput, result: Map<string, Assignment>): void {
  const owners = new Map<string, string>();
  for (const member of input.members) {
    const assignment = result.get(member.memberId);
    expect(assignment).toBeDefined();
    for (const [topicId, partitions] of assignment ?? []) {
      expect(member.subscribedTopicIds).toContain(topicId);
      for (const p of partitions) {
        expect(owners.has(`${topicId}-${p}`)).toBe(false);
        owners.set(`${topicId}-${p}`, member.memberId);
      }
    }
  }
  for (const [topicId, count] of input.partitionCounts) {
    const subscribed = input.members.some((m) => m.subscribedTopicIds.includes(topicId));
    for (let p = 0; p < count; p++) expect(owners.has(`${topicId}-${p}`)).toBe(subscribed);
  }
}

function spread(result: Map<string, Assignment>): number {
  const sizes = [...result.values()].map(partitionCount);
  return Math.max(...sizes) - Math.min(...sizes);
}

/** A small seeded PRNG (mulberry32) so random cases replay identically. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("range assignor", () => {
  test("splits each topic into contiguous ranges in member order, extras first", () => {
    const input = {
      members: members(3, ["t1", "t2"]),
      partitionCounts: new Map([
        ["t1", 7],
        ["t2", 2],
      ]),
    };
    expect(plain(rangeAssign(input))).toEqual({
      m0: { t1: [0, 1, 2], t2: [0] },
      m1: { t1: [3, 4], t2: [1] },
      m2: { t1: [5, 6] },
    });
  });

  test("assigns a topic only among its subscribers", () => {
    const input = {
      members: [
        { memberId: "a", subscribedTopicIds: ["t1"], currentAssignment: emptyAssignment },
        { memberId: "b", subscribedTopicIds: ["t1", "t2"], currentAssignment: emptyAssignment },
      ],
      partitionCounts: new Map([
        ["t1", 4],
        ["t2", 3],
      ]),
    };
    const result = rangeAssign(input);
    expect(plain(result)).toEqual({ a: { t1: [0, 1] }, b: { t1: [2, 3], t2: [0, 1, 2] } });
    expectExactlyOnce(input, result);
  });
});

describe("uniform assignor", () => {
  test("spreads partitions across topics evenly, unlike range", () => {
    const input = {
      members: members(2, ["t1", "t2"]),
      partitionCounts: new Map([
        ["t1", 3],
        ["t2", 3],
      ]),
    };
    const uniform = uniformAssign(input);
    expect(spread(uniform)).toBe(0);
    expect(spread(rangeAssign(input))).toBe(2); // range gives m0 two of each topic
    expectExactlyOnce(input, uniform);
  });

  test("a joining member takes only from the loaded member, which keeps the rest", () => {
    const current = new Map([["m0", assignmentOf([["t", [0, 1, 2, 3, 4, 5]]])]]);
    const result = uniformAssign({
      members: members(2, ["t"], current),
      partitionCounts: new Map([["t", 6]]),
    });
    expect(partitionCount(result.get("m0") ?? emptyAssignment)).toBe(3);
    expect(
      result
        .get("m0")
        ?.get("t")
        ?.every((p) => [0, 1, 2, 3, 4, 5].includes(p)),
    ).toBe(true);
    expect(partitionCount(result.get("m1") ?? emptyAssignment)).toBe(3);
  });

  test("a departing member's partitions go to the others; nobody else moves", () => {
    const first = uniformAssign({ members: members(3, ["t"]), partitionCounts: new Map([["t", 9]]) });
    const survivors = members(3, ["t"], first).filter((m) => m.memberId !== "m1");
    const second = uniformAssign({ members: survivors, partitionCounts: new Map([["t", 9]]) });
    for (const id of ["m0", "m2"]) {
      const before = first.get(id)?.get("t") ?? [];
      expect(before.every((p) => second.get(id)?.get("t")?.includes(p))).toBe(true);
    }
    expect(spread(second)).toBeLessThanOrEqual(1);
  });

  test("seeded random groups: exactly once, balanced within one, and sticky across changes", () => {
    const next = random(848);
    for (let round = 0; round < 200; round++) {
      const topics = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => `t${i}`);
      const partitionCounts = new Map(topics.map((t) => [t, 1 + Math.floor(next() * 12)] as const));
      const before = uniformAssign({ members: members(1 + Math.floor(next() * 6), topics), partitionCounts });
      const count = 1 + Math.floor(next() * 6);
      const input = { members: members(count, topics, before), partitionCounts };
      const after = uniformAssign(input);
      expectExactlyOnce(input, after);
      expect(spread(after)).toBeLessThanOrEqual(1);
      // Stickiness: no member both gives partitions up and receives new ones.
      for (const member of input.members) {
        const had = member.currentAssignment;
        const has = after.get(member.memberId) ?? emptyAssignment;
        const kept = [...has].reduce((n, [t, ps]) => n + ps.filter((p) => had.get(t)?.includes(p)).length, 0);
        expect(kept === partitionCount(had) || kept === partitionCount(has)).toBe(true);
      }
    }
  });

  test("heterogeneous subscriptions: each topic stays with its subscribers", () => {
    const input = {
      members: [
        { memberId: "a", subscribedTopicIds: ["t1"], currentAssignment: emptyAssignment },
        { memberId: "b", subscribedTopicIds: ["t1", "t2"], currentAssignment: emptyAssignment },
        { memberId: "c", subscribedTopicIds: ["t2"], currentAssignment: emptyAssignment },
      ],
      partitionCounts: new Map([
        ["t1", 4],
        ["t2", 4],
        ["t3", 5],
      ]),
    };
    const result = uniformAssign(input);
    expectExactlyOnce(input, result);
    expect(spread(result)).toBeLessThanOrEqual(1);
  });
});
