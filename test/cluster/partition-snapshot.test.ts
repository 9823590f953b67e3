// Proves a follower behind its leader's log start catches up through a snapshot that carries the producer state
// and the leader epoch of the log start: after the install its log start and epoch history match the leader's,
// and once it leads, a retried idempotent batch written only below that start is still deduplicated — over three
// real partition logs, Raft groups and an in-memory network.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/base/logger.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { RaftReplica } from "../../src/cluster/raft-replica.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { GroupManager } from "../../src/raft/node/group-manager.ts";
import { PartitionLogStore, snapshotInstallFileName } from "../../src/raft/node/partition-log-store.ts";
import type { RaftGroup } from "../../src/raft/node/raft-group.ts";
import { InMemoryRaftNetwork } from "../../src/raft/transport/in-memory.ts";
import { FilePool } from "../../src/storage/file-pool.ts";
import { logConfigOf } from "../../src/storage/log-config.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { FakeHardStateStore, testRaftConfig, turns } from "../raft/node/fakes.ts";
import { makeTempDir } from "../storage/temp-dir.ts";

const nodeIds = [1, 2, 3];
const groupId = "t-0";
const membership = { voters: nodeIds, learners: [] };

interface Node {
  readonly id: number;
  manager: GroupManager;
  log: PartitionLog;
  replica: RaftReplica;
  readonly hardState: FakeHardStateStore;
}

let temp: ReturnType<typeof makeTempDir>;
let network: InMemoryRaftNetwork;
let nodes: Node[];
const clock = new ManualClock();
const pool = new FilePool(nodeStorageFs, 64);

function openNode(id: number, hardState: FakeHardStateStore): Node {
  const log = PartitionLog.open({
    dir: join(temp.path, `node-${id}`, groupId),
    config: logConfigOf({}),
    pool,
    clock,
    log: () => {},
  });
  const manager = new GroupManager({
    nodeId: id,
    transport: network.endpoint(id),
    tickIntervalMs: 0,
    scheduler: clock,
    logger: silentLogger,
  });
  const store = new PartitionLogStore({
    log,
    nodeId: id,
    membership: () => membership,
    clock,
    snapshotStateAttached: true,
  });
  let replica: RaftReplica | undefined;
  const group = manager.addGroup({
    groupId,
    // Small appends and snapshot chunks: a snapshot of a few hundred producers takes several chunks.
    config: testRaftConfig(id, id * 7, { deliverCommittedEntries: false, appendBytesMax: 4096 }),
    store,
    hardState,
    onHighWatermark: (highWatermark) => replica?.onCommit(highWatermark),
  });
  replica = new RaftReplica("topic-id", "t", 0, group, log, {
    logStarts: store.logStarts,
    snapshots: store,
    wallMs: () => 1_700_000_000_000,
    logLine: () => {},
  });
  group.start();
  return { id, manager, log, replica, hardState };
}

function groupOf(node: Node): RaftGroup {
  return node.manager.group(groupId)!;
}

async function tickUntil(live: readonly Node[], done: () => boolean): Promise<void> {
  for (let tick = 0; tick < 400 && !done(); tick++) {
    for (const node of live) node.manager.tickAll();
    await Bun.sleep(1);
    await turns(4);
  }
  expect(done()).toBe(true);
}

function leaderOf(live: readonly Node[]): Node | undefined {
  const leaders = live.filter((node) => groupOf(node).role === "leader");
  return leaders.length === 1 ? leaders[0] : undefined;
}

const text = new TextEncoder();

function idempotentBatch(producerId: bigint, baseSequence: number): Uint8Array {
  const value = text.encode(`p${producerId}-s${baseSequence}`);
  return buildBatch([{ key: null, value, timestamp: 1000 }], { producerId, producerEpoch: 0, baseSequence });
}

async function append(node: Node, bytes: Uint8Array): Promise<{ baseOffset: number; lastOffset: number }> {
  const ticket = node.replica.append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
  if ("errorCode" in ticket.placement) throw new Error(ticket.placement.errorMessage);
  expect(await ticket.replicated).toBeNull();
  return ticket.placement;
}

async function crash(node: Node): Promise<void> {
  node.manager.stop();
  network.isolate(node.id);
  await node.log.close();
}

beforeEach(() => {
  temp = makeTempDir("chronik-partition-snapshot-");
  network = new InMemoryRaftNetwork();
  nodes = nodeIds.map((id) => openNode(id, new FakeHardStateStore(membership)));
});

afterEach(async () => {
  for (const node of nodes) {
    node.manager.stop();
    await node.log.close().catch(() => {});
  }
  temp.remove();
});

describe("a follower behind the leader's log start", () => {
  test("installs a snapshot with the producer state, and dedups a retry once it leads", async () => {
    await tickUntil(nodes, () => leaderOf(nodes) !== undefined);
    const leader = leaderOf(nodes)!;
    const follower = nodes.find((node) => node !== leader)!;
    const third = nodes.find((node) => node !== leader && node !== follower)!;
    await crash(follower);
    const live = [leader, third];

    // 300 producers, three batches each, all below the log start once DeleteRecords moved it.
    const placements = new Map<string, { baseOffset: number; lastOffset: number }>();
    for (let sequence = 0; sequence < 3; sequence++) {
      for (let producer = 1n; producer <= 300n; producer++) {
        placements.set(`${producer}/${sequence}`, await append(leader, idempotentBatch(producer, sequence)));
      }
    }
    const end = groupOf(leader).highWatermark;
    expect(await leader.replica.deleteRecordsBefore(end)).toBe(end);
    await tickUntil(live, () => third.log.logStartOffset === end);

    const reopened = openNode(follower.id, follower.hardState);
    nodes[nodes.indexOf(follower)] = reopened;
    network.heal();
    const all = [leader, third, reopened];
    await tickUntil(
      all,
      () =>
        reopened.log.logStartOffset === leader.log.logStartOffset &&
        reopened.log.logEndOffset === leader.log.logEndOffset &&
        groupOf(reopened).highWatermark === groupOf(leader).highWatermark,
    );
    expect(reopened.log.logStartOffset).toBe(end);
    // The leader-epoch history from the log start on is the leader's.
    expect(reopened.log.epochs.all()).toEqual(leader.log.epochs.all());
    expect(nodeStorageFs.exists(join(reopened.log.dir, snapshotInstallFileName))).toBe(false);

    const transfer = await groupOf(leader).transferLeadership(reopened.id);
    expect(transfer).toEqual({ ok: true });
    await tickUntil(all, () => groupOf(reopened).role === "leader" && reopened.replica.isLeader());
    // A retry of a batch that only the snapshot told it about is answered with its original offsets.
    for (const [producer, sequence] of [
      [17n, 2],
      [300n, 1],
    ] as const) {
      const bytes = idempotentBatch(producer, sequence);
      const ticket = reopened.replica.append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
      expect(ticket.placement).toMatchObject(placements.get(`${producer}/${sequence}`)!);
    }
    // And the next batch of a producer follows on in sequence.
    const next = await append(reopened, idempotentBatch(5n, 3));
    expect(next.baseOffset).toBeGreaterThanOrEqual(end);
  });
});
