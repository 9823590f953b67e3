// Proves the core's small parts: the inflight ring's count and byte bounds, quorum arithmetic, config
// validation, and the log view's overlay of unstable entries, truncation and fast-backup match search.
import { describe, expect, test } from "bun:test";
import type { RaftConfig } from "../../src/raft/core/config.ts";
import { raftConfigDefaults, validateRaftConfig } from "../../src/raft/core/config.ts";
import { Inflights } from "../../src/raft/core/inflights.ts";
import { LogView } from "../../src/raft/core/log-view.ts";
import { applyConfigChange } from "../../src/raft/core/membership.ts";
import { MemoryLog } from "../../src/raft/core/memory-log.ts";
import { isQuorum, quorumMatchOffset, voteOutcome } from "../../src/raft/core/quorum.ts";
import type { Entry } from "../../src/raft/core/types.ts";

function batch(baseOffset: number, lastOffset: number, epoch: number, byteSize = 10): Entry {
  return { baseOffset, lastOffset, epoch, kind: "data", byteSize, payload: new Uint8Array(0) };
}

describe("inflights", () => {
  test("fills by count, frees by acknowledged offset, and refuses to grow past full", () => {
    const inflights = new Inflights(3, 0);
    inflights.add(4, 10);
    inflights.add(9, 10);
    inflights.add(12, 10);
    expect(inflights.full()).toBe(true);
    expect(() => inflights.add(20, 1)).toThrow("inflights: add while full");
    inflights.freeTo(9);
    expect(inflights.size).toBe(1);
    expect(inflights.byteTotal).toBe(10);
    inflights.add(20, 5);
    inflights.add(30, 5);
    expect(inflights.full()).toBe(true); // wrapped around the ring
    inflights.freeTo(100);
    expect(inflights.size).toBe(0);
  });

  test("the byte limit fills the window before the count does", () => {
    const inflights = new Inflights(100, 250);
    inflights.add(1, 100);
    inflights.add(2, 100);
    expect(inflights.full()).toBe(false);
    inflights.add(3, 100);
    expect(inflights.full()).toBe(true);
  });
});

describe("quorum", () => {
  test("the committed offset is the one a majority has matched", () => {
    const matches = new Map([
      [1, 10],
      [2, 7],
      [3, 3],
      [4, 9],
      [5, 1],
    ]);
    expect(quorumMatchOffset([1, 2, 3, 4, 5], (id) => matches.get(id)!)).toBe(7);
    expect(quorumMatchOffset([1, 2, 3, 4], (id) => matches.get(id)!)).toBe(7);
    expect(quorumMatchOffset([1], (id) => matches.get(id)!)).toBe(10);
  });

  test("votes win with a majority and lose once a majority is out of reach", () => {
    const voters = [1, 2, 3, 4];
    expect(
      voteOutcome(
        voters,
        new Map([
          [1, true],
          [2, true],
        ]),
      ),
    ).toBe("pending");
    expect(
      voteOutcome(
        voters,
        new Map([
          [1, true],
          [2, true],
          [3, true],
        ]),
      ),
    ).toBe("won");
    expect(
      voteOutcome(
        voters,
        new Map([
          [1, true],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe("lost");
    expect(isQuorum([1, 2, 3], (id) => id !== 3)).toBe(true);
    expect(isQuorum([1, 2, 3], (id) => id === 3)).toBe(false);
  });
});

describe("config", () => {
  const valid: RaftConfig = { ...raftConfigDefaults, id: 1, randomInt: () => 0 };

  test("the defaults are valid and every limit is checked", () => {
    expect(validateRaftConfig(valid)).toBeUndefined();
    expect(validateRaftConfig({ ...valid, inflightCountMax: 0 })).toBe("inflightCountMax must be ≥ 1");
    expect(validateRaftConfig({ ...valid, uncommittedBytesMax: -1 })).toBe("uncommittedBytesMax must be ≥ 0");
    expect(validateRaftConfig({ ...valid, heartbeatIntervalTicks: 10 })).toBe(
      "heartbeatIntervalTicks must be below electionTimeoutTicks",
    );
    expect(validateRaftConfig({ ...valid, appendBytesMax: 1.5 })).toBe("appendBytesMax must be ≥ 1");
  });

  test("membership changes apply one node at a time", () => {
    const config = { voters: [1, 2, 3], learners: [] };
    expect(applyConfigChange(config, { type: "addLearner", node: 4 })).toEqual({
      voters: [1, 2, 3],
      learners: [4],
    });
    expect(applyConfigChange(config, { type: "promoteLearner", node: 4 })).toBe("node 4 is not a learner");
    expect(applyConfigChange({ voters: [1], learners: [] }, { type: "removeNode", node: 1 })).toBe(
      "cannot remove the last voter",
    );
  });
});

describe("log view", () => {
  function viewWith(stored: Entry[]): { view: LogView; log: MemoryLog } {
    const log = new MemoryLog({ voters: [1], learners: [] });
    log.append(stored);
    return { view: new LogView(log), log };
  }

  test("unstable entries overlay and truncate the stored log at a batch boundary", () => {
    const { view } = viewWith([batch(0, 4, 1), batch(5, 9, 1), batch(10, 14, 2)]);
    view.append([batch(5, 7, 3)]);
    expect(view.lastOffset()).toBe(7);
    expect(view.epochOf(6)).toBe(3);
    expect(view.epochOf(12)).toBeUndefined();
    expect(view.entries(0, 1000).map((entry) => entry.baseOffset)).toEqual([0, 5]);
    expect(() => view.append([batch(3, 4, 3)])).toThrow("truncation must be at a batch boundary");
    view.stableTo({ snapshot: false, entryCount: 1 });
    expect(view.unstableEntries()).toEqual([]);
  });

  test("entries stop before bytesMax but always return at least one batch", () => {
    const { view } = viewWith([batch(0, 0, 1, 60), batch(1, 1, 1, 60), batch(2, 2, 1, 60)]);
    expect(view.entries(0, 130)).toHaveLength(2);
    expect(view.entries(0, 10)).toHaveLength(1);
  });

  test("the match candidate walks back an epoch at a time to a batch end", () => {
    const { view } = viewWith([batch(0, 4, 1), batch(5, 9, 2), batch(10, 14, 4), batch(15, 19, 4)]);
    expect(view.matchCandidate(17, 4)).toEqual({ offset: 14, epoch: 4 }); // 17 is inside a batch: its start
    expect(view.matchCandidate(19, 3)).toEqual({ offset: 9, epoch: 2 });
    expect(view.matchCandidate(12, 1)).toEqual({ offset: 4, epoch: 1 });
    expect(view.matchCandidate(12, 0)).toEqual({ offset: -1, epoch: 0 });
    expect(view.isUpToDate(3, 5)).toBe(true);
    expect(view.isUpToDate(30, 3)).toBe(false);
  });
});
