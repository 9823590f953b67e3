// Proves the Raft-backed replica answers OffsetForLeaderEpoch from its log's epoch cache, deletes records on
// the real storage log (refusing offsets past the high watermark, then failing reads below the new start), and
// reports the log's size; and that the high watermark a restored group knows is usable at once after a restart.

import { afterEach, beforeEach, expect, test } from "bun:test";
import type { ReplicatedLog } from "../../src/cluster/raft-replica.ts";
import { RaftReplica } from "../../src/cluster/raft-replica.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import type { PartitionLog } from "../../src/storage/index.ts";
import { makeBatch } from "../storage/batch-fixture.ts";
import { makeHarness } from "../storage/log-harness.ts";
import { makeTempDir } from "../storage/temp-dir.ts";

/** A group restored from its hard state: leader in epoch 6 with everything committed. Nothing is proposed. */
function restoredGroup(highWatermark: number): ReplicatedLog & { role: string } {
  return {
    role: "leader",
    term: 6,
    highWatermark,
    propose: () => ({ ok: false, refusal: "notLeader" }),
    waitForCommit: () => Promise.resolve(),
    waitForPersisted: () => Promise.resolve(),
  };
}

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

test("records are deleted up to the high watermark only, and reads below the new start are out of range", async () => {
  const group = restoredGroup(6);
  const replica = new RaftReplica("id", "t", 0, group, log);
  expect(await replica.deleteRecordsBefore(7)).toMatchObject({ errorCode: ErrorCode.OffsetOutOfRange });
  // No commit has been seen since the "restart": the group's restored high watermark alone allows this.
  expect(await replica.deleteRecordsBefore(4)).toBe(4);
  expect(replica.logStartOffset()).toBe(4);
  expect(await replica.deleteRecordsBefore(2)).toBe(4);
  const below = replica.read(3, { maxBytes: 1 << 20, maxOffset: 6 });
  expect(below).toMatchObject({ errorCode: ErrorCode.OffsetOutOfRange });
  const from = replica.read(4, { maxBytes: 1 << 20, maxOffset: 6 });
  expect("records" in from && from.logStartOffset).toBe(4);
  // Epoch 1 is gone and epoch 3 now starts at 4: asking for 1 answers itself, ending there.
  expect(replica.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 4 });
  // Deleting everything committed leaves an empty log that still takes appends at the old end.
  expect(await replica.deleteRecordsBefore(6)).toBe(6);
  expect(replica.read(6, { maxBytes: 1 << 20, maxOffset: 6 })).toMatchObject({ logStartOffset: 6 });
  expect(await log.append(makeBatch({ recordCount: 2 }), { leaderEpoch: 6 })).toEqual({
    baseOffset: 6,
    lastOffset: 7,
  });
  expect(replica.endOffsetForEpoch(6)).toEqual({ epoch: 6, endOffset: 8 });
  group.role = "follower";
  expect(await replica.deleteRecordsBefore(5)).toMatchObject({ errorCode: ErrorCode.NotLeaderOrFollower });
  expect(replica.logStartOffset()).toBe(6);
});
