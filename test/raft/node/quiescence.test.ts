// Proves quiescence over GroupManagers on the in-memory transport: idle groups go quiet and only one node
// heartbeat per peer (and its answer) crosses the network per heartbeat interval, whatever the number of groups;
// a quiesced follower still replaces a dead leader within a few election timeouts; a proposal wakes a group;
// the in-sync replicas and canTakeOver stay meaningful while quiet; a restarted follower wakes its leaders; and
// seeded runs over a lossy network with crashes never elect two leaders in a term nor lose a commit.
import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/base/logger.ts";
import { ManualClock } from "../../../src/base/manual-clock.ts";
import { Prng } from "../../../src/base/prng.ts";
import type { Entry } from "../../../src/raft/core/index.ts";
import { GroupManager } from "../../../src/raft/node/group-manager.ts";
import { nodeChannelGroupId } from "../../../src/raft/node/node-liveness.ts";
import type { RaftGroup } from "../../../src/raft/node/raft-group.ts";
import { InMemoryRaftNetwork } from "../../../src/raft/transport/in-memory.ts";
import { FakeHardStateStore, FakeLogStore, payloadOf, payloadValue, testRaftConfig, turns } from "./fakes.ts";

const nodeIds = [1, 2, 3];
const membership = { voters: nodeIds, learners: [] };
const timing = { heartbeatIntervalTicks: 2, electionTimeoutTicks: 10 };

interface Stores {
  readonly log: FakeLogStore;
  readonly hardState: FakeHardStateStore;
}

interface Node {
  readonly id: number;
  manager: GroupManager;
  /** Entries applied per group. */
  readonly applied: Map<string, Entry[]>;
  /** Durable state per group, kept across a restart. */
  readonly stores: Map<string, Stores>;
}

interface Cluster {
  readonly network: InMemoryRaftNetwork;
  readonly nodes: Node[];
  readonly groupIds: string[];
  /** For each group and term, the nodes that were leader in it (two would be a safety violation). */
  readonly leadersByTerm: Map<string, Set<number>>;
  restart(node: Node): void;
}

function cluster(options: { groups: number; quiescence: boolean; seed?: number }): Cluster {
  const network = new InMemoryRaftNetwork();
  const groupIds = Array.from({ length: options.groups }, (_, index) => `topic-${index}`);
  const leadersByTerm = new Map<string, Set<number>>();
  let incarnation = 0;
  const start = (node: Node): GroupManager => {
    incarnation += 1;
    const manager = new GroupManager({
      nodeId: node.id,
      transport: network.endpoint(node.id),
      tickIntervalMs: 0,
      scheduler: new ManualClock(),
      logger: silentLogger,
      ...(options.quiescence ? { quiescence: timing } : {}),
    });
    for (const [index, groupId] of groupIds.entries()) {
      let stores = node.stores.get(groupId);
      if (stores === undefined) {
        stores = { log: new FakeLogStore(membership), hardState: new FakeHardStateStore(membership) };
        node.stores.set(groupId, stores);
      }
      const entries = node.applied.get(groupId) ?? [];
      node.applied.set(groupId, entries);
      const seed = (options.seed ?? 1) * 1_000_003 + node.id * 1_000 + index + incarnation * 7_919;
      manager.addGroup({
        groupId,
        config: testRaftConfig(node.id, seed, timing),
        store: stores.log,
        hardState: stores.hardState,
        onCommitted: (committed) => {
          for (const entry of committed)
            if (entry.lastOffset > (entries.at(-1)?.lastOffset ?? -1)) entries.push(entry);
        },
        onLeadership: (change) => {
          if (change.role !== "leader") return;
          const key = `${groupId}@${change.term}`;
          const leaders = leadersByTerm.get(key) ?? new Set<number>();
          leaders.add(node.id);
          leadersByTerm.set(key, leaders);
        },
      });
    }
    return manager;
  };
  const nodes = nodeIds.map((id) => {
    const node: Node = {
      id,
      manager: undefined as unknown as GroupManager,
      applied: new Map(),
      stores: new Map(),
    };
    node.manager = start(node);
    return node;
  });
  return {
    network,
    nodes,
    groupIds,
    leadersByTerm,
    restart(node) {
      node.manager.stop();
      node.applied.clear();
      node.manager = start(node);
    },
  };
}

async function tick(nodes: readonly Node[], count = 1): Promise<void> {
  for (let index = 0; index < count; index++) {
    for (const node of nodes) node.manager.tickAll();
    await turns(4);
  }
}

/** Ticks until done() holds; returns the ticks it took (fails past limit). */
async function tickUntil(nodes: readonly Node[], done: () => boolean, limit = 300): Promise<number> {
  let ticks = 0;
  while (!done() && ticks < limit) {
    await tick(nodes);
    ticks += 1;
  }
  expect(done()).toBe(true);
  return ticks;
}

function group(node: Node, groupId: string): RaftGroup {
  return node.manager.group(groupId)!;
}

function leaderOf(nodes: readonly Node[], groupId: string): Node | undefined {
  const leaders = nodes.filter((node) => node.manager.group(groupId)?.role === "leader");
  return leaders.length === 1 ? leaders[0] : undefined;
}

function allQuiet(nodes: readonly Node[], groupIds: readonly string[]): boolean {
  return nodes.every((node) => groupIds.every((groupId) => group(node, groupId).quiescent));
}

async function proposeAndCommit(leader: Node, groupId: string, value: number): Promise<number> {
  const result = group(leader, groupId).propose([
    { recordCount: 1, byteSize: 16, payload: payloadOf(value) },
  ]);
  if (!result.ok) throw new Error(`refused: ${result.refusal}`);
  await group(leader, groupId).waitForCommit(result.lastOffset);
  return result.lastOffset;
}

/** Node 1 leads every group, with something committed in its term. */
async function electNodeOne(c: Cluster): Promise<Node> {
  const first = c.nodes[0]!;
  for (const groupId of c.groupIds) group(first, groupId).campaign();
  await tickUntil(c.nodes, () => c.groupIds.every((groupId) => leaderOf(c.nodes, groupId) === first));
  for (const groupId of c.groupIds) await proposeAndCommit(first, groupId, 1);
  return first;
}

function messagesOver(network: InMemoryRaftNetwork): {
  calls: number;
  messages: number;
  groupMessages: number;
} {
  let messages = 0;
  let groupMessages = 0;
  for (const call of network.calls) {
    messages += call.batch.length;
    groupMessages += call.batch.filter((item) => item.groupId !== nodeChannelGroupId).length;
  }
  return { calls: network.calls.length, messages, groupMessages };
}

describe("quiescence", () => {
  test("idle groups go quiet: per heartbeat interval, one node heartbeat and one answer per pair of nodes", async () => {
    const groups = 40;
    const counts: Record<string, ReturnType<typeof messagesOver>> = {};
    for (const quiescence of [true, false]) {
      const c = cluster({ groups, quiescence });
      await electNodeOne(c);
      if (quiescence) await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
      else await tick(c.nodes, 10);
      c.network.calls.length = 0;
      const ticks = 20;
      await tick(c.nodes, ticks);
      counts[String(quiescence)] = messagesOver(c.network);
      for (const node of c.nodes) node.manager.stop();
    }
    // 3 nodes × 2 peers × (heartbeat + answer) every 2 ticks, over 20 ticks: 120 messages, none of a group.
    expect(counts.true!.groupMessages).toBe(0);
    expect(counts.true!.messages).toBe(3 * 2 * 2 * (20 / timing.heartbeatIntervalTicks));
    // Without quiescence every group heartbeats each follower, and each answers: O(groups).
    expect(counts.false!.groupMessages).toBeGreaterThanOrEqual(
      groups * 2 * 2 * (20 / timing.heartbeatIntervalTicks),
    );
  });

  test("a quiesced follower replaces a dead leader within two election timeouts, in one election per group", async () => {
    const c = cluster({ groups: 20, quiescence: true });
    const first = await electNodeOne(c);
    const terms = c.groupIds.map((groupId) => group(first, groupId).term);
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    await tick(c.nodes, 50);
    expect(allQuiet(c.nodes, c.groupIds)).toBe(true);
    first.manager.stop();
    c.network.isolate(first.id);
    const survivors = c.nodes.filter((node) => node !== first);
    // Silence is noticed after one election timeout (10 ticks); the first live replica of each group campaigns
    // 2–5 ticks later and the other grants at once: no split votes, so every group is at the next term.
    const ticks = await tickUntil(
      survivors,
      () => c.groupIds.every((groupId) => leaderOf(survivors, groupId) !== undefined),
      60,
    );
    expect(ticks).toBeLessThanOrEqual(2 * timing.electionTimeoutTicks);
    const newTerms = c.groupIds.map((groupId) => group(leaderOf(survivors, groupId)!, groupId).term);
    expect(newTerms).toEqual(terms.map((term) => term + 1));
    // The first live replica in order (node 2) took over every group.
    expect(c.groupIds.every((groupId) => leaderOf(survivors, groupId)!.id === 2)).toBe(true);
    for (const groupId of c.groupIds) await proposeAndCommit(leaderOf(survivors, groupId)!, groupId, 2);
    for (const [key, leaders] of c.leadersByTerm)
      expect({ key, leaders: leaders.size }).toEqual({ key, leaders: 1 });
    for (const node of survivors) node.manager.stop();
  });

  test("a proposal wakes a quiesced group, commits on every member, and the group goes quiet again", async () => {
    const c = cluster({ groups: 3, quiescence: true });
    const first = await electNodeOne(c);
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    const groupId = c.groupIds[1]!;
    const offset = await proposeAndCommit(first, groupId, 7);
    await tickUntil(c.nodes, () =>
      c.nodes.every((node) => group(node, groupId).highWatermark === offset + 1),
    );
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    for (const node of c.nodes) {
      expect(
        node.applied
          .get(groupId)!
          .filter((entry) => entry.kind === "data")
          .map(payloadValue),
      ).toEqual([1, 7]);
    }
    for (const node of c.nodes) node.manager.stop();
  });

  test("while quiet, live followers stay in-sync and can take over; a dead one leaves both and returns", async () => {
    const c = cluster({ groups: 2, quiescence: true });
    const first = await electNodeOne(c);
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    const lagTicksMax = 30;
    const groupId = c.groupIds[0]!;
    const leaderGroup = group(first, groupId);
    // Far longer than the lag window: the quiet leader hears its followers through their nodes.
    await tick(c.nodes, 2 * lagTicksMax);
    expect(leaderGroup.quiescent).toBe(true);
    expect(leaderGroup.inSyncReplicas(lagTicksMax).sort()).toEqual([1, 2, 3]);
    expect(leaderGroup.canTakeOver(2)).toBe(true);
    expect(leaderGroup.canTakeOver(3)).toBe(true);

    const dead = c.nodes[2]!;
    c.network.isolate(dead.id);
    const alive = c.nodes.filter((node) => node !== dead);
    await tick(alive, timing.electionTimeoutTicks);
    expect(leaderGroup.canTakeOver(3)).toBe(false);
    expect(leaderGroup.canTakeOver(2)).toBe(true);
    await tick(alive, lagTicksMax);
    expect(leaderGroup.inSyncReplicas(lagTicksMax).sort()).toEqual([1, 2]);
    // A quorum is alive: the leader stays, and quiet.
    expect(leaderOf(alive, groupId)).toBe(first);
    expect(leaderGroup.quiescent).toBe(true);

    c.network.heal();
    await tickUntil(
      c.nodes,
      () => leaderGroup.inSyncReplicas(lagTicksMax).length === 3 && leaderGroup.canTakeOver(3),
    );
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    for (const node of c.nodes) node.manager.stop();
  });

  test("a quiet leader that loses its quorum wakes, and check-quorum makes it step down", async () => {
    const c = cluster({ groups: 2, quiescence: true });
    const first = await electNodeOne(c);
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    c.network.isolate(first.id);
    await tickUntil(
      [first],
      () => c.groupIds.every((groupId) => group(first, groupId).role !== "leader"),
      60,
    );
    for (const node of c.nodes) node.manager.stop();
  });

  test("a follower that restarts at once learns its quiet leaders without an election", async () => {
    const c = cluster({ groups: 10, quiescence: true });
    const first = await electNodeOne(c);
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    const terms = c.groupIds.map((groupId) => group(first, groupId).term);
    const restarted = c.nodes[1]!;
    c.restart(restarted);
    // Well within an election timeout: the leader's node noticed the restart (its tick count went back).
    await tickUntil(
      c.nodes,
      () => c.groupIds.every((groupId) => group(restarted, groupId).leaderId === first.id),
      timing.electionTimeoutTicks - 2,
    );
    expect(c.groupIds.map((groupId) => group(first, groupId).term)).toEqual(terms);
    await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
    for (const node of c.nodes) node.manager.stop();
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`seed ${seed}: crashes, cuts and loss never elect two leaders in a term nor lose a commit`, async () => {
      const groups = 6;
      const c = cluster({ groups, quiescence: true, seed });
      const random = new Prng(seed);
      const down = new Set<Node>();
      const committed = new Map<string, number[]>(c.groupIds.map((groupId) => [groupId, []]));
      let lossPercent = 0;
      c.network.dropIf = () => random.uint32() % 100 < lossPercent;
      let value = 100;
      for (let round = 0; round < 40; round++) {
        const roll = random.uint32() % 10;
        const up = c.nodes.filter((node) => !down.has(node));
        if (roll === 0 && down.size === 0) {
          const victim = up[random.uint32() % up.length]!;
          down.add(victim);
          c.network.isolate(victim.id);
        } else if (roll === 1 && down.size > 0) {
          const back = [...down][0]!;
          down.delete(back);
          c.network.heal();
          for (const other of down) c.network.isolate(other.id);
          if (random.uint32() % 2 === 0) c.restart(back);
        } else if (roll === 2) {
          lossPercent = lossPercent === 0 ? 20 : 0;
        } else {
          const groupId = c.groupIds[random.uint32() % groups]!;
          const leader = leaderOf(up, groupId);
          const result =
            leader === undefined
              ? undefined
              : group(leader, groupId).propose([{ recordCount: 1, byteSize: 16, payload: payloadOf(value) }]);
          if (result?.ok === true) {
            const proposed = value;
            group(leader!, groupId)
              .waitForCommit(result.lastOffset)
              .then(
                () => committed.get(groupId)!.push(proposed),
                () => {},
              );
          }
          value += 1;
        }
        await tick(
          c.nodes.filter((node) => !down.has(node)),
          1 + (random.uint32() % 15),
        );
      }
      // Heal everything: every group elects, commits one more, and goes quiet again.
      down.clear();
      lossPercent = 0;
      c.network.heal();
      await tickUntil(c.nodes, () => c.groupIds.every((groupId) => leaderOf(c.nodes, groupId) !== undefined));
      for (const groupId of c.groupIds) {
        const leader = leaderOf(c.nodes, groupId);
        if (leader !== undefined) await proposeAndCommit(leader, groupId, 1);
      }
      await tickUntil(c.nodes, () => allQuiet(c.nodes, c.groupIds));
      for (const [key, leaders] of c.leadersByTerm)
        expect({ key, leaders: leaders.size }).toEqual({ key, leaders: 1 });
      for (const groupId of c.groupIds) {
        const leader = leaderOf(c.nodes, groupId)!;
        const log = group(leader, groupId);
        for (const node of c.nodes) expect(group(node, groupId).highWatermark).toBe(log.highWatermark);
        // Every acknowledged commit is in the leader's log, once.
        const held = leader.stores.get(groupId)!.log.log.entries(0, Number.MAX_SAFE_INTEGER);
        const values = held.filter((entry) => entry.kind === "data").map(payloadValue);
        for (const acknowledged of committed.get(groupId)!) expect(values).toContain(acknowledged);
        expect(new Set(values).size).toBe(values.length);
        // Every member holds the same log.
        for (const node of c.nodes) {
          const theirs = node.stores.get(groupId)!.log.log.entries(0, Number.MAX_SAFE_INTEGER);
          expect(theirs.map((entry) => [entry.lastOffset, entry.epoch])).toEqual(
            held.map((entry) => [entry.lastOffset, entry.epoch]),
          );
        }
      }
      for (const node of c.nodes) node.manager.stop();
    });
  }
});
