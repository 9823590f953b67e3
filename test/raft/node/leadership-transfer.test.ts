// Proves RaftGroup.transferLeadership over three in-memory nodes: the leader hands over to a caught-up voter
// in a few ticks, well inside an election timeout (TimeoutNow, not a timeout), and the promise resolves once the
// target leads; a transfer to an unreachable voter is given up after an election timeout and the leader takes
// proposals again; a follower refuses; and canTakeOver tells a live caught-up voter from a silent one.
import { afterEach, expect, test } from "bun:test";
import { silentLogger } from "../../../src/base/logger.ts";
import { GroupManager } from "../../../src/raft/node/group-manager.ts";
import type { RaftGroup } from "../../../src/raft/node/raft-group.ts";
import { InMemoryRaftNetwork } from "../../../src/raft/transport/in-memory.ts";
import { FakeHardStateStore, FakeLogStore, payloadOf, testRaftConfig, turns } from "./fakes.ts";

const nodeIds = [1, 2, 3];
const groupId = "orders-0";
const electionTimeoutTicks = 10;

let managers: GroupManager[] = [];

afterEach(() => {
  for (const manager of managers) manager.stop();
  managers = [];
});

function cluster(): { network: InMemoryRaftNetwork; groups: RaftGroup[] } {
  const network = new InMemoryRaftNetwork();
  const membership = { voters: nodeIds, learners: [] };
  const groups = nodeIds.map((id) => {
    const manager = new GroupManager({
      nodeId: id,
      transport: network.endpoint(id),
      tickIntervalMs: 0,
      scheduler: { setTimeout: () => () => {}, setInterval: () => () => {} },
      logger: silentLogger,
    });
    managers.push(manager);
    return manager.addGroup({
      groupId,
      config: testRaftConfig(id, id * 100, { electionTimeoutTicks }),
      store: new FakeLogStore(membership),
      hardState: new FakeHardStateStore(membership),
    });
  });
  return { network, groups };
}

/** Ticks every node until done() holds; returns the ticks it took (bounded). */
async function tickUntil(done: () => boolean, ticksMax = 200, skip: number[] = []): Promise<number> {
  let ticks = 0;
  for (; ticks < ticksMax && !done(); ticks++) {
    for (const [index, manager] of managers.entries()) if (!skip.includes(index + 1)) manager.tickAll();
    await turns(4);
  }
  expect(done()).toBe(true);
  return ticks;
}

/** A cluster whose node 1 leads and has committed one entry on every node. */
async function ledByNode1() {
  const { network, groups } = cluster();
  groups[0]!.campaign();
  await tickUntil(() => groups[0]!.isLeader);
  const result = groups[0]!.propose([{ recordCount: 1, byteSize: 8, payload: payloadOf(1) }]);
  if (!result.ok) throw new Error(result.refusal);
  await groups[0]!.waitForCommit(result.lastOffset);
  await tickUntil(() => groups.every((group) => group.commitOffset === result.lastOffset));
  return { network, groups };
}

test("the leader hands over to a caught-up voter within a few ticks, and the promise says so", async () => {
  const { groups } = await ledByNode1();
  await tickUntil(() => groups[0]!.canTakeOver(3));
  const termBefore = groups[0]!.term;
  const outcome = groups[0]!.transferLeadership(3);
  let settled = false;
  void outcome.then(() => {
    settled = true;
  });
  const ticks = await tickUntil(() => settled);
  expect(await outcome).toEqual({ ok: true });
  expect(ticks).toBeLessThan(electionTimeoutTicks);
  expect(groups[2]!.isLeader).toBe(true);
  expect(groups[2]!.term).toBe(termBefore + 1);
  expect(groups[0]!.leaderId).toBe(3);
  // The new leader takes proposals at once.
  expect(groups[2]!.propose([{ recordCount: 1, byteSize: 8, payload: payloadOf(2) }]).ok).toBe(true);
});

test("a transfer to a voter that does not answer is given up after an election timeout", async () => {
  const { network, groups } = await ledByNode1();
  network.isolate(3);
  const outcome = groups[0]!.transferLeadership(3);
  // While the transfer lasts, the leader refuses proposals (they would be lost to the new leader's term).
  await turns(2);
  const during = groups[0]!.propose([{ recordCount: 1, byteSize: 8, payload: payloadOf(2) }]);
  expect(during).toEqual({ ok: false, refusal: "transferring" });
  let settled = false;
  void outcome.then(() => {
    settled = true;
  });
  const ticks = await tickUntil(() => settled, 200, [3]);
  expect(ticks).toBeLessThanOrEqual(electionTimeoutTicks + 1);
  expect(await outcome).toEqual({ ok: false, reason: "node 3 did not catch up within an election timeout" });
  expect(groups[0]!.isLeader).toBe(true);
  expect(groups[0]!.propose([{ recordCount: 1, byteSize: 8, payload: payloadOf(3) }]).ok).toBe(true);
});

test("a follower refuses to transfer, and a leader refuses a non-voter", async () => {
  const { groups } = await ledByNode1();
  expect(await groups[1]!.transferLeadership(3)).toEqual({ ok: false, reason: "this node does not lead" });
  expect(await groups[0]!.transferLeadership(9)).toEqual({ ok: false, reason: "node 9 cannot take over" });
  expect(groups[0]!.isLeader).toBe(true);
});

test("canTakeOver: a voter heard from and caught up within an election timeout, not a silent one", async () => {
  const { network, groups } = await ledByNode1();
  await tickUntil(() => groups[0]!.canTakeOver(2) && groups[0]!.canTakeOver(3));
  expect(groups[0]!.canTakeOver(1)).toBe(false);
  expect(groups[1]!.canTakeOver(3)).toBe(false);
  network.isolate(3);
  await tickUntil(() => !groups[0]!.canTakeOver(3), electionTimeoutTicks + 2, [3]);
  expect(groups[0]!.canTakeOver(2)).toBe(true);
});
