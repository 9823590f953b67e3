// Proves the two scenarios of the Raft paper that define log safety: figure 7 (followers with missing, extra
// and conflicting entries converge to the leader) and figure 8 (a leader never commits an earlier term's entry
// by counting replicas; only its own epoch's control batch commits it).
import { describe, expect, test } from "bun:test";
import type { Message } from "../../src/raft/core/types.ts";
import { TestCluster } from "./cluster.ts";

describe("figure 7: the leader brings every follower's log to its own", () => {
  // Epochs per offset, as in figure 7 (offsets from 0). The leader (1) holds the log the paper draws on top.
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<number, { name: string; log: number[] }> = {
    2: { name: "(a) missing one entry", log: [1, 1, 1, 4, 4, 5, 5, 6, 6] },
    3: { name: "(b) missing many entries", log: [1, 1, 1, 4] },
    4: { name: "(c) one extra entry of the leader's last epoch", log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6] },
    5: { name: "(d) extra entries of a later epoch", log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7] },
    6: { name: "(e) conflicting epoch-4 suffix", log: [1, 1, 1, 4, 4, 4, 4] },
    7: { name: "(f) conflicting epochs 2 and 3", log: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3] },
  };

  test("every follower converges, and the leader needs only a few probes per follower", () => {
    const cluster = new TestCluster({
      voters: [1, 2, 3, 4, 5, 6, 7],
      overrides: { appendBytesMax: 1 << 20 },
    });
    cluster.presetLog(1, leaderLog, 7);
    for (const [id, follower] of Object.entries(followers)) cluster.presetLog(Number(id), follower.log, 7);
    let rejects = 0;
    cluster.dropIf = (message: Message) => {
      if (message.type === "appendResponse" && message.reject) rejects += 1;
      return false;
    };
    cluster.elect(1);
    const leader = cluster.node(1);
    expect(leader.role).toBe("leader");
    expect(leader.term).toBe(8);
    const expected = cluster.durableLog(1);
    expect(expected.at(-1)).toBe("10-10@8"); // the leader's control batch of epoch 8
    for (const id of Object.keys(followers)) {
      expect({ id, log: cluster.durableLog(Number(id)) }).toEqual({ id, log: expected });
    }
    expect(leader.commitOffset).toBe(10);
    // Fast backup: one reject per divergent epoch at most, not one per entry.
    expect(rejects).toBeLessThanOrEqual(8);
  });

  test("the extra and conflicting suffixes are truncated, never committed entries", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3, 4, 5, 6, 7] });
    cluster.presetLog(1, leaderLog, 7);
    for (const [id, follower] of Object.entries(followers)) cluster.presetLog(Number(id), follower.log, 7);
    cluster.elect(1);
    // Follower (f) kept only the three epoch-1 entries it shared with the leader.
    const shared = cluster.durableLog(7).slice(0, 3);
    expect(shared).toEqual(["0-0@1", "1-1@1", "2-2@1"]);
    expect(cluster.durableLog(5)).not.toContain("10-10@7");
  });
});

/**
 * Figure 8 with five servers. (a) S1 leads epoch 1 (over empty logs, so with no control batch; its first entry,
 * at offset 0, reaches everyone, so that every later leader has an earlier epoch to commit and appends its
 * control batch) and gets entry E (offset 1) onto S2 only. (b) S5 leads
 * epoch 2 and writes its control batch at offset 1 locally. (c) S1 leads epoch 3 and copies E onto S3: E is on a
 * majority, but S1's own control batch is not. (d) S5 can still win and overwrite E.
 */
function figure8(bug: "commitOldTermByCount" | undefined) {
  const cluster = new TestCluster({
    voters: [1, 2, 3, 4, 5],
    // One 100-byte entry per append, so E and S1's later control batch travel in separate messages.
    overrides: { appendBytesMax: 100 },
    ...(bug === undefined ? {} : { testingOnlyBug: bug }),
  });
  cluster.elect(1);
  cluster.propose(1, 1, 100);
  // (a)
  for (const other of [3, 4, 5]) cluster.cutOneWay(1, other);
  const entryOffset = cluster.propose(1, 1, 100);
  expect(cluster.node(2).log.epochOf(entryOffset)).toBe(1);
  expect(cluster.node(1).commitOffset).toBeLessThan(entryOffset);
  // (b)
  cluster.heal();
  cluster.crash(1);
  cluster.dropIf = (message) => message.from === 5 && message.type === "append";
  cluster.elect(5);
  expect(cluster.node(5).role).toBe("leader");
  expect(cluster.node(5).log.epochOf(entryOffset)).toBe(cluster.node(5).term);
  // (c)
  cluster.heal();
  cluster.crash(5);
  cluster.restart(1);
  // S1's control batch of epoch 3 is lost on the way; E gets through.
  cluster.rewrite = (message) => {
    if (message.type !== "append") return message;
    const firstControl = message.entries.findIndex((entry) => entry.kind === "control");
    return firstControl < 0 ? message : { ...message, entries: message.entries.slice(0, firstControl) };
  };
  cluster.elect(1);
  if (cluster.node(1).role !== "leader") cluster.elect(1);
  const s1 = cluster.node(1);
  expect(s1.role).toBe("leader");
  const replicas = [1, 2, 3, 4, 5].filter(
    (id) => cluster.sim(id).durable.log.batchAt(entryOffset)?.epoch === 1,
  );
  expect(replicas.length).toBeGreaterThanOrEqual(3);
  const committedInC = s1.commitOffset >= entryOffset;
  // (d)
  cluster.heal();
  cluster.crash(1);
  cluster.restart(5);
  cluster.elect(5);
  if (cluster.node(5).role !== "leader") cluster.elect(5);
  return { cluster, entryOffset, committedInC };
}

describe("figure 8: a leader does not commit an earlier epoch's entry by counting replicas", () => {
  test("S1 leaves E uncommitted although a majority holds it, so S5 overwriting it loses nothing", () => {
    const { cluster, entryOffset, committedInC } = figure8(undefined);
    expect(committedInC).toBe(false);
    expect(cluster.node(5).role).toBe("leader");
    for (const id of [2, 3, 4, 5]) expect(cluster.node(id).log.epochOf(entryOffset)).toBe(2);
    expect(cluster.node(5).commitOffset).toBeGreaterThanOrEqual(entryOffset);
  });

  test("once S1's own control batch reaches a majority, E commits with it and S5 can no longer win", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3, 4, 5], overrides: { appendBytesMax: 100 } });
    cluster.elect(1);
    cluster.propose(1, 1, 100);
    for (const other of [3, 4, 5]) cluster.cutOneWay(1, other);
    const entryOffset = cluster.propose(1, 1, 100);
    cluster.heal();
    cluster.crash(1);
    cluster.dropIf = (message) => message.from === 5 && message.type === "append";
    cluster.elect(5);
    cluster.heal();
    cluster.crash(5);
    cluster.restart(1);
    cluster.elect(1);
    if (cluster.node(1).role !== "leader") cluster.elect(1);
    expect(cluster.node(1).commitOffset).toBeGreaterThan(entryOffset);
    cluster.crash(1);
    cluster.restart(5);
    cluster.elect(5);
    cluster.elect(5);
    expect(cluster.node(5).role).not.toBe("leader");
    for (const id of [2, 3, 4]) expect(cluster.node(id).log.epochOf(entryOffset)).toBe(1);
    expect(cluster.node(5).log.epochOf(entryOffset)).toBe(2); // S5's own suffix, never committed
  });

  test("the deliberately broken variant commits E by counting, and then S5 leads without it", () => {
    const { cluster, entryOffset, committedInC } = figure8("commitOldTermByCount");
    expect(committedInC).toBe(true);
    // Leader completeness is broken: the new leader lacks an entry that was reported committed.
    expect(cluster.node(5).role).toBe("leader");
    expect(cluster.node(5).log.epochOf(entryOffset)).toBe(2);
  });
});
