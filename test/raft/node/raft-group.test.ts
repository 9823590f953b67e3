// Proves the RaftGroup driver: a lone voter elects itself and commits after its fsync, proposals get offsets at
// once and share one persist per turn, waiters settle or reject with the right Kafka outcome, and a failed
// persist stops the group before anything is sent or applied.
import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/base/logger.ts";
import type { Entry, Message, Proposal, RaftConfig } from "../../../src/raft/core/index.ts";
import { OffsetWaiters } from "../../../src/raft/node/offset-waiters.ts";
import type { LeadershipChange } from "../../../src/raft/node/raft-group.ts";
import { RaftGroup } from "../../../src/raft/node/raft-group.ts";
import { RaftGroupError } from "../../../src/raft/node/raft-group-error.ts";
import { FakeHardStateStore, FakeLogStore, payloadOf, payloadValue, testRaftConfig, turns } from "./fakes.ts";

interface Harness {
  readonly group: RaftGroup;
  readonly store: FakeLogStore;
  readonly hardState: FakeHardStateStore;
  readonly sent: Message[];
  readonly applied: Entry[];
  readonly leadership: LeadershipChange[];
}

function harness(voters: number[], overrides: Partial<RaftConfig> = {}): Harness {
  const membership = { voters, learners: [] };
  const store = new FakeLogStore(membership);
  const hardState = new FakeHardStateStore(membership);
  const sent: Message[] = [];
  const applied: Entry[] = [];
  const leadership: LeadershipChange[] = [];
  const group = new RaftGroup({
    groupId: "orders-0",
    nodeId: 1,
    config: testRaftConfig(1, 7, overrides),
    store,
    hardState,
    send: (messages) => sent.push(...messages),
    onCommitted: (entries) => applied.push(...entries),
    onLeadership: (change) => leadership.push(change),
    logger: silentLogger,
  });
  return { group, store, hardState, sent, applied, leadership };
}

function proposal(value: number, recordCount = 1): Proposal {
  return { recordCount, byteSize: 64, payload: payloadOf(value) };
}

async function standaloneLeader(): Promise<Harness> {
  const h = harness([1]);
  h.group.start();
  for (let turn = 0; turn < 10 && h.group.role !== "leader"; turn++) await turns(1);
  await turns(2);
  return h;
}

/** A two-voter group whose node 1 has won node 2's vote (node 2 is played by the test). */
async function twoVoterLeader(): Promise<Harness> {
  const h = harness([1, 2], { preVote: false });
  h.group.start();
  h.group.campaign();
  await turns(3);
  const vote = h.sent.find((message) => message.type === "vote");
  expect(vote?.to).toBe(2);
  h.group.step({ type: "voteResponse", from: 2, to: 1, term: vote!.term, preVote: false, granted: true });
  expect(h.group.role).toBe("leader");
  return h;
}

/** Node 2, as follower in the leader's term, reports its log matching through matchOffset. */
function acknowledgeFromNode2(h: Harness, matchOffset: number): void {
  h.group.step({
    type: "appendResponse",
    from: 2,
    to: 1,
    term: h.group.term,
    reject: false,
    matchOffset,
    hintOffset: -1,
    hintEpoch: 0,
  });
}

function dataEntry(offset: number, epoch: number): Entry {
  return {
    baseOffset: offset,
    lastOffset: offset,
    epoch,
    kind: "data",
    byteSize: 64,
    payload: payloadOf(offset),
  };
}

/** An append from node 2 as leader of `term` to node 1, starting the log. */
function appendFromNode2(term: number, entries: Entry[]): Message {
  return { type: "append", from: 2, to: 1, term, prevOffset: -1, prevEpoch: 0, entries, commitOffset: -1 };
}

describe("single voter", () => {
  test("elects itself at start without ticks; over an empty log it appends no control batch", async () => {
    const h = await standaloneLeader();
    expect(h.group.role).toBe("leader");
    expect(h.group.leaderId).toBe(1);
    expect(h.group.term).toBe(1);
    expect(h.group.highWatermark).toBe(0);
    expect(h.store.log.lastOffset()).toBe(-1);
    expect(h.applied).toEqual([]);
    expect(h.leadership.at(-1)).toEqual({ role: "leader", leaderId: 1, term: 1 });
    // Term and vote are durable; the commit offset is saved only with them, so it may lag (a lower bound).
    expect(h.hardState.state).toMatchObject({ term: 1, votedFor: 1 });
    expect(h.hardState.state.commitOffset).toBe(-1);
    expect(h.sent).toEqual([]);
    const first = h.group.propose([proposal(1)]);
    expect(first).toEqual({ ok: true, lastOffset: 0 }); // a new partition's first record, as in Kafka
  });

  test("appends that only move the commit offset do not rewrite the hard state", async () => {
    const h = await standaloneLeader();
    const savesAfterElection = h.hardState.saveCalls;
    for (let round = 0; round < 5; round++) {
      const result = h.group.propose([proposal(1)]);
      if (!result.ok) throw new Error(result.refusal);
      await h.group.waitForCommit(result.lastOffset);
    }
    expect(h.group.highWatermark).toBe(5);
    expect(h.hardState.saveCalls).toBe(savesAfterElection);
  });

  test("proposals of one turn get offsets at once, share one persist, and apply once in order", async () => {
    const h = await standaloneLeader();
    const before = h.store.writeCalls;
    const results = [1, 2, 3, 4, 5].map((value) => h.group.propose([proposal(value, value)]));
    expect(results.map((result) => (result.ok ? result.lastOffset : -1))).toEqual([0, 2, 5, 9, 14]);
    expect(h.group.commitOffset).toBe(-1);
    const persisted = h.group.waitForPersisted(14);
    const committed = h.group.waitForCommit(14);
    await persisted;
    await committed;
    expect(h.store.writeCalls - before).toBe(1);
    expect(h.group.commitOffset).toBe(14);
    expect(h.applied.map((entry) => entry.baseOffset)).toEqual([0, 1, 3, 6, 10]);
    expect(h.applied.map(payloadValue)).toEqual([1, 2, 3, 4, 5]);
    await turns(5);
    expect(h.applied.length).toBe(5);
  });

  test("proposals made while a write is in flight keep their promised offsets", async () => {
    const h = await standaloneLeader();
    let release = (): void => {};
    h.store.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const callsBefore = h.store.writeCalls;
    const first = h.group.propose([proposal(10, 2)]);
    await turns(2);
    expect(h.store.writeCalls).toBe(callsBefore + 1);
    const during = [h.group.propose([proposal(11)]), h.group.propose([proposal(12, 3)])];
    expect(first).toEqual({ ok: true, lastOffset: 1 });
    expect(during).toEqual([
      { ok: true, lastOffset: 2 },
      { ok: true, lastOffset: 5 },
    ]);
    const committed = h.group.waitForCommit(5);
    h.store.gate = undefined;
    release();
    await committed;
    expect(h.store.writeCalls).toBe(callsBefore + 2);
    expect(h.applied.map((entry) => [entry.baseOffset, payloadValue(entry)])).toEqual([
      [0, 10],
      [2, 11],
      [3, 12],
    ]);
  });

  test("a leader writes the next proposals while the previous write is not yet durable", async () => {
    const h = await standaloneLeader();
    const gate = Promise.withResolvers<void>();
    h.store.gate = gate.promise;
    const callsBefore = h.store.writeCalls;
    const first = h.group.propose([proposal(20)]);
    await turns(2);
    const second = h.group.propose([proposal(21)]);
    await turns(2);
    // Both written (the reader serves them), neither durable, nothing committed.
    expect(h.store.writeCalls).toBe(callsBefore + 2);
    expect(h.store.log.lastOffset()).toBe(1);
    expect(h.group.persistedOffset).toBe(-1);
    expect(h.group.commitOffset).toBe(-1);
    expect([first, second]).toEqual([
      { ok: true, lastOffset: 0 },
      { ok: true, lastOffset: 1 },
    ]);
    h.store.gate = undefined;
    gate.resolve();
    await h.group.waitForCommit(1);
    expect(h.group.persistedOffset).toBe(1);
    expect(h.applied.map(payloadValue)).toEqual([20, 21]);
  });

  test("a failed persist stops the group, rejects waiters with a storage error, applies nothing", async () => {
    const h = await standaloneLeader();
    h.store.failWith = new Error("ENOSPC: no space left on device");
    const result = h.group.propose([proposal(1)]);
    expect(result.ok).toBe(true);
    const persisted = h.group.waitForPersisted(0);
    const committed = h.group.waitForCommit(0);
    const error = await committed.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RaftGroupError);
    expect((error as RaftGroupError).reason).toBe("storageFailed");
    expect((error as RaftGroupError).kafkaError).toBe("KAFKA_STORAGE_ERROR");
    await expect(persisted).rejects.toBeInstanceOf(RaftGroupError);
    expect(h.group.stopped?.reason).toBe("storageFailed");
    expect(h.applied).toEqual([]);
    expect(h.group.propose([proposal(2)]).ok).toBe(false);
    await expect(h.group.waitForCommit(5)).rejects.toBeInstanceOf(RaftGroupError);
  });
});

describe("with a peer", () => {
  test("a leader sends its appends before its own write is durable, and commits only once it is", async () => {
    const h = await twoVoterLeader();
    await turns(3);
    acknowledgeFromNode2(h, -1); // the leader's first (empty) append: the follower's progress leaves probing
    const gate = Promise.withResolvers<void>();
    h.store.gate = gate.promise;
    const result = h.group.propose([proposal(1)]);
    const offset = result.ok ? result.lastOffset : -1;
    await turns(3);
    const carries = (message: Message): boolean =>
      message.type === "append" && message.entries.at(-1)?.lastOffset === offset;
    expect(h.sent.some(carries)).toBe(true);
    expect(h.group.persistedOffset).toBeLessThan(offset);
    acknowledgeFromNode2(h, offset);
    await turns(3);
    // The follower alone is not a quorum of two: the leader's own copy must be durable too.
    expect(h.group.commitOffset).toBeLessThan(offset);
    h.store.gate = undefined;
    gate.resolve();
    await h.group.waitForCommit(offset);
    expect(h.group.persistedOffset).toBe(offset);
  });

  test("a follower's failed write sends nothing of its Ready", async () => {
    const h = harness([1, 2], { preVote: false });
    h.group.start();
    h.store.failWith = new Error("EIO");
    h.group.step(appendFromNode2(1, [dataEntry(0, 1)]));
    await turns(5);
    expect(h.group.stopped?.reason).toBe("storageFailed");
    expect(h.sent).toEqual([]);
    h.group.tick();
    await turns(3);
    expect(h.sent).toEqual([]);
  });

  test("losing leadership rejects waiters with NOT_LEADER_OR_FOLLOWER", async () => {
    const h = await twoVoterLeader();
    const result = h.group.propose([proposal(1)]);
    expect(result.ok).toBe(true);
    const committed = h.group.waitForCommit(result.ok ? result.lastOffset : 0);
    await turns(3);
    h.group.step({
      type: "heartbeat",
      from: 2,
      to: 1,
      term: h.group.term + 1,
      commitOffset: -1,
      readRequestId: -1,
    });
    const error = (await committed.catch((caught: unknown) => caught)) as RaftGroupError;
    expect(error.reason).toBe("notLeader");
    expect(error.kafkaError).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(h.group.role).toBe("follower");
    expect(h.leadership.at(-1)).toEqual({ role: "follower", leaderId: 2, term: 2 });
    expect(h.group.propose([proposal(2)])).toMatchObject({ ok: false, refusal: "notLeader" });
  });

  test("a deposed leader never settles a wait with the new leader's entry at the same offset", async () => {
    // Three voters: node 1 led term 1 with node 2's vote, then nodes 2 and 3 elected node 2 in term 2 without it
    // (node 1 was paused). node 2's first append replaces node 1's uncommitted offset 0 and commits its own
    // offset 0 at once: a wait for node 1's record must reject, not see "offset 0 committed" and succeed.
    const h = harness([1, 2, 3], { preVote: false, deliverCommittedEntries: false });
    h.group.start();
    h.group.campaign();
    await turns(3);
    h.group.step({ type: "voteResponse", from: 2, to: 1, term: 1, preVote: false, granted: true });
    expect(h.group.role).toBe("leader");
    const result = h.group.propose([proposal(7)]);
    expect(result).toEqual({ ok: true, lastOffset: 0 });
    const committed = h.group.waitForCommit(0).then(
      () => "acknowledged",
      (error: RaftGroupError) => error.kafkaError,
    );
    const persisted = h.group.waitForPersisted(0);
    await persisted;
    h.group.step({
      type: "append",
      from: 2,
      to: 1,
      term: 2,
      prevOffset: -1,
      prevEpoch: 0,
      entries: [{ ...dataEntry(0, 2), payload: payloadOf(99) }],
      commitOffset: 0,
    });
    expect(await committed).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(h.group.role).toBe("follower");
  });

  test("peer messages and ticks arriving during a follower's write wait for it, then take effect", async () => {
    const h = harness([1, 2], { preVote: false });
    h.group.start();
    const gate = Promise.withResolvers<void>();
    h.store.gate = gate.promise;
    h.group.step(appendFromNode2(1, [dataEntry(0, 1)]));
    await turns(2);
    expect(h.store.writeCalls).toBe(1);
    h.group.step({ type: "heartbeat", from: 2, to: 1, term: 2, commitOffset: -1, readRequestId: -1 });
    h.group.tick();
    expect(h.group.term).toBe(1);
    expect(h.sent).toEqual([]);
    h.store.gate = undefined;
    gate.resolve();
    await turns(5);
    expect(h.group.term).toBe(2);
    const answer = h.sent.find((message) => message.type === "appendResponse");
    expect(answer).toMatchObject({ to: 2, term: 1, reject: false, matchOffset: 0 });
  });

  test("commit waits for the follower's acknowledgement, then settles", async () => {
    const h = await twoVoterLeader();
    const result = h.group.propose([proposal(1)]);
    const offset = result.ok ? result.lastOffset : -1;
    expect(offset).toBe(0);
    let committed = false;
    const waiting = h.group.waitForCommit(offset).then(() => {
      committed = true;
    });
    await h.group.waitForPersisted(offset);
    await turns(3);
    expect(committed).toBe(false);
    acknowledgeFromNode2(h, offset);
    await waiting;
    expect(h.group.highWatermark).toBe(offset + 1);
  });

  test("an aborted wait rejects with the signal's reason and others still settle", async () => {
    const h = await twoVoterLeader();
    expect(h.group.propose([proposal(1)])).toEqual({ ok: true, lastOffset: 0 });
    const controller = new AbortController();
    const aborted = h.group.waitForCommit(0, controller.signal);
    const other = h.group.waitForCommit(0);
    controller.abort(new Error("request timed out"));
    await expect(aborted).rejects.toThrow("request timed out");
    acknowledgeFromNode2(h, 0);
    await other;
    expect(h.group.commitOffset).toBe(0);
  });
});

describe("OffsetWaiters", () => {
  test("settles in offset order whatever the insertion order, and rejects only the tail", async () => {
    const waiters = new OffsetWaiters();
    const outcomes: string[] = [];
    for (const offset of [5, 1, 9, 3, 7]) {
      waiters.add(offset).then(
        () => outcomes.push(`ok ${offset}`),
        () => outcomes.push(`no ${offset}`),
      );
    }
    waiters.settleThrough(4);
    await turns(1);
    expect(outcomes.sort()).toEqual(["ok 1", "ok 3"]);
    waiters.rejectAbove(6, new Error("dropped"));
    await turns(1);
    expect(outcomes.sort()).toEqual(["no 7", "no 9", "ok 1", "ok 3"]);
    expect(waiters.size).toBe(1);
    waiters.settleThrough(100);
    await turns(1);
    expect(outcomes).toContain("ok 5");
    expect(waiters.size).toBe(0);
  });
});
