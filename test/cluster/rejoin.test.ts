// Proves how a node over a new data directory decides whether it may vote: rejoining when a peer that joined the
// cluster, or its own caught-up metadata, knows it under another incarnation, a first start when they do not
// know it or most voters are new themselves, undecided otherwise; that a rejoin cut short resumes; that a rejoining node fences each group only once every other voter has
// answered, with the highest term and commit offset and the term of a leader that answered with an empty log;
// and that the coordinator asks again until answered, lifts every group on a first start, and says when all vote.

import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/base/logger.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import type { GroupTermAnswer, HelloAnswer } from "../../src/cluster/cluster-rpc.ts";
import {
  type AbstainingGroup,
  fenceOf,
  nothingLost,
  Rejoin,
  rejoinDecision,
} from "../../src/cluster/rejoin.ts";
import type { VoteFence } from "../../src/raft/core/index.ts";

const voters = [1, 2, 3];

function hello(answer: Partial<HelloAnswer>): HelloAnswer {
  return {
    nodeId: 1,
    clusterId: "",
    voters,
    version: "test",
    fresh: false,
    callerIncarnationId: null,
    ...answer,
  };
}

describe("rejoinDecision", () => {
  const decide = (answers: Array<[number, HelloAnswer]>) =>
    rejoinDecision({ voters, incarnationId: "new", answers: new Map(answers) });

  test("a joined peer that registers this node under another incarnation means rejoining", () => {
    expect(decide([[1, hello({ callerIncarnationId: "old" })]])).toEqual({
      decision: "rejoin",
      knownAs: "old",
    });
    // Even when another peer answered first that it does not know this node (its metadata lags).
    expect(
      decide([
        [1, hello({ callerIncarnationId: "" })],
        [3, hello({ callerIncarnationId: "old" })],
      ]),
    ).toEqual({
      decision: "rejoin",
      knownAs: "old",
    });
  });

  test("a joined peer that does not know this node, or knows this very incarnation, means a first start", () => {
    expect(decide([[1, hello({ callerIncarnationId: "" })]]).decision).toBe("firstStart");
    expect(decide([[1, hello({ callerIncarnationId: "new" })]]).decision).toBe("firstStart");
  });

  test("without a joined peer: a first start only when most voters are new", () => {
    expect(decide([]).decision).toBe("undecided");
    // A peer with data that has not joined yet (restarting) may know this node: wait for it.
    expect(decide([[1, hello({ fresh: false })]]).decision).toBe("undecided");
    expect(decide([[1, hello({ fresh: true })]]).decision).toBe("firstStart");
    expect(
      rejoinDecision({
        voters: [1, 2, 3, 4, 5],
        incarnationId: "new",
        answers: new Map([[1, hello({ fresh: true })]]),
      }).decision,
    ).toBe("undecided");
  });
});

describe("fenceOf", () => {
  const answer = (
    term: number,
    commitOffset: number,
    extra: Partial<GroupTermAnswer> = {},
  ): GroupTermAnswer => ({
    groupId: "g",
    term,
    commitOffset,
    lastOffset: commitOffset,
    leading: false,
    ...extra,
  });

  test("needs every other voter's answer, and takes the highest term and commit offset", () => {
    expect(fenceOf([answer(3, 10), undefined])).toBeNull();
    expect(fenceOf([answer(3, 10), answer(5, 7)])).toEqual({
      term: 5,
      commitOffset: 10,
      emptyLogLeaderTerm: -1,
    });
  });

  test("names the term of a leader that answered with an empty log", () => {
    expect(fenceOf([answer(2, -1, { leading: true, lastOffset: -1 }), answer(2, -1)])).toEqual({
      term: 2,
      commitOffset: -1,
      emptyLogLeaderTerm: 2,
    });
  });
});

class FakeGroup implements AbstainingGroup {
  abstaining = true;
  stopped: unknown = undefined;
  readonly fences: VoteFence[] = [];
  constructor(
    readonly groupId: string,
    readonly voters: readonly number[],
  ) {}
  setVoteFence(fence: VoteFence): void {
    this.fences.push(fence);
    if (fence.term === 0) this.abstaining = false;
  }
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await Promise.resolve();
}

describe("Rejoin", () => {
  function coordinator(options: {
    hello: (peerId: number) => Promise<HelloAnswer>;
    groupTerms?: (peerId: number, groupIds: readonly string[]) => Promise<Array<GroupTermAnswer | null>>;
    phase?: "new" | "rejoining" | "settled";
  }) {
    const clock = new ManualClock();
    const saved: string[] = [];
    const rejoin = new Rejoin({
      nodeId: 2,
      voters,
      incarnationId: "new",
      phase: options.phase ?? "new",
      savePhase: (phase) => saved.push(phase),
      hello: options.hello,
      groupTerms: options.groupTerms ?? (() => Promise.reject(new Error("unreachable"))),
      scheduler: clock,
      logger: silentLogger,
      retryMs: 1_000,
    });
    return { clock, rejoin, saved };
  }

  test("a data directory that is not new votes from the start", () => {
    const { rejoin } = coordinator({
      hello: () => Promise.reject(new Error("never asked")),
      phase: "settled",
    });
    expect(rejoin.abstainsNewGroups).toBe(false);
  });

  test("a rejoin cut short by a crash resumes without asking again whether it is one", () => {
    const { rejoin } = coordinator({
      hello: () => Promise.reject(new Error("never asked")),
      phase: "rejoining",
    });
    expect(rejoin.rejoining).toBe(true);
    expect(rejoin.abstainsNewGroups).toBe(true);
  });

  test("undecided when its metadata has caught up, the node's own registration decides", () => {
    const never = () => Promise.reject(new Error("unreachable"));
    const known = coordinator({ hello: never });
    known.rejoin.decideFromMetadata({ incarnationId: "old" });
    expect(known.rejoin.rejoining).toBe(true);
    expect(known.saved).toEqual(["rejoining"]);
    const unknown = coordinator({ hello: never });
    unknown.rejoin.decideFromMetadata(undefined);
    expect(unknown.rejoin.abstainsNewGroups).toBe(false);
    // Registered before incarnations were recorded: it cannot vouch for this one.
    const unrecorded = coordinator({ hello: never });
    unrecorded.rejoin.decideFromMetadata({ incarnationId: null });
    expect(unrecorded.rejoin.rejoining).toBe(true);
  });

  test("a first start lifts every group opened meanwhile, and later groups open voting", async () => {
    let answered = false;
    const { clock, rejoin, saved } = coordinator({
      hello: async () => {
        if (!answered) throw new Error("unreachable");
        return hello({ fresh: true });
      },
    });
    const group = new FakeGroup("metadata-0", voters);
    expect(rejoin.abstainsNewGroups).toBe(true);
    rejoin.track(group);
    rejoin.start();
    await settle();
    expect(group.abstaining).toBe(true);
    answered = true;
    clock.advance(1_000);
    await settle();
    expect(group.fences).toEqual([nothingLost]);
    expect(rejoin.abstainsNewGroups).toBe(false);
    expect(saved).toEqual(["settled"]);
    rejoin.stop();
  });

  test("rejoining, each group is fenced once every other voter answered; unanswered peers are asked again", async () => {
    const asked: Array<[number, string[]]> = [];
    let node3Up = false;
    const { clock, rejoin, saved } = coordinator({
      hello: async () => hello({ callerIncarnationId: "old" }),
      groupTerms: async (peerId, groupIds) => {
        asked.push([peerId, [...groupIds]]);
        if (peerId === 3 && !node3Up) throw new Error("unreachable");
        return groupIds.map((groupId) => ({
          groupId,
          term: peerId === 3 ? 7 : 6,
          commitOffset: 40,
          lastOffset: 41,
          leading: peerId === 1,
        }));
      },
    });
    const group = new FakeGroup("orders-0", voters);
    const pair = new FakeGroup("pair-0", [1, 2]);
    rejoin.track(group);
    rejoin.track(pair);
    rejoin.start();
    await settle();
    expect(rejoin.rejoining).toBe(true);
    expect(saved).toEqual(["rejoining"]);
    clock.advance(1_000);
    await settle();
    // Node 1 answered both; node 3, a voter of orders-0 only, is down: only pair-0 is fenced.
    expect(pair.fences).toEqual([{ term: 6, commitOffset: 40, emptyLogLeaderTerm: -1 }]);
    expect(group.fences).toEqual([]);
    node3Up = true;
    clock.advance(1_000);
    await settle();
    expect(group.fences).toEqual([{ term: 7, commitOffset: 40, emptyLogLeaderTerm: -1 }]);
    // Node 1, having answered, is not asked again for orders-0.
    expect(asked.filter(([peerId, ids]) => peerId === 1 && ids.includes("orders-0"))).toHaveLength(1);
    expect(rejoin.abstainingGroups).toBe(2);
    group.abstaining = false;
    pair.abstaining = false;
    clock.advance(1_000);
    await settle();
    expect(rejoin.abstainingGroups).toBe(0);
    // Not settled while start-up may still open groups it had (its metadata replaying).
    expect(saved).toEqual(["rejoining"]);
    rejoin.startupComplete();
    clock.advance(1_000);
    await settle();
    // Caught up everywhere once: the directory is settled, and a crash from now on restarts it as any other.
    expect(saved).toEqual(["rejoining", "settled"]);
    // A group opened later is still fenced, not trusted.
    expect(rejoin.abstainsNewGroups).toBe(true);
    rejoin.stop();
  });

  test("a group fenced but still abstaining after a few rounds asks its voters again", async () => {
    let term = 4;
    const { clock, rejoin } = coordinator({
      hello: async () => hello({ callerIncarnationId: "old" }),
      groupTerms: async (_peerId, groupIds) =>
        groupIds.map((groupId) => ({ groupId, term, commitOffset: -1, lastOffset: -1, leading: term === 5 })),
    });
    const group = new FakeGroup("idle-0", voters);
    rejoin.track(group);
    rejoin.start();
    await settle();
    clock.advance(1_000);
    await settle();
    expect(group.fences).toEqual([{ term: 4, commitOffset: -1, emptyLogLeaderTerm: -1 }]);
    // A leader elected since over an empty log: only asking again reveals it.
    term = 5;
    for (let round = 0; round < 7; round++) {
      clock.advance(1_000);
      await settle();
    }
    expect(group.fences.at(-1)).toEqual({ term: 5, commitOffset: -1, emptyLogLeaderTerm: 5 });
    rejoin.stop();
  });
});
