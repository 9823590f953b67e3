// Proves leader election: randomized timeouts, votes persisted before the reply, PreVote keeping a cut-off node
// from disrupting a healthy leader, CheckQuorum stepping down a leader without a quorum, and leadership transfer.
import { describe, expect, test } from "bun:test";
import { TestCluster } from "./cluster.ts";

function leaders(cluster: TestCluster, ids: readonly number[]): number[] {
  return ids.filter((id) => cluster.members.get(id)?.raft?.role === "leader");
}

describe("elections", () => {
  test("ticking alone elects exactly one leader, and randomized timeouts stay in [timeout, 2 × timeout)", () => {
    const ids = [1, 2, 3, 4, 5];
    const cluster = new TestCluster({
      voters: ids,
      seed: 7,
      overrides: { preVote: true, checkQuorum: true },
    });
    let ticks = 0;
    while (leaders(cluster, ids).length === 0 && ticks < 40) {
      cluster.tickAll();
      ticks += 1;
    }
    expect(leaders(cluster, ids)).toHaveLength(1);
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThan(40);
    const leader = cluster.node(leaders(cluster, ids)[0]!);
    for (const id of ids) expect(cluster.node(id).term).toBe(leader.term);
  });

  test("a single voter elects itself and commits on its own fsync, not before", () => {
    const cluster = new TestCluster({ voters: [1] });
    cluster.node(1).campaign();
    expect(cluster.node(1).role).toBe("leader");
    // An empty log has no earlier epoch to commit: no control batch, so the first record takes offset 0.
    expect(cluster.node(1).log.lastOffset()).toBe(-1);
    const result = cluster.node(1).propose([{ recordCount: 5, byteSize: 50, payload: new Uint8Array(4) }]);
    expect(result).toEqual({ ok: true, lastOffset: 4 });
    expect(cluster.node(1).commitOffset).toBe(-1); // not durable yet
    cluster.stabilize();
    expect(cluster.node(1).highWatermark).toBe(5);
  });

  test("a leader over a log with entries appends its epoch's control batch, and commits through it", () => {
    const cluster = new TestCluster({ voters: [1] });
    cluster.elect(1);
    expect(cluster.propose(1, 2)).toBe(1);
    cluster.crash(1);
    cluster.restart(1);
    cluster.elect(1);
    expect(cluster.node(1).log.lastOffset()).toBe(2);
    expect(cluster.node(1).log.epochOf(2)).toBe(cluster.node(1).term);
    expect(cluster.node(1).commitOffset).toBe(2);
  });

  test("the vote and term are in the same Ready as the vote reply, and survive a crash", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.node(1).campaign();
    const candidateReady = cluster.node(1).ready();
    cluster.node(1).advance(candidateReady);
    const request = candidateReady.messages.find((message) => message.to === 2)!;
    cluster.node(2).step(request);
    const voterReady = cluster.node(2).ready();
    expect(voterReady.hardState?.votedFor).toBe(1);
    expect(voterReady.hardState?.term).toBe(1);
    expect(voterReady.messages).toContainEqual(
      expect.objectContaining({ type: "voteResponse", granted: true }),
    );
    cluster.sim(2).durable.hardState = voterReady.hardState!;
    cluster.crash(2);
    cluster.restart(2);
    // Another candidate of the same term is refused after the restart.
    cluster.node(3).step({ ...request, from: 3, to: 3 } as never);
    const voteFrom3 = { ...request, from: 3, to: 2 };
    cluster.node(2).step(voteFrom3);
    const afterRestart = cluster.node(2).ready();
    expect(afterRestart.messages).toContainEqual(
      expect.objectContaining({ type: "voteResponse", granted: false }),
    );
  });

  test("a candidate with a less up-to-date log is refused", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.presetLog(1, [1, 1], 2);
    cluster.presetLog(2, [1, 2], 2);
    cluster.presetLog(3, [1, 2], 2);
    cluster.elect(1);
    expect(cluster.node(1).role).not.toBe("leader");
    cluster.elect(2);
    expect(cluster.node(2).role).toBe("leader");
  });
});

describe("PreVote and CheckQuorum", () => {
  test("with PreVote, a node cut off for a long time does not raise its term nor depose the leader", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { preVote: true, checkQuorum: true } });
    cluster.elect(1);
    const term = cluster.node(1).term;
    cluster.isolate(3);
    cluster.tickAll(100);
    expect(cluster.node(3).term).toBe(term);
    cluster.heal();
    cluster.tickAll(30);
    expect(cluster.node(1).role).toBe("leader");
    expect(cluster.node(1).term).toBe(term);
  });

  test("without PreVote, the same node returns with a higher term and deposes the leader", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { preVote: false, checkQuorum: false } });
    cluster.elect(1);
    const term = cluster.node(1).term;
    cluster.isolate(3);
    cluster.tickAll(100);
    expect(cluster.node(3).term).toBeGreaterThan(term + 2);
    cluster.heal();
    cluster.tickAll(25);
    expect(cluster.node(1).term).toBeGreaterThan(term);
  });

  test("a leader that hears from no quorum for an election timeout steps down", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { checkQuorum: true } });
    cluster.elect(1);
    cluster.isolate(1);
    cluster.tick(1, 9);
    expect(cluster.node(1).role).toBe("leader");
    cluster.tick(1, 12);
    expect(cluster.node(1).role).toBe("follower");
  });

  test("with CheckQuorum, followers in touch with their leader ignore a campaign (the leader lease)", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { checkQuorum: true, preVote: false } });
    cluster.elect(1);
    const term = cluster.node(1).term;
    cluster.node(3).campaign();
    cluster.stabilize();
    expect(cluster.node(1).role).toBe("leader");
    expect(cluster.node(2).term).toBe(term);
  });
});

describe("leadership transfer", () => {
  test("the leader catches the target up, sends TimeoutNow, and the target wins at once", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { checkQuorum: true, preVote: true } });
    cluster.elect(1);
    cluster.isolate(3);
    cluster.propose(1, 5);
    cluster.heal();
    expect(cluster.node(1).progressOf(3)!.matchOffset).toBeLessThan(cluster.node(1).log.lastOffset());
    expect(cluster.node(1).transferLeadership(3)).toEqual({ ok: true });
    const refused = cluster.node(1).propose([{ recordCount: 1, byteSize: 1, payload: new Uint8Array(4) }]);
    expect(refused).toEqual({ ok: false, refusal: "transferring" });
    cluster.stabilize();
    expect(cluster.node(3).role).toBe("leader");
    expect(cluster.node(1).role).toBe("follower");
    expect(cluster.node(3).log.lastOffset()).toBe(cluster.node(1).log.lastOffset());
  });

  test("a transfer to a non-voter or to itself is refused", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.elect(1);
    expect(cluster.node(1).transferLeadership(9)).toMatchObject({
      ok: false,
      refusal: "invalidTransferTarget",
    });
    expect(cluster.node(1).transferLeadership(1)).toMatchObject({
      ok: false,
      refusal: "invalidTransferTarget",
    });
    expect(cluster.node(2).transferLeadership(3)).toMatchObject({ ok: false, refusal: "notLeader" });
  });

  test("a transfer that cannot finish is abandoned after an election timeout", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.elect(1);
    cluster.isolate(3);
    cluster.node(1).transferLeadership(3);
    cluster.tickAll(12);
    expect(cluster.node(1).role).toBe("leader");
    expect(cluster.node(1).propose([{ recordCount: 1, byteSize: 1, payload: new Uint8Array(4) }]).ok).toBe(
      true,
    );
  });
});
