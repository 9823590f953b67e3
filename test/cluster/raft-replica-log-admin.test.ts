// Proves the Raft-backed replica answers OffsetForLeaderEpoch from its log's epoch cache, deletes records on
// the real storage log through a committed LOG_START record (refusing offsets past the high watermark, then
// failing reads below the new start, also after a restart), and reports the log's size.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { silentLogger } from "../../src/base/logger.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import type { ReplicatedLog } from "../../src/cluster/raft-replica.ts";
import { RaftReplica } from "../../src/cluster/raft-replica.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { GroupManager } from "../../src/raft/node/group-manager.ts";
import { PartitionLogStore } from "../../src/raft/node/partition-log-store.ts";
import type { RaftGroup } from "../../src/raft/node/raft-group.ts";
import type { PartitionLog } from "../../src/storage/index.ts";
import { FakeHardStateStore, testRaftConfig } from "../raft/node/fakes.ts";
import { makeBatch } from "../storage/batch-fixture.ts";
import { makeHarness } from "../storage/log-harness.ts";
import { makeTempDir } from "../storage/temp-dir.ts";

/**
 * The log's only voter, restarted over it from a hard state (term 7, the term of leader epoch 6, with everything
 * committed): it elects itself again, as a standalone broker does.
 */
async function soleVoter(
  restored: { term: number; commitOffset: number } = { term: 7, commitOffset: 5 },
): Promise<{ manager: GroupManager; group: RaftGroup; replica: RaftReplica }> {
  const clock = new ManualClock();
  const manager: GroupManager = new GroupManager({
    nodeId: 1,
    transport: { send: () => {}, onReceive: () => {} },
    tickIntervalMs: 0,
    scheduler: clock,
    logger: silentLogger,
  });
  managers.push(manager);
  const membership = { voters: [1], learners: [] };
  const store = new PartitionLogStore({ log, nodeId: 1, membership: () => membership, clock });
  const hardState = new FakeHardStateStore(membership);
  hardState.state = { ...restored, votedFor: 1, config: membership };
  let replica: RaftReplica | undefined;
  const group = manager.addGroup({
    groupId: "t-0",
    config: testRaftConfig(1, 1, { deliverCommittedEntries: false }),
    store,
    hardState,
    onHighWatermark: (highWatermark) => replica?.onCommit(highWatermark),
  });
  replica = new RaftReplica("id", "t", 0, group, log, { logStarts: store.logStarts, wallMs: () => 1 });
  group.start();
  // Elected and its LeaderChange committed (fsyncs on the thread pool: wait in time, not in turns).
  for (let waitedMs = 0; waitedMs < 5_000 && !(group.isLeader && group.highWatermark > group.lastOffset); ) {
    await Bun.sleep(2);
    waitedMs += 2;
  }
  expect(group.isLeader && group.highWatermark > group.lastOffset).toBe(true);
  return { manager, group, replica };
}

/** A group restored from its hard state: leader in epoch 6 with everything committed. Nothing is proposed. */
function restoredGroup(highWatermark: number): ReplicatedLog & { role: string } {
  return {
    role: "leader",
    term: 6,
    highWatermark,
    propose: () => ({ ok: false, refusal: "notLeader" }),
    waitForCommit: () => Promise.resolve(),
    waitForPersisted: () => Promise.resolve(),
    holds: () => true,
  };
}

const managers: GroupManager[] = [];
let temp: ReturnType<typeof makeTempDir>;
let log: PartitionLog;

beforeEach(async () => {
  temp = makeTempDir("chronik-replica-");
  log = makeHarness(temp.path).open();
  // Epoch 1 holds offsets 0–2, epoch 3 holds 3–4, epoch 6 holds 5.
  await log.append(makeBatch({ recordCount: 3 }), { leaderEpoch: 1 });
  await log.append(makeBatch({ recordCount: 2 }), { leaderEpoch: 3 });
  await log.append(makeBatch({ recordCount: 1 }), { leaderEpoch: 6 });
});

afterEach(async () => {
  for (const manager of managers.splice(0)) manager.stop();
  await log.close();
  temp.remove();
});

test("epoch end offsets come from the log's epoch cache by Kafka's rules", () => {
  const replica = new RaftReplica("id", "t", 0, restoredGroup(6), log);
  const answers = [0, 1, 2, 3, 6, 7].map((epoch) => replica.endOffsetForEpoch(epoch));
  expect(answers).toEqual([
    { epoch: 0, endOffset: 0 },
    { epoch: 1, endOffset: 3 },
    { epoch: 1, endOffset: 3 },
    { epoch: 3, endOffset: 5 },
    { epoch: 6, endOffset: 6 },
    { epoch: -1, endOffset: -1 },
  ]);
  expect(replica.sizeBytes()).toBe(log.sizeBytes);
  expect(replica.sizeBytes()).toBeGreaterThan(3 * 61);
});

test("records are deleted up to the high watermark only, through a committed LOG_START record", async () => {
  const { group, replica } = await soleVoter();
  // The restarted group elected itself again: its LeaderChange batch took offset 6.
  expect(group.highWatermark).toBe(7);
  expect(await replica.deleteRecordsBefore(8)).toMatchObject({ errorCode: ErrorCode.OffsetOutOfRange });
  expect(await replica.deleteRecordsBefore(4)).toBe(4);
  expect(replica.logStartOffset()).toBe(4);
  // The move went through the log: a LOG_START record at 7, which consumers are not told ends the log.
  expect(log.logEndOffset).toBe(8);
  expect(replica.consumerHighWatermark()).toBe(6);
  expect(await replica.deleteRecordsBefore(2)).toBe(4);
  expect(log.logEndOffset).toBe(8);
  const below = replica.read(3, { maxBytes: 1 << 20, maxOffset: 8 });
  expect(below).toMatchObject({ errorCode: ErrorCode.OffsetOutOfRange });
  const from = replica.read(4, { maxBytes: 1 << 20, maxOffset: 8 });
  expect("records" in from && from.logStartOffset).toBe(4);
  // Epoch 1 is gone and epoch 3 now starts at 4: asking for 1 answers itself, ending there.
  expect(replica.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 4 });
  // Deleting everything committed leaves only the new record, which consumers skip.
  expect(await replica.deleteRecordsBefore(replica.highWatermark.value)).toBe(8);
  expect(replica.read(8, { maxBytes: 1 << 20, maxOffset: 9 })).toMatchObject({ logStartOffset: 8 });
  expect(replica.consumerHighWatermark()).toBe(8);
  expect(replica.endOffsetForEpoch(7)).toEqual({ epoch: 7, endOffset: 9 });
});

test("the log start a committed record decided survives a restart", async () => {
  const first = await soleVoter();
  expect(await first.replica.deleteRecordsBefore(5)).toBe(5);
  first.manager.stop();
  await log.close();
  log = makeHarness(temp.path).open();
  const { replica } = await soleVoter({ term: first.group.term, commitOffset: first.group.commitOffset });
  expect(replica.logStartOffset()).toBe(5);
  // The record still ends the committed data (the new LeaderChange after it too): consumers stop at 6.
  expect(replica.consumerHighWatermark()).toBe(6);
});
