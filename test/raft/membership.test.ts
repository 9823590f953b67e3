// Proves single-step membership changes: learners catch up without voting and are promoted only once caught
// up, one change is in flight at a time, removals change the quorum, and a removed leader steps down.
import { describe, expect, test } from "bun:test";
import type { ConfigChange } from "../../src/raft/core/membership.ts";
import { TestCluster } from "./cluster.ts";

function commitChange(cluster: TestCluster, leader: number, change: ConfigChange) {
  const result = cluster.node(leader).proposeConfigChange(change);
  cluster.stabilize();
  return result;
}

describe("membership", () => {
  test("a learner replicates but never votes nor counts, and is promoted once caught up", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], spares: [4] });
    cluster.elect(1);
    expect(commitChange(cluster, 1, { type: "addLearner", node: 4 }).ok).toBe(true);
    expect(cluster.node(1).config).toEqual({ voters: [1, 2, 3], learners: [4] });
    cluster.propose(1, 3);
    expect(cluster.durableLog(4)).toEqual(cluster.durableLog(1));
    expect(cluster.node(4).config.learners).toEqual([4]);
    // A learner never campaigns.
    cluster.isolate(4);
    cluster.tickAll(50);
    expect(cluster.node(4).role).toBe("follower");
    cluster.propose(1, 3);
    expect(cluster.node(1).commitOffset).toBe(cluster.node(1).log.lastOffset());
    // Behind, it cannot be promoted; caught up, it can.
    expect(cluster.node(1).proposeConfigChange({ type: "promoteLearner", node: 4 })).toEqual({
      ok: false,
      refusal: "learnerBehind",
    });
    cluster.heal();
    cluster.tickAll(12); // appends lost while it was cut off are resent after an election timeout
    expect(commitChange(cluster, 1, { type: "promoteLearner", node: 4 }).ok).toBe(true);
    expect(cluster.node(1).config).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(cluster.node(4).config).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  });

  test("a second change is refused while the first is uncommitted", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], spares: [4, 5] });
    cluster.elect(1);
    cluster.isolate(1);
    expect(cluster.node(1).proposeConfigChange({ type: "addLearner", node: 4 }).ok).toBe(true);
    expect(cluster.node(1).proposeConfigChange({ type: "addLearner", node: 5 })).toEqual({
      ok: false,
      refusal: "configChangePending",
    });
  });

  test("a new leader changes membership only after committing in its own epoch", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], spares: [4] });
    cluster.elect(1);
    cluster.propose(1);
    // Node 2's log has an earlier epoch's entry, so it appends a control batch that cannot commit here.
    cluster.dropIf = (message) => message.type === "append";
    cluster.elect(2);
    expect(cluster.node(2).role).toBe("leader");
    expect(cluster.node(2).proposeConfigChange({ type: "addLearner", node: 4 })).toEqual({
      ok: false,
      refusal: "notCommittedInTerm",
    });
  });

  test("a leader over an empty log may change membership at once: no earlier epoch can hold a change", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], spares: [4] });
    cluster.dropIf = (message) => message.type === "append";
    cluster.elect(1);
    expect(cluster.node(1).proposeConfigChange({ type: "addLearner", node: 4 })).toEqual({
      ok: true,
      lastOffset: 0,
    });
  });

  test("removing a voter shrinks the quorum", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3, 4] });
    cluster.elect(1);
    cluster.isolate(3);
    expect(commitChange(cluster, 1, { type: "removeNode", node: 4 }).ok).toBe(true);
    expect(cluster.node(1).config.voters).toEqual([1, 2, 3]);
    cluster.isolate(4);
    const offset = cluster.propose(1, 1);
    expect(cluster.node(1).commitOffset).toBe(offset); // 1 and 2 are a majority of three
  });

  test("a leader that removes itself steps down and the others elect a new leader", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.elect(1);
    expect(commitChange(cluster, 1, { type: "removeNode", node: 1 }).ok).toBe(true);
    expect(cluster.node(1).role).toBe("follower");
    cluster.tickAll(40);
    expect(cluster.node(1).role).toBe("follower");
    const leader = [2, 3].find((id) => cluster.node(id).role === "leader");
    expect(leader).toBeDefined();
    expect(cluster.node(leader!).config.voters).toEqual([2, 3]);
  });

  test("invalid changes are refused with a reason", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3] });
    cluster.elect(1);
    const result = cluster.node(1).proposeConfigChange({ type: "addVoter", node: 2 });
    expect(result).toEqual({
      ok: false,
      refusal: "invalidConfigChange",
      detail: "node 2 is already a member",
    });
  });
});
