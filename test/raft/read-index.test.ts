// Proves linearizable reads without log writes: a read completes at the commit offset seen on arrival once a
// quorum confirms the leader, and never on a leader cut off from its quorum or before it commits in its epoch.
import { describe, expect, test } from "bun:test";
import type { ReadState } from "../../src/raft/core/types.ts";
import { TestCluster } from "./cluster.ts";

/** Records the read states the driver of node id receives from now on. */
function watchReads(cluster: TestCluster, id: number): ReadState[] {
  const seen: ReadState[] = [];
  const sim = cluster.sim(id);
  const original = sim.processReadyFrom.bind(sim);
  sim.processReadyFrom = (ready, crash, onApply) => {
    seen.push(...ready.readStates);
    return original(ready, crash, onApply);
  };
  return seen;
}

describe("read index", () => {
  test("a read completes at the commit offset once a quorum answers the heartbeat", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.elect(1);
    const offset = cluster.propose(1, 2);
    const seen = watchReads(cluster, 1);
    let heartbeats = 0;
    cluster.dropIf = (message) => {
      if (message.type === "heartbeat" && message.readRequestId === 41) heartbeats += 1;
      return false;
    };
    expect(cluster.node(1).readIndex(41)).toEqual({ ok: true });
    cluster.stabilize();
    expect(heartbeats).toBe(2);
    expect(seen).toEqual([{ commitOffset: offset, requestId: 41 }]);
  });

  test("a leader cut off from its quorum never completes a read", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.elect(1);
    cluster.isolate(1);
    const seen = watchReads(cluster, 1);
    expect(cluster.node(1).readIndex(7)).toEqual({ ok: true });
    cluster.tickAll(5);
    expect(seen).toEqual([]);
  });

  test("followers and leaders that have not committed in their epoch refuse reads", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.elect(1);
    cluster.propose(1);
    cluster.dropIf = (message) => message.type === "append";
    cluster.elect(2);
    expect(cluster.node(2).readIndex(1)).toEqual({ ok: false, refusal: "notCommittedInTerm" });
    expect(cluster.node(1).readIndex(1)).toEqual({ ok: false, refusal: "notLeader" });
  });

  test("a single voter answers at once", () => {
    const cluster = new TestCluster({ voters: [1] });
    cluster.elect(1);
    const seen = watchReads(cluster, 1);
    expect(cluster.node(1).readIndex(3)).toEqual({ ok: true });
    cluster.stabilize();
    // An empty log: nothing was ever committed, so the read is served at -1 at once.
    expect(seen).toEqual([{ commitOffset: -1, requestId: 3 }]);
  });
});
