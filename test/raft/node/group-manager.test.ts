// Proves the GroupManager over the in-memory transport: three nodes hosting the same two groups elect leaders,
// commit proposals on every member, fail over when the leader's node stops, send each peer one call per turn
// carrying every group's messages, and pass the transport's unreachable reports on to their groups.
import { describe, expect, test } from "bun:test";
import type { Clock } from "../../../src/base/clock.ts";
import { silentLogger } from "../../../src/base/logger.ts";
import { ManualClock } from "../../../src/base/manual-clock.ts";
import type { Entry } from "../../../src/raft/core/index.ts";
import { GroupManager } from "../../../src/raft/node/group-manager.ts";
import type { RaftGroup } from "../../../src/raft/node/raft-group.ts";
import { InMemoryRaftNetwork } from "../../../src/raft/transport/in-memory.ts";
import {
  FakeHardStateStore,
  FakeLogStore,
  payloadOf,
  payloadValue,
  seededRandomInt,
  testRaftConfig,
  turns,
} from "./fakes.ts";

const nodeIds = [1, 2, 3];
const groupIds = ["orders-0", "orders-1"];

interface Node {
  readonly id: number;
  readonly manager: GroupManager;
  /** Entries applied per group. */
  readonly applied: Map<string, Entry[]>;
}

function cluster(
  options: {
    heartbeatIntervalTicks?: number;
    tickIntervalMs?: number;
    clock?: ManualClock;
    /** The clock a node's timer reads (default none: each timer run is one tick). */
    clockOf?: (id: number) => Clock;
  } = {},
): {
  network: InMemoryRaftNetwork;
  nodes: Node[];
} {
  const heartbeatIntervalTicks = options.heartbeatIntervalTicks ?? 2;
  const network = new InMemoryRaftNetwork();
  const membership = { voters: nodeIds, learners: [] };
  const nodes = nodeIds.map((id) => {
    const manager = new GroupManager({
      nodeId: id,
      transport: network.endpoint(id),
      tickIntervalMs: options.tickIntervalMs ?? 0,
      scheduler: options.clock ?? new ManualClock(),
      clock: options.clockOf?.(id),
      logger: silentLogger,
    });
    const applied = new Map<string, Entry[]>();
    for (const [index, groupId] of groupIds.entries()) {
      const entries: Entry[] = [];
      applied.set(groupId, entries);
      manager.addGroup({
        groupId,
        config: testRaftConfig(id, id * 100 + index, { heartbeatIntervalTicks }),
        store: new FakeLogStore(membership),
        hardState: new FakeHardStateStore(membership),
        onCommitted: (committed) => entries.push(...committed),
      });
    }
    return { id, manager, applied };
  });
  return { network, nodes };
}

/**
 * Ticks every live node until done() holds (bounded), letting loops and deliveries run between ticks; with a
 * delaying network, pauseMs must exceed its delay so that a tick stays longer than a message's flight.
 */
async function tickUntil(nodes: readonly Node[], done: () => boolean, pauseMs = 0): Promise<void> {
  for (let tick = 0; tick < 200 && !done(); tick++) {
    for (const node of nodes) node.manager.tickAll();
    if (pauseMs > 0) await Bun.sleep(pauseMs);
    await turns(4);
  }
  expect(done()).toBe(true);
}

function leaderOf(nodes: readonly Node[], groupId: string): Node | undefined {
  const leaders = nodes.filter((node) => node.manager.group(groupId)?.role === "leader");
  return leaders.length === 1 ? leaders[0] : undefined;
}

function group(node: Node, groupId: string): RaftGroup {
  return node.manager.group(groupId)!;
}

async function proposeAndCommit(leader: Node, groupId: string, value: number): Promise<number> {
  const result = group(leader, groupId).propose([
    { recordCount: 2, byteSize: 64, payload: payloadOf(value) },
  ]);
  if (!result.ok) throw new Error(`refused: ${result.refusal}`);
  await group(leader, groupId).waitForCommit(result.lastOffset);
  return result.lastOffset;
}

function appliedValues(node: Node, groupId: string): number[] {
  return node.applied
    .get(groupId)!
    .filter((entry) => entry.kind === "data")
    .map(payloadValue);
}

describe("three managers, two groups", () => {
  test("elect leaders, commit on every member, and fail over when the leader's node stops", async () => {
    const { network, nodes } = cluster();
    await tickUntil(nodes, () => groupIds.every((groupId) => leaderOf(nodes, groupId) !== undefined));
    for (const [index, groupId] of groupIds.entries()) {
      await proposeAndCommit(leaderOf(nodes, groupId)!, groupId, 100 + index);
    }
    await tickUntil(nodes, () =>
      nodes.every((node) =>
        groupIds.every((groupId, index) => appliedValues(node, groupId).includes(100 + index)),
      ),
    );

    const victim = leaderOf(nodes, groupIds[0]!)!;
    const oldTerm = group(victim, groupIds[0]!).term;
    victim.manager.stop();
    network.isolate(victim.id);
    expect(victim.manager.group(groupIds[0]!)).toBeUndefined();
    const survivors = nodes.filter((node) => node !== victim);
    await tickUntil(survivors, () => groupIds.every((groupId) => leaderOf(survivors, groupId) !== undefined));
    const newLeader = leaderOf(survivors, groupIds[0]!)!;
    expect(group(newLeader, groupIds[0]!).term).toBeGreaterThan(oldTerm);
    for (const [index, groupId] of groupIds.entries()) {
      await proposeAndCommit(leaderOf(survivors, groupId)!, groupId, 200 + index);
    }
    await tickUntil(survivors, () =>
      survivors.every((node) =>
        groupIds.every((groupId, index) => appliedValues(node, groupId).includes(200 + index)),
      ),
    );
    for (const node of survivors) {
      for (const [index, groupId] of groupIds.entries()) {
        expect(appliedValues(node, groupId)).toEqual([100 + index, 200 + index]);
        const offsets = node.applied.get(groupId)!.map((entry) => entry.baseOffset);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        expect(new Set(offsets).size).toBe(offsets.length);
      }
    }
    for (const node of survivors) node.manager.stop();
  });

  test("a lossy, slow network still elects and commits every proposal on every member", async () => {
    const { network, nodes } = cluster();
    const random = seededRandomInt(42);
    network.dropIf = () => random(100) < 20;
    network.delayMs = 1;
    await tickUntil(nodes, () => groupIds.every((groupId) => leaderOf(nodes, groupId) !== undefined), 3);
    let accepted = 0;
    for (let value = 1; value <= 6; value++) {
      const groupId = groupIds[value % 2]!;
      const leader = leaderOf(nodes, groupId)!;
      const result = group(leader, groupId).propose([
        { recordCount: 1, byteSize: 8, payload: payloadOf(value) },
      ]);
      if (result.ok) accepted += 1;
    }
    expect(accepted).toBe(6);
    const applied = (node: Node): number =>
      groupIds.reduce((sum, id) => sum + appliedValues(node, id).length, 0);
    await tickUntil(nodes, () => nodes.every((node) => applied(node) === accepted), 3);
    for (const groupId of groupIds) {
      const reference = appliedValues(nodes[0]!, groupId);
      for (const node of nodes) expect(appliedValues(node, groupId)).toEqual(reference);
    }
    for (const node of nodes) node.manager.stop();
  });

  test("messages of all groups to one peer in one turn leave in one transport call", async () => {
    const { network, nodes } = cluster({ heartbeatIntervalTicks: 1 });
    const first = nodes[0]!;
    for (const groupId of groupIds) group(first, groupId).campaign();
    await tickUntil(nodes, () => groupIds.every((groupId) => leaderOf(nodes, groupId) === first));
    await turns(10);
    network.calls.length = 0;
    first.manager.tickAll();
    await turns(3);
    const fromFirst = network.calls.filter((call) => call.from === first.id);
    expect(fromFirst.map((call) => call.to).sort()).toEqual([2, 3]);
    for (const call of fromFirst) {
      expect(call.batch.map((item) => item.groupId).sort()).toEqual(groupIds);
      expect(call.batch.every((item) => item.message.type === "heartbeat")).toBe(true);
    }
    for (const node of nodes) node.manager.stop();
  });

  test("a call over a cut link reports the peer unreachable: its groups' leaders resend from its match at once", async () => {
    for (const wired of [true, false]) {
      const { network, nodes } = cluster();
      const first = nodes[0]!;
      for (const groupId of groupIds) group(first, groupId).campaign();
      await tickUntil(nodes, () => groupIds.every((groupId) => leaderOf(nodes, groupId) === first));
      await proposeAndCommit(first, groupIds[0]!, 1);
      await tickUntil(nodes, () => appliedValues(nodes[2]!, groupIds[0]!).includes(1));
      // Without the wiring, the manager never hears of the failed calls (the transport's report goes nowhere).
      if (!wired) first.manager.reportUnreachable = () => {};
      network.isolate(3);
      await proposeAndCommit(first, groupIds[0]!, 2);
      await turns(4);
      network.heal();
      // One heartbeat round (heartbeatIntervalTicks 2): a follower in probe gets the missing entry with it.
      for (let tick = 0; tick < 2; tick++) {
        for (const node of nodes) node.manager.tickAll();
        await turns(4);
      }
      await turns(10);
      expect({ wired, caughtUp: appliedValues(nodes[2]!, groupIds[0]!).includes(2) }).toEqual({
        wired,
        caughtUp: wired,
      });
      for (const node of nodes) node.manager.stop();
    }
  });

  test("groups come and go at runtime; messages for an unknown group are dropped", async () => {
    const { nodes } = cluster();
    await tickUntil(nodes, () => groupIds.every((groupId) => leaderOf(nodes, groupId) !== undefined));
    const removed = group(nodes[1]!, groupIds[1]!);
    expect(nodes[1]!.manager.removeGroup(groupIds[1]!)).toBe(true);
    expect(removed.stopped?.reason).toBe("stopped");
    expect(nodes[1]!.manager.groupIds).toEqual([groupIds[0]!]);
    const leader = leaderOf(nodes, groupIds[0]!)!;
    await proposeAndCommit(leader, groupIds[0]!, 7);
    // The other two members still form a majority of orders-1.
    const remaining = nodes.filter((node) => node !== nodes[1]);
    await tickUntil(remaining, () => leaderOf(remaining, groupIds[1]!) !== undefined);
    await proposeAndCommit(leaderOf(remaining, groupIds[1]!)!, groupIds[1]!, 8);
    for (const node of nodes) node.manager.stop();
  });

  test("a follower holding entries the leader could not commit never reports them below its high watermark", async () => {
    const { network, nodes } = cluster();
    const groupId = groupIds[0]!;
    await tickUntil(nodes, () => leaderOf(nodes, groupId) !== undefined);
    const leader = leaderOf(nodes, groupId)!;
    const committedOffset = await proposeAndCommit(leader, groupId, 1);
    const [reader, silent] = nodes.filter((node) => node !== leader) as [Node, Node];
    await tickUntil(nodes, () => group(reader, groupId).highWatermark === committedOffset + 1);
    // The reader still receives the leader's appends, but its answers are lost and the third node is cut off:
    // the leader cannot commit, while the reader's log grows past what is committed.
    network.dropIf = (call) =>
      (call.from === reader.id && call.to === leader.id) || call.from === silent.id || call.to === silent.id;
    const proposed = group(leader, groupId).propose([
      { recordCount: 2, byteSize: 64, payload: payloadOf(2) },
    ]);
    expect(proposed.ok).toBe(true);
    for (let tick = 0; tick < 5; tick++) {
      leader.manager.tickAll();
      await turns(4);
    }
    expect(group(reader, groupId).lastOffset).toBe(proposed.ok ? proposed.lastOffset : -1);
    // What a follower serves to consumers stops at its high watermark (RaftReplica.read): still the old one.
    expect(group(reader, groupId).highWatermark).toBe(committedOffset + 1);
    expect(group(leader, groupId).highWatermark).toBe(committedOffset + 1);
    for (const node of nodes) node.manager.stop();
  });

  test("a follower that stops answering leaves the leader's in-sync replicas, even on an idle partition", async () => {
    const { network, nodes } = cluster();
    const groupId = groupIds[0]!;
    await tickUntil(nodes, () => leaderOf(nodes, groupId) !== undefined);
    const leader = leaderOf(nodes, groupId)!;
    await proposeAndCommit(leader, groupId, 1);
    const lagTicksMax = 30;
    await tickUntil(nodes, () => group(leader, groupId).inSyncReplicas(lagTicksMax).length === 3);
    const [dead] = nodes.filter((node) => node !== leader) as [Node, Node];
    dead.manager.stop();
    network.isolate(dead.id);
    const alive = nodes.filter((node) => node !== dead);
    // Nothing is appended meanwhile: the dead follower's match stays at the log end.
    for (let tick = 0; tick < lagTicksMax + 25; tick++) {
      for (const node of alive) node.manager.tickAll();
      await turns(2);
    }
    expect(leaderOf(alive, groupId)).toBe(leader);
    expect(group(leader, groupId).inSyncReplicas(lagTicksMax)).not.toContain(dead.id);
    expect(group(leader, groupId).inSyncReplicas(lagTicksMax)).toHaveLength(2);
    for (const node of alive) node.manager.stop();
  });

  test("the timer ticks every group: nodes left to their clocks elect leaders and commit", async () => {
    const clock = new ManualClock();
    const { nodes } = cluster({ tickIntervalMs: 2, clock });
    for (const node of nodes) node.manager.start();
    for (
      let step = 0;
      step < 200 && groupIds.some((groupId) => leaderOf(nodes, groupId) === undefined);
      step++
    ) {
      clock.advance(2);
      await turns(4);
    }
    for (const groupId of groupIds) {
      const leader = leaderOf(nodes, groupId);
      expect(leader).toBeDefined();
      await proposeAndCommit(leader!, groupId, 9);
    }
    const sample = group(nodes[0]!, groupIds[0]!);
    expect(clock.pendingTimers).toBe(nodes.length);
    for (const node of nodes) node.manager.stop();
    expect(sample.stopped?.reason).toBe("stopped");
    expect(clock.pendingTimers).toBe(0);
  });

  test("a leader frozen past its lease steps down when it resumes, before it takes a proposal", async () => {
    const clock = new ManualClock();
    // Each node's timer reads the shared clock plus its own jump: a jump is time that passed while the process
    // was stopped (SIGSTOP), when no timer ran.
    const jumps = new Map<number, number>();
    const tickMs = 2;
    const { nodes } = cluster({
      tickIntervalMs: tickMs,
      clock,
      clockOf: (id) => ({
        monotonicMs: () => clock.monotonicMs() + (jumps.get(id) ?? 0),
        wallMs: () => clock.wallMs(),
      }),
    });
    for (const node of nodes) node.manager.start();
    const groupId = groupIds[0]!;
    for (let step = 0; step < 200 && leaderOf(nodes, groupId) === undefined; step++) {
      clock.advance(tickMs);
      await turns(4);
    }
    const leader = leaderOf(nodes, groupId)!;
    await proposeAndCommit(leader, groupId, 1);
    // Frozen for three election timeouts (testRaftConfig: 10 ticks): its followers may have elected another
    // leader meanwhile, so the first thing it does on resuming — here a proposal — must find it deposed.
    jumps.set(leader.id, 30 * tickMs);
    const result = group(leader, groupId).propose([{ recordCount: 1, byteSize: 64, payload: payloadOf(2) }]);
    expect(result).toMatchObject({ ok: false, refusal: "notLeader" });
    expect(group(leader, groupId).role).toBe("follower");
    for (const node of nodes) node.manager.stop();
  });
});

test("with a clock, the tick timer still ticks node liveness and heartbeats peer nodes (quiescence)", async () => {
  const clock = new ManualClock();
  const network = new InMemoryRaftNetwork();
  const membership = { voters: [1, 2], learners: [] };
  const manager = new GroupManager({
    nodeId: 1,
    transport: network.endpoint(1),
    tickIntervalMs: 2,
    scheduler: clock,
    clock,
    logger: silentLogger,
    quiescence: { heartbeatIntervalTicks: 2, electionTimeoutTicks: 10 },
  });
  network.endpoint(2);
  manager.addGroup({
    groupId: "orders-0",
    config: testRaftConfig(1, 1),
    store: new FakeLogStore(membership),
    hardState: new FakeHardStateStore(membership),
  });
  manager.start();
  for (let step = 0; step < 10; step++) {
    clock.advance(2);
    await turns(2);
  }
  // The clock-driven timer once played the groups' ticks alone: no node heartbeat left, so a quiet follower
  // never learned that its leader's node had died.
  const nodeHeartbeats = network.calls.filter((call) =>
    call.batch.some((item) => item.groupId === "__raft-node"),
  );
  expect(nodeHeartbeats.length).toBeGreaterThan(0);
  manager.stop();
});
