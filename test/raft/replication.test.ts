// Proves replication limits and catch-up: the in-flight window bounds appends by count and bytes, messages stay
// within appendBytesMax, uncommitted bytes are bounded, and followers behind the log start catch up by snapshot
// (in chunks, for a state machine) or by restarting at the leader's log start (for a partition).
import { describe, expect, test } from "bun:test";
import type { AppendMessage, Message } from "../../src/raft/core/types.ts";
import { TestCluster } from "./cluster.ts";

function proposeEach(cluster: TestCluster, leader: number, count: number, byteSize: number): void {
  for (let index = 0; index < count; index++) {
    const result = cluster.node(leader).propose([{ recordCount: 1, byteSize, payload: new Uint8Array(4) }]);
    expect(result.ok).toBe(true);
    cluster.stabilize();
  }
}

describe("pipelined replication", () => {
  test("a follower that does not answer gets at most inflightCountMax appends", () => {
    const cluster = new TestCluster({
      voters: [1, 2, 3],
      overrides: { inflightCountMax: 3, inflightBytesMax: 0 },
    });
    cluster.elect(1);
    const appendsTo2: AppendMessage[] = [];
    cluster.dropIf = (message: Message) => {
      if (message.type === "append" && message.to === 2) appendsTo2.push(message);
      return message.type === "appendResponse" && message.from === 2;
    };
    proposeEach(cluster, 1, 10, 10);
    expect(appendsTo2.filter((append) => append.entries.length > 0)).toHaveLength(3);
    expect(cluster.node(1).progressOf(2)!.isPaused()).toBe(true);
    expect(cluster.node(1).commitOffset).toBe(9); // node 3 answers, so the majority moves on
  });

  test("the byte window pauses a follower before the count does", () => {
    const cluster = new TestCluster({
      voters: [1, 2],
      overrides: { inflightCountMax: 100, inflightBytesMax: 250 },
    });
    cluster.elect(1);
    let sent = 0;
    cluster.dropIf = (message: Message) => {
      if (message.type === "append" && message.to === 2 && message.entries.length > 0) sent += 1;
      return message.type === "appendResponse";
    };
    proposeEach(cluster, 1, 10, 100);
    expect(sent).toBe(3); // 100 + 100 + 100 bytes passes 250
  });

  test("append messages stay within appendBytesMax, except a single larger entry", () => {
    const cluster = new TestCluster({ voters: [1, 2], overrides: { appendBytesMax: 300 } });
    cluster.elect(1);
    cluster.isolate(2);
    proposeEach(cluster, 1, 20, 100);
    cluster.node(1).propose([{ recordCount: 1, byteSize: 1000, payload: new Uint8Array(4) }]);
    cluster.heal();
    const sizes: number[] = [];
    cluster.dropIf = (message: Message) => {
      if (message.type === "append")
        sizes.push(message.entries.reduce((sum, entry) => sum + entry.byteSize, 0));
      return false;
    };
    cluster.tickAll(30);
    expect(cluster.durableLog(2)).toEqual(cluster.durableLog(1));
    expect(sizes.filter((size) => size > 300)).toEqual([1000]);
  });

  test("lost appends are resent after an election timeout, or at once when the driver reports the peer unreachable", () => {
    for (const reported of [false, true]) {
      const cluster = new TestCluster({ voters: [1, 2, 3] });
      cluster.elect(1);
      cluster.isolate(3);
      cluster.propose(1, 2);
      cluster.heal();
      if (reported) cluster.node(1).reportUnreachable(3);
      cluster.tickAll(2); // one heartbeat round
      const caughtUp = cluster.node(1).progressOf(3)!.matchOffset === cluster.node(1).log.lastOffset();
      expect({ reported, caughtUp }).toEqual({ reported, caughtUp: reported });
      cluster.tickAll(12);
      expect(cluster.durableLog(3)).toEqual(cluster.durableLog(1));
    }
  });

  test("proposals beyond uncommittedBytesMax are refused until commits free room", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { uncommittedBytesMax: 1000 } });
    cluster.elect(1);
    cluster.isolate(1);
    const big = { recordCount: 1, byteSize: 600, payload: new Uint8Array(4) };
    expect(cluster.node(1).propose([big]).ok).toBe(true);
    expect(cluster.node(1).propose([big])).toEqual({ ok: false, refusal: "uncommittedBytesFull" });
    cluster.heal();
    cluster.tickAll(3);
    expect(cluster.node(1).propose([big]).ok).toBe(true);
  });

  test("a follower far behind is probed back in a few steps, not one entry at a time", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { appendBytesMax: 1 << 20 } });
    cluster.presetLog(1, [1, 1, 2, 2, 2, 3, 3, 3, 3], 3);
    cluster.presetLog(2, [1, 1, 2, 2, 2, 3, 3, 3, 3], 3);
    cluster.presetLog(3, [1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 3);
    let rejects = 0;
    cluster.dropIf = (message) => {
      if (message.type === "appendResponse" && message.reject) rejects += 1;
      return false;
    };
    cluster.elect(1);
    expect(cluster.durableLog(3)).toEqual(cluster.durableLog(1));
    expect(rejects).toBeLessThanOrEqual(2);
  });
});

describe("snapshots", () => {
  test("a state machine snapshot reaches a follower behind the log start in appendBytesMax chunks", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { appendBytesMax: 1000 } });
    cluster.elect(1);
    cluster.crash(3);
    proposeEach(cluster, 1, 20, 50);
    expect(cluster.sim(1).compact(4000)).toBe(true);
    const markOffset = cluster.sim(1).durable.log.snapshotMeta().lastOffset;
    expect(markOffset).toBe(cluster.node(1).commitOffset);
    proposeEach(cluster, 1, 2, 50);
    cluster.restart(3);
    const chunks: number[] = [];
    cluster.dropIf = (message) => {
      if (message.type === "snapshot") chunks.push(message.chunk.length);
      return false;
    };
    cluster.tickAll(14); // appends lost while it was down are given up after an election timeout
    expect(chunks).toEqual([1000, 1000, 1000, 1000, 8]);
    const follower = cluster.sim(3);
    expect(follower.durable.log.snapshotMeta().lastOffset).toBe(markOffset);
    expect(follower.durable.log.snapshot().data).toEqual(cluster.sim(1).durable.log.snapshot().data);
    expect(follower.appliedHash).toBe(cluster.sim(1).appliedHash);
    expect(cluster.durableLog(3)).toEqual(cluster.durableLog(1));
  });

  test("a lost snapshot chunk is sent again after an election timeout", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { appendBytesMax: 1000 } });
    cluster.elect(1);
    cluster.crash(3);
    proposeEach(cluster, 1, 3, 50);
    expect(cluster.sim(1).compact(2500)).toBe(true);
    cluster.restart(3);
    let dropped = 0;
    cluster.dropIf = (message) => {
      if (message.type === "snapshot" && message.chunkStart === 1000 && dropped === 0) {
        dropped += 1;
        return true;
      }
      return false;
    };
    cluster.tickAll(30);
    expect(dropped).toBe(1);
    expect(cluster.sim(3).durable.log.snapshot().data.length).toBe(2508);
  });

  test("a partition follower behind the leader's log start restarts its log at that offset", () => {
    const cluster = new TestCluster({ voters: [1, 2, 3], overrides: { deliverCommittedEntries: false } });
    cluster.elect(1);
    cluster.crash(3);
    proposeEach(cluster, 1, 5, 50);
    // Retention deletes the head of the partition log: an empty-data snapshot marks the new log start.
    const leaderLog = cluster.sim(1).durable.log;
    const logStart = leaderLog.allEntries()[3]!;
    leaderLog.compact({
      meta: { lastOffset: logStart.lastOffset, lastEpoch: logStart.epoch, config: cluster.node(1).config },
      data: new Uint8Array(0),
    });
    cluster.restart(3);
    cluster.tickAll(14);
    const followerLog = cluster.sim(3).durable.log;
    expect(followerLog.snapshotMeta().lastOffset).toBe(logStart.lastOffset);
    expect(cluster.durableLog(3)).toEqual(cluster.durableLog(1));
    expect(cluster.node(3).highWatermark).toBe(cluster.node(1).highWatermark);
    expect(cluster.applied.get(3)).toEqual([]); // partitions are not handed committed entries
  });
});
