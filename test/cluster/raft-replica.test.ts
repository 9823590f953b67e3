// Proves the Raft-backed replica's append: offsets come from the group's proposal at once, acks=1 waits for the
// leader's fsync and acks=-1 for the commit, an idempotent retry is answered with its original offsets without a
// second proposal, sequence gaps are refused, the group's refusals map to Kafka's errors, and its leader
// epoch is the group's term − 1.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReplicatedLog } from "../../src/cluster/raft-replica.ts";
import { RaftReplica } from "../../src/cluster/raft-replica.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import type { Proposal } from "../../src/raft/core/index.ts";
import type { PartitionLog } from "../../src/storage/index.ts";

/** A leader that assigns offsets and lets the test decide when each offset is persisted and committed. */
class ScriptedGroup implements ReplicatedLog {
  role = "leader";
  term = 3;
  highWatermark = 0;
  proposals: Proposal[] = [];
  refusal: "notLeader" | "uncommittedBytesFull" | null = null;
  private next = 0;
  readonly persisted: Array<{ offset: number; resolve: () => void }> = [];
  readonly committed: Array<{ offset: number; resolve: () => void }> = [];

  holds() {
    return true;
  }
  propose(proposals: readonly Proposal[]) {
    if (this.refusal) return { ok: false as const, refusal: this.refusal };
    this.proposals.push(...proposals);
    for (const proposal of proposals) this.next += proposal.recordCount;
    return { ok: true as const, lastOffset: this.next - 1 };
  }
  waitForPersisted(offset: number) {
    return new Promise<void>((resolve) => this.persisted.push({ offset, resolve }));
  }
  waitForCommit(offset: number) {
    return new Promise<void>((resolve) => this.committed.push({ offset, resolve }));
  }
}

/** An empty log in an empty directory: appends go through the scripted group; no producer state to rebuild. */
const logStub = {
  dir: mkdtempSync(join(tmpdir(), "chronik-replica-")),
  logStartOffset: 0,
  logEndOffset: 0,
  highWatermark: 0,
  segmentBaseOffsets: () => [0],
  setListener: () => {},
} as unknown as PartitionLog;
afterAll(() => rmSync(logStub.dir, { recursive: true, force: true }));
const text = new TextEncoder();

function batchOf(count: number, producer?: { id: bigint; sequence: number }) {
  const bytes = buildBatch(
    Array.from({ length: count }, (_, index) => ({
      key: null,
      value: text.encode(`v${index}`),
      timestamp: 1000,
    })),
    producer ? { producerId: producer.id, producerEpoch: 0, baseSequence: producer.sequence } : {},
  );
  return { bytes, header: readBatchHeader(bytes) };
}

describe("RaftReplica.append", () => {
  test("placement comes from the proposal; acks decide what replication waits for", async () => {
    const group = new ScriptedGroup();
    const replica = new RaftReplica("id", "orders", 0, group, logStub);
    const first = replica.append(batchOf(5), { acks: 1 });
    const second = replica.append(batchOf(3), { acks: -1 });
    expect(first.placement).toEqual({ baseOffset: 0, lastOffset: 4, logAppendTimeMs: -1 });
    expect(second.placement).toEqual({ baseOffset: 5, lastOffset: 7, logAppendTimeMs: -1 });
    expect(group.persisted.map((waiter) => waiter.offset)).toEqual([4]);
    expect(group.committed.map((waiter) => waiter.offset)).toEqual([7]);
    group.persisted[0]!.resolve();
    group.committed[0]!.resolve();
    expect(await first.replicated).toBeNull();
    expect(await second.replicated).toBeNull();
  });

  test("an idempotent retry gets its original offsets without a second proposal; gaps are refused", () => {
    const group = new ScriptedGroup();
    const replica = new RaftReplica("id", "orders", 0, group, logStub);
    replica.append(batchOf(4, { id: 9n, sequence: 0 }), { acks: -1 });
    replica.append(batchOf(4, { id: 9n, sequence: 4 }), { acks: -1 });
    const retry = replica.append(batchOf(4, { id: 9n, sequence: 0 }), { acks: -1 });
    expect(retry.placement).toEqual({ baseOffset: 0, lastOffset: 3, logAppendTimeMs: -1 });
    expect(group.proposals).toHaveLength(2);
    const gap = replica.append(batchOf(1, { id: 9n, sequence: 12 }), { acks: -1 });
    expect(gap.placement).toMatchObject({ errorCode: ErrorCode.OutOfOrderSequenceNumber });
  });

  test("refusals map to Kafka errors: not the leader, or a full uncommitted window", async () => {
    const group = new ScriptedGroup();
    const replica = new RaftReplica("id", "orders", 0, group, logStub);
    group.refusal = "uncommittedBytesFull";
    expect(replica.append(batchOf(1), { acks: -1 }).placement).toMatchObject({
      errorCode: ErrorCode.NotEnoughReplicas,
    });
    group.refusal = "notLeader";
    expect(replica.append(batchOf(1), { acks: -1 }).placement).toMatchObject({
      errorCode: ErrorCode.NotLeaderOrFollower,
    });
    group.role = "follower";
    const ticket = replica.append(batchOf(1), { acks: 1 });
    expect(await ticket.replicated).toMatchObject({ errorCode: ErrorCode.NotLeaderOrFollower });
  });

  test("the leader epoch clients see is the group's term − 1", () => {
    const group = new ScriptedGroup();
    const replica = new RaftReplica("id", "orders", 0, group, logStub);
    expect(replica.leaderEpoch()).toBe(2);
    group.term = 1;
    expect(replica.leaderEpoch()).toBe(0);
  });

  test("the high watermark only moves forward and wakes waiters", async () => {
    const replica = new RaftReplica("id", "orders", 0, new ScriptedGroup(), { ...logStub } as PartitionLog);
    const woken = replica.highWatermark.waitFor(3);
    replica.onCommit(3);
    replica.onCommit(2);
    expect(await woken).toBe(3);
    expect(replica.highWatermark.value).toBe(3);
  });
});
