// Proves a member that lost its durable state (a wiped disk) abstains safely: restarted empty, it would grant a
// second vote in a term its lost self voted in and so elect a second leader of that term; abstaining it grants
// none and never campaigns, yet replicates; it votes again only once it knows the other voters' fence and has
// caught up with a leader at or above it — holding that leader's term start and the fence's commit offset, so
// no entry its lost self acknowledged into a commit can be lost by its vote — and at once when no voter ever
// saw an election.
import { describe, expect, test } from "bun:test";
import type { RaftNode } from "../../src/raft/core/raft-node.ts";
import { TestCluster } from "./cluster.ts";

const voters = [1, 2, 3];
const membership = { voters, learners: [] };

/**
 * Node 1 is elected in a term with node 2's vote and commits through it, while node 3 hears nothing of that
 * term (its links to 1 are cut). Then node 2 loses its disk and restarts, abstaining or not.
 */
function leaderElectedWithTheLostVote(abstaining: boolean): TestCluster {
  const cluster = new TestCluster({ voters, seed: 3 });
  cluster.cutOneWay(1, 3);
  cluster.cutOneWay(3, 1);
  cluster.elect(1);
  cluster.propose(1, 2);
  expect(cluster.node(1).role).toBe("leader");
  expect(cluster.node(1).term).toBe(cluster.node(3).term + 1);
  cluster.sim(2).wipe(membership);
  cluster.sim(2).start({ abstaining });
  return cluster;
}

function leadersOfTerm(cluster: TestCluster, term: number): number[] {
  return voters.filter((id) => cluster.node(id).role === "leader" && cluster.node(id).term === term);
}

/** What the other voters answer when asked, now. */
function fenceFrom(cluster: TestCluster, ids: readonly number[]) {
  const nodes: RaftNode[] = ids.map((id) => cluster.node(id));
  const emptyLeader = nodes.find((node) => node.role === "leader" && node.log.lastOffset() === -1);
  return {
    term: Math.max(...nodes.map((node) => node.term)),
    commitOffset: Math.max(...nodes.map((node) => node.commitOffset)),
    emptyLogLeaderTerm: emptyLeader?.term ?? -1,
  };
}

describe("a member restarted over a lost disk", () => {
  test("without abstaining it elects a second leader in a term its lost self voted in", () => {
    const cluster = leaderElectedWithTheLostVote(false);
    const term = cluster.node(1).term;
    // Node 3 campaigns into node 1's term (it never heard of it); the wiped node 2 grants it.
    cluster.elect(3);
    expect(leadersOfTerm(cluster, term)).toEqual([1, 3]);
  });

  test("abstaining it grants no vote and starts no election, but replicates and acknowledges", () => {
    const cluster = leaderElectedWithTheLostVote(true);
    const term = cluster.node(1).term;
    cluster.elect(3);
    expect(leadersOfTerm(cluster, term)).toEqual([1]);
    expect(cluster.node(3).role).not.toBe("leader");
    // With node 3 down, node 2 alone could only elect itself: it never tries.
    cluster.crash(3);
    cluster.heal();
    cluster.node(2).campaign();
    cluster.tickAll(40);
    expect(cluster.node(2).role).toBe("follower");
    expect(cluster.node(2).abstaining).toBe(true);
    // It follows node 1 and holds its log again (node 1 learned it had lost it); its acknowledgements alone
    // carry node 1's commits now.
    const last = cluster.propose(1, 1);
    cluster.tickAll(5);
    expect(cluster.node(2).log.lastOffset()).toBe(last);
    expect(cluster.node(1).commitOffset).toBe(last);
  });

  test("the fence and catching up with a leader at or above it end the abstention", () => {
    const cluster = leaderElectedWithTheLostVote(true);
    cluster.heal();
    cluster.propose(1, 1);
    cluster.tickAll(5);
    // Caught up with node 1, but the fence is unknown yet: still abstaining.
    expect(cluster.node(2).log.lastOffset()).toBe(cluster.node(1).log.lastOffset());
    expect(cluster.node(2).abstaining).toBe(true);
    cluster.node(2).setVoteFence(fenceFrom(cluster, [1, 3]));
    // Known and already met: node 1's term, its term start held, its commit reached, once the next word arrives.
    cluster.tickAll(3);
    expect(cluster.node(2).abstaining).toBe(false);
    // And it votes again: with node 1 gone, nodes 2 and 3 elect a leader.
    cluster.crash(1);
    cluster.tickAll(60);
    expect(voters.filter((id) => id !== 1 && cluster.node(id).role === "leader")).toHaveLength(1);
  });

  test("holding the leader's term start is not enough: its commits since must be held too", () => {
    const cluster = new TestCluster({ voters, seed: 5 });
    cluster.elect(1);
    cluster.propose(1, 1);
    // Node 3 goes down; node 1 commits more with node 2 alone, then node 2 loses its disk.
    cluster.crash(3);
    cluster.propose(1, 3);
    const committed = cluster.node(1).commitOffset;
    cluster.sim(2).wipe(membership);
    cluster.sim(2).start({ abstaining: true });
    const term = cluster.node(1).term;
    cluster.node(2).setVoteFence({ term, commitOffset: committed, emptyLogLeaderTerm: -1 });
    // Node 2 receives only node 1's term start (the appends after it are lost on the way).
    const termStart = cluster.node(1).log.firstOffsetOfEpoch(term)!;
    cluster.rewrite = (message) =>
      message.type === "append" && message.to === 2
        ? { ...message, entries: message.entries.filter((entry) => entry.lastOffset <= termStart) }
        : message;
    cluster.tickAll(20);
    expect(cluster.node(2).log.lastEpoch()).toBe(term);
    expect(cluster.node(2).commitOffset).toBeLessThan(committed);
    expect(cluster.node(2).abstaining).toBe(true);
    cluster.heal();
    cluster.tickAll(20);
    expect(cluster.node(2).commitOffset).toBeGreaterThanOrEqual(committed);
    expect(cluster.node(2).abstaining).toBe(false);
  });

  test("a fence of term 0 (no voter ever saw an election) ends the abstention at once", () => {
    const cluster = new TestCluster({ voters, seed: 9 });
    cluster.sim(2).wipe(membership);
    cluster.sim(2).start({ abstaining: true });
    expect(cluster.node(2).abstaining).toBe(true);
    cluster.node(2).setVoteFence(fenceFrom(cluster, [1, 3]));
    expect(cluster.node(2).abstaining).toBe(false);
    cluster.elect(2);
    expect(cluster.node(2).role).toBe("leader");
  });

  test("a leader that answered with an empty log ends it once followed, nothing having been committed", () => {
    const cluster = new TestCluster({ voters, seed: 11 });
    cluster.elect(1);
    cluster.sim(2).wipe(membership);
    cluster.sim(2).start({ abstaining: true });
    cluster.node(2).setVoteFence(fenceFrom(cluster, [1, 3]));
    expect(cluster.node(2).abstaining).toBe(true);
    // Its next heartbeat names it the leader.
    cluster.tickAll(3);
    expect(cluster.node(1).log.lastOffset()).toBe(-1);
    expect(cluster.node(2).abstaining).toBe(false);
  });
});

describe("a leader whose follower lost its log", () => {
  test("learns it from the follower's answer to a heartbeat, and replicates its log to it again", () => {
    const cluster = new TestCluster({ voters, seed: 13 });
    cluster.elect(1);
    const last = cluster.propose(1, 4);
    cluster.tickAll(3);
    expect(cluster.node(1).progressOf(2)?.matchOffset).toBe(last);
    cluster.sim(2).wipe(membership);
    cluster.sim(2).start({ abstaining: true });
    // Nothing new is proposed: only heartbeats reach node 2, whose commit offset it no longer holds.
    cluster.tickAll(6);
    expect(cluster.node(2).log.lastOffset()).toBe(last);
    expect(cluster.node(1).progressOf(2)?.matchOffset).toBe(last);
  });
});
