// Proves the log start moves through the replicated log: DeleteRecords and retention on a partition's leader
// append a LOG_START record that every replica applies once committed (and none before), a new leader keeps the
// start and serves nothing below it, consumers are never told a high watermark that ends on such a record,
// followers never apply retention on their own, and a record committed but not applied before a crash is
// applied when the replica opens again — over three real partition logs, Raft groups and an in-memory network.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/base/logger.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { RaftReplica } from "../../src/cluster/raft-replica.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { ControlRecordType, readControlBatch } from "../../src/protocol/records/control-record.ts";
import { GroupManager } from "../../src/raft/node/group-manager.ts";
import { logStartRecordsFileName } from "../../src/raft/node/log-start-records.ts";
import { PartitionLogStore } from "../../src/raft/node/partition-log-store.ts";
import type { RaftGroup } from "../../src/raft/node/raft-group.ts";
import { InMemoryRaftNetwork } from "../../src/raft/transport/in-memory.ts";
import { FilePool } from "../../src/storage/file-pool.ts";
import { type LogConfig, logConfigOf } from "../../src/storage/log-config.ts";
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
  store: PartitionLogStore;
  replica: RaftReplica;
  readonly hardState: FakeHardStateStore;
}

let temp: ReturnType<typeof makeTempDir>;
let network: InMemoryRaftNetwork;
let nodes: Node[];
const clock = new ManualClock();
const pool = new FilePool(nodeStorageFs, 64);

function openNode(id: number, hardState: FakeHardStateStore, config: Partial<LogConfig>): Node {
  const log = PartitionLog.open({
    dir: join(temp.path, `node-${id}`, groupId),
    config: logConfigOf(config),
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
  const store = new PartitionLogStore({ log, nodeId: id, membership: () => membership, clock });
  let replica: RaftReplica | undefined;
  const group = manager.addGroup({
    groupId,
    config: testRaftConfig(id, id * 7, { deliverCommittedEntries: false }),
    store,
    hardState,
    onHighWatermark: (highWatermark) => replica?.onCommit(highWatermark),
  });
  replica = new RaftReplica("topic-id", "t", 0, group, log, {
    logStarts: store.logStarts,
    wallMs: () => 1_700_000_000_000,
    logLine: () => {},
  });
  group.start();
  return { id, manager, log, store, replica, hardState };
}

function startNodes(config: Partial<LogConfig> = {}): void {
  nodes = nodeIds.map((id) => openNode(id, new FakeHardStateStore(membership), config));
}

function groupOf(node: Node): RaftGroup {
  return node.manager.group(groupId)!;
}

async function tickUntil(live: readonly Node[], done: () => boolean): Promise<void> {
  for (let tick = 0; tick < 300 && !done(); tick++) {
    for (const node of live) node.manager.tickAll();
    // fdatasyncs run on the thread pool: give them time as well as turns.
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

async function produce(leader: Node, count: number, valueBytes = 10): Promise<number> {
  let last = -1;
  for (let index = 0; index < count; index++) {
    const bytes = buildBatch([{ key: null, value: text.encode("v".repeat(valueBytes)), timestamp: 1000 }]);
    const ticket = leader.replica.append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
    if ("errorCode" in ticket.placement) throw new Error(ticket.placement.errorMessage);
    expect(await ticket.replicated).toBeNull();
    last = ticket.placement.lastOffset;
  }
  return last;
}

/** Kills a node: its groups stop and it hears nothing more; its files stay as the crash left them. */
async function crash(node: Node): Promise<void> {
  node.manager.stop();
  network.isolate(node.id);
  await node.log.close();
}

beforeEach(() => {
  temp = makeTempDir("chronik-log-start-");
  network = new InMemoryRaftNetwork();
});

afterEach(async () => {
  for (const node of nodes) {
    node.manager.stop();
    await node.log.close().catch(() => {});
  }
  temp.remove();
});

describe("a LOG_START record", () => {
  test("moves every replica's log start once committed, and a new leader keeps it", async () => {
    startNodes();
    await tickUntil(nodes, () => leaderOf(nodes) !== undefined);
    const leader = leaderOf(nodes)!;
    const lastData = await produce(leader, 6);

    const answer = await leader.replica.deleteRecordsBefore(4);
    expect(answer).toBe(4);
    // The leader answered once the record committed: it is in its log, right after the data.
    const recordOffset = lastData + 1;
    const { bytes } = leader.log.read(recordOffset, { maxBytes: 1 });
    expect(readControlBatch(bytes, { decompressedBytesMax: 1024 })).toEqual([
      { type: ControlRecordType.LogStart, logStartOffset: 4 },
    ]);
    await tickUntil(nodes, () => nodes.every((node) => node.replica.highWatermark.value > recordOffset));
    for (const node of nodes) {
      expect(node.replica.logStartOffset()).toBe(4);
      // The record ends the committed log: consumers are told the end of the data, which they can reach.
      expect(node.replica.consumerHighWatermark()).toBe(recordOffset);
    }
    // At or below the start nothing is proposed; above the high watermark is out of range.
    const endBefore = leader.log.logEndOffset;
    expect(await leader.replica.deleteRecordsBefore(3)).toBe(4);
    expect(leader.log.logEndOffset).toBe(endBefore);
    expect(await leader.replica.deleteRecordsBefore(100)).toMatchObject({
      errorCode: ErrorCode.OffsetOutOfRange,
    });
    const follower = nodes.find((node) => node !== leader)!;
    expect(await follower.replica.deleteRecordsBefore(5)).toMatchObject({
      errorCode: ErrorCode.NotLeaderOrFollower,
    });

    await crash(leader);
    const survivors = nodes.filter((node) => node !== leader);
    await tickUntil(survivors, () => leaderOf(survivors) !== undefined);
    const newLeader = leaderOf(survivors)!;
    expect(newLeader.replica.logStartOffset()).toBe(4);
    expect(newLeader.replica.read(3, { maxBytes: 1 << 20, maxOffset: 100 })).toMatchObject({
      errorCode: ErrorCode.OffsetOutOfRange,
    });
    const fromStart = newLeader.replica.read(4, { maxBytes: 1 << 20, maxOffset: 100 });
    expect("records" in fromStart && Number(readBatchHeader(fromStart.records).baseOffset)).toBe(4);
    // The new leader's own moves still work, and reach the other survivor.
    expect(await newLeader.replica.deleteRecordsBefore(6)).toBe(6);
    const other = survivors.find((node) => node !== newLeader)!;
    await tickUntil(survivors, () => other.replica.logStartOffset() === 6);
  });

  test("is applied by no replica before it commits, and never if a new leader cuts it away", async () => {
    startNodes();
    await tickUntil(nodes, () => leaderOf(nodes) !== undefined);
    const leader = leaderOf(nodes)!;
    await produce(leader, 4);
    // The leader's appends reach no follower: its record can never commit.
    network.isolate(leader.id);
    const pending = leader.replica.deleteRecordsBefore(3);
    await turns(10);
    for (const node of nodes) expect(node.replica.logStartOffset()).toBe(0);
    expect(leader.store.logStarts.pendingCount).toBe(1);

    const survivors = nodes.filter((node) => node !== leader);
    await tickUntil(survivors, () => leaderOf(survivors) !== undefined);
    await produce(leaderOf(survivors)!, 1);
    network.heal();
    // The old leader steps down, its uncommitted record is cut, and its DeleteRecords fails.
    await tickUntil(
      nodes,
      () => leader.store.logStarts.pendingCount === 0 && groupOf(leader).role === "follower",
    );
    expect(await pending).toMatchObject({ errorCode: ErrorCode.NotLeaderOrFollower });
    await tickUntil(nodes, () => nodes.every((node) => node.replica.highWatermark.value === 6));
    for (const node of nodes) expect(node.replica.logStartOffset()).toBe(0);
  });

  test("committed but unapplied before a crash is applied when the replica opens again", async () => {
    startNodes();
    await tickUntil(nodes, () => leaderOf(nodes) !== undefined);
    const leader = leaderOf(nodes)!;
    await produce(leader, 5);
    const follower = nodes.find((node) => node !== leader)!;
    // The follower stores the record but hears of no commit past it before it crashes.
    const recordOffset = leader.log.logEndOffset;
    let stored = false;
    network.dropIf = (call) => {
      if (call.to !== follower.id) return false;
      if (stored) return true;
      stored = call.batch.some(
        (message) =>
          message.message.type === "append" &&
          message.message.entries.some((e) => e.baseOffset === recordOffset),
      );
      return false;
    };
    expect(await leader.replica.deleteRecordsBefore(3)).toBe(3);
    await tickUntil(nodes, () => follower.log.logEndOffset > recordOffset);
    expect(follower.replica.logStartOffset()).toBe(0);
    expect(nodeStorageFs.exists(join(follower.log.dir, logStartRecordsFileName))).toBe(true);

    await crash(follower);
    network.heal();
    network.dropIf = () => false;
    const reopened = openNode(follower.id, follower.hardState, {});
    nodes[nodes.indexOf(follower)] = reopened;
    expect(reopened.store.logStarts.pendingCount).toBe(1);
    expect(reopened.replica.logStartOffset()).toBe(0);
    await tickUntil(nodes, () => reopened.replica.logStartOffset() === 3);
    expect(reopened.replica.read(2, { maxBytes: 100, maxOffset: 100 })).toMatchObject({
      errorCode: ErrorCode.OffsetOutOfRange,
    });
  });
});

describe("retention", () => {
  test("is the leader's decision: followers wait for its record, then all move to the same start", async () => {
    // One batch per segment; retention.bytes keeps the newest two segments.
    startNodes({ segmentBytes: 150, retentionBytes: 300 });
    await tickUntil(nodes, () => leaderOf(nodes) !== undefined);
    const leader = leaderOf(nodes)!;
    await produce(leader, 6, 60);
    await tickUntil(nodes, () => nodes.every((node) => node.replica.highWatermark.value === 6));
    const followers = nodes.filter((node) => node !== leader);
    for (const follower of followers) {
      follower.replica.applyRetention();
      expect(follower.replica.logStartOffset()).toBe(0);
    }
    const target = leader.log.retentionLogStart();
    expect(target).toBeGreaterThan(0);
    leader.replica.applyRetention();
    await tickUntil(nodes, () => nodes.every((node) => node.replica.logStartOffset() === target));
    for (const node of nodes) expect(node.log.segmentBaseOffsets()[0]).toBe(target!);
  });
});
