// Proves a node that does not lead the metadata changes it through the leader without ever appending a record
// planned against a state the leader has moved past: concurrent creations of one topic from two nodes give one
// topic and one TOPIC_ALREADY_EXISTS, a stale plan is planned again, a leader that moved away is followed, and
// the caller sees its change applied locally when its call returns.

import { expect, test } from "bun:test";
import { ManualClock } from "../../../src/base/manual-clock.ts";
import type { CommandResult } from "../../../src/cluster/metadata/metadata-commands.ts";
import { planCreateTopic } from "../../../src/cluster/metadata/metadata-commands.ts";
import type { MetadataRecord } from "../../../src/cluster/metadata/metadata-records.ts";
import type { MetadataState } from "../../../src/cluster/metadata/metadata-state.ts";
import {
  type ForwardAnswer,
  type ForwardRequest,
  RaftMetadataService,
} from "../../../src/cluster/metadata/raft-metadata-service.ts";
import type { Entry, Proposal } from "../../../src/raft/core/index.ts";

/**
 * One replicated metadata log shared by nodes 1..n: node `leader` appends; every node is handed each committed
 * entry, the followers `followerLagMs` later than the leader.
 */
function cluster(nodeCount: number, options: { followerLagMs: number; answersLost?: number }) {
  let answersLost = options.answersLost ?? 0;
  const entries: Entry[] = [];
  const services = new Map<number, RaftMetadataService>();
  const forwarded: Array<{ to: number; request: ForwardRequest; answer: ForwardAnswer }> = [];
  let leader = 1;
  const logOf = (nodeId: number) => ({
    get isLeader() {
      return nodeId === leader;
    },
    get leaderId() {
      return leader;
    },
    get lastOffset() {
      return entries.length - 1;
    },
    propose(proposals: readonly Proposal[]) {
      if (nodeId !== leader) return { ok: false as const, refusal: "notLeader" as const };
      const proposal = proposals[0]!;
      const offset = entries.length;
      const entry: Entry = {
        baseOffset: offset,
        lastOffset: offset + proposal.recordCount - 1,
        epoch: 1,
        kind: "data",
        byteSize: proposal.byteSize,
        payload: proposal.payload,
      };
      // One entry per offset keeps the arithmetic simple: record counts are 1 in these tests.
      entries.push(entry);
      for (const [id, service] of services) {
        setTimeout(() => service.applyCommitted([entry]), id === leader ? 1 : options.followerLagMs);
      }
      return { ok: true as const, lastOffset: entry.lastOffset };
    },
    waitForCommit: (offset: number) =>
      new Promise<void>((resolve, reject) => {
        const poll = () => {
          if (nodeId !== leader) reject(new Error("not leader"));
          else if (offset < 0 || services.get(nodeId)!.appliedEnd > offset) resolve();
          else setTimeout(poll, 1);
        };
        poll();
      }),
  });
  for (let id = 1; id <= nodeCount; id++) {
    services.set(
      id,
      new RaftMetadataService({
        log: logOf(id),
        clock: new ManualClock({ wallMs: 1000 }),
        // Real pauses, shortened: the followers' lag is real time too.
        scheduler: {
          setTimeout: (run, ms) => {
            const timer = setTimeout(run, Math.min(ms, 100));
            return () => clearTimeout(timer);
          },
          setInterval: () => () => {},
        },
        forward: async (leaderId, request) => {
          const answer = await services.get(leaderId)!.acceptForwarded(request);
          forwarded.push({ to: leaderId, request, answer });
          if (answersLost > 0) {
            // The leader took the change, and its answer never came back (a reset connection, a timeout).
            answersLost -= 1;
            throw new Error("connection reset");
          }
          return answer;
        },
      }),
    );
  }
  return {
    node: (id: number) => services.get(id)!,
    forwarded,
    entries,
    moveLeader(to: number) {
      leader = to;
    },
  };
}

const broker = (nodeId: number): MetadataRecord => ({
  type: "broker",
  nodeId,
  host: "h",
  port: nodeId,
  rack: null,
});

function createTopic(name: string) {
  return (state: MetadataState): CommandResult =>
    planCreateTopic(
      {
        state,
        defaults: { numPartitions: 1, replicationFactor: 1 },
        newTopicId: () => `${name}-id-${Math.random()}`.slice(0, 22),
        randomIndex: () => 0,
      },
      { name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: new Map() },
    );
}

test("a follower's change goes through the leader and is applied locally when execute returns", async () => {
  const nodes = cluster(3, { followerLagMs: 10 });
  await nodes.node(1).execute(() => ({ ok: true, records: [broker(1)] }));
  await Bun.sleep(20);
  const result = await nodes.node(2).execute(createTopic("orders"));
  expect(result.ok).toBe(true);
  expect(nodes.node(2).state.topicByName("orders")).toBeDefined();
  expect(nodes.forwarded.map((call) => call.answer.outcome)).toEqual(["committed"]);
});

test("the same topic created on two followers at once: one topic, one TOPIC_ALREADY_EXISTS", async () => {
  const nodes = cluster(3, { followerLagMs: 15 });
  await nodes.node(1).execute(() => ({ ok: true, records: [broker(1)] }));
  await Bun.sleep(30);
  const [a, b] = await Promise.all([
    nodes.node(2).execute(createTopic("orders")),
    nodes.node(3).execute(createTopic("orders")),
  ]);
  expect([a.ok, b.ok].sort()).toEqual([false, true]);
  expect([a, b].find((result) => !result.ok)).toMatchObject({ error: "TOPIC_ALREADY_EXISTS" });
  // The loser's first plan was stale at the leader: it caught up and planned again.
  expect(nodes.forwarded.map((call) => call.answer.outcome)).toContain("stale");
  const topicRecords = nodes.entries.length;
  expect(topicRecords).toBe(2); // the broker and one topic, never two topics of one name
});

test("a forward whose answer is lost after the leader took it succeeds, and the change is made once", async () => {
  const nodes = cluster(3, { followerLagMs: 10, answersLost: 1 });
  await nodes.node(1).execute(() => ({ ok: true, records: [broker(1)] }));
  await Bun.sleep(20);
  const result = await nodes.node(2).execute(createTopic("orders"));
  // Without remembering the unanswered attempt, the retry finds the topic and answers TOPIC_ALREADY_EXISTS.
  expect(result).toMatchObject({ ok: true });
  const topic = nodes.node(2).state.topicByName("orders")!;
  expect(result.ok && result.records[0]).toMatchObject({ type: "topic", topicId: topic.topicId });
  expect(nodes.entries.length).toBe(2); // the broker and the topic, once
});

test("a plan against a state the leader moved past is never appended", async () => {
  const nodes = cluster(2, { followerLagMs: 40 });
  await nodes.node(1).execute(() => ({ ok: true, records: [broker(1)] }));
  // Node 2 has not applied the broker yet (40 ms lag): its plan is based on an older version.
  const result = await nodes.node(2).execute(() => ({ ok: true, records: [broker(2)] }));
  expect(result.ok).toBe(true);
  const [first, second] = nodes.forwarded;
  expect(first!.answer.outcome).toBe("stale");
  expect(first!.request.basedOnOffset).toBe(-1);
  expect(second!.answer.outcome).toBe("committed");
  expect(second!.request.basedOnOffset).toBe(0);
});

test("a follower forwards to whoever leads now", async () => {
  const nodes = cluster(3, { followerLagMs: 5 });
  await nodes.node(1).execute(() => ({ ok: true, records: [broker(1)] }));
  await Bun.sleep(20);
  nodes.moveLeader(3);
  const result = await nodes.node(2).execute(createTopic("payments"));
  expect(result.ok).toBe(true);
  expect(nodes.forwarded.at(-1)!.to).toBe(3);
  // The old leader, now a follower, refuses a forwarded change and names the new one.
  expect(await nodes.node(1).acceptForwarded({ records: [], basedOnOffset: 0 })).toEqual({
    outcome: "notLeader",
    leaderId: 3,
  });
});

test("with no leader to take it, a change fails after its attempts instead of hanging", async () => {
  const service = new RaftMetadataService({
    log: {
      isLeader: false,
      leaderId: null,
      lastOffset: -1,
      propose: () => ({ ok: false, refusal: "notLeader" }),
      waitForCommit: () => Promise.reject(new Error("not leader")),
    },
    clock: new ManualClock(),
    scheduler: {
      setTimeout: (run) => {
        queueMicrotask(run);
        return () => {};
      },
      setInterval: () => () => {},
    },
    forward: () => Promise.reject(new Error("unreachable")),
  });
  await expect(service.execute(createTopic("x"))).rejects.toThrow("no metadata leader");
});

test("a lagging node's read barrier returns once it has applied what the leader had (a restart's catch-up)", async () => {
  const nodes = cluster(2, { followerLagMs: 40 });
  await nodes.node(1).execute(() => ({ ok: true, records: [broker(1)] }));
  expect(nodes.node(2).state.broker(1)).toBeUndefined();
  await nodes.node(2).catchUpWithLeader();
  expect(nodes.node(2).state.broker(1)).toBeDefined();
  // Nothing was appended for it.
  expect(nodes.entries).toHaveLength(1);
});
