// Proves producer state survives segment rolls and restarts through `<offset>.snapshot` files: a retry of a batch
// that lies in a sealed (even a deleted) segment is a duplicate with its original offsets after reopening; a
// clean close snapshots the log end; a damaged snapshot is skipped for an older one; truncation, a failed write
// and a log restart take back what they undo; a snapshot that cannot be written costs only a longer replay; and
// a replica that starts leading a new term checks against batches it received as a follower.

import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { manualTime } from "../../src/base/manual-clock.ts";
import { lastSequenceOf, type ProducerBatch } from "../../src/cluster/producer-state.ts";
import { ProducerStateLog } from "../../src/cluster/producer-state-log.ts";
import { producerSnapshotFileName } from "../../src/cluster/producer-state-snapshot-files.ts";
import type { ReplicatedLog } from "../../src/cluster/raft-replica.ts";
import { RaftReplica } from "../../src/cluster/raft-replica.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import type { Proposal } from "../../src/raft/core/index.ts";
import {
  FaultInjectingFs,
  LogManager,
  logConfigOf,
  nodeStorageFs,
  type PartitionLog,
} from "../../src/storage/index.ts";
import { blockingCallsFs } from "../storage/blocking-calls-fs.ts";
import { makeTempDir } from "../storage/temp-dir.ts";

const producerId = 7n;
const temps: Array<{ remove(): void }> = [];
const managers: LogManager[] = [];
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.close();
  for (const temp of temps.splice(0)) temp.remove();
});

/** A data directory whose logs roll before every batch (segment.bytes below two batches). */
function dataDir(): string {
  const temp = makeTempDir("chronik-producer-snapshots-");
  temps.push(temp);
  return temp.path;
}

function openLog(dir: string): PartitionLog {
  const manager = new LogManager({
    ...manualTime(),
    dataDir: dir,
    log: () => {},
    configFor: () => logConfigOf({ segmentBytes: 120 }),
  });
  managers.push(manager);
  return manager.logOf("t", 0);
}

async function closeLogs(): Promise<void> {
  for (const manager of managers.splice(0)) await manager.close();
}

async function reopen(dir: string): Promise<PartitionLog> {
  await closeLogs();
  return openLog(dir);
}

function producerBatch(sequence: number, count: number, producerEpoch = 0) {
  const records = Array.from({ length: count }, (_, index) => ({
    key: null,
    value: new TextEncoder().encode(`v${sequence + index}`),
    timestamp: 1000 + sequence,
  }));
  return buildBatch(records, { producerId, producerEpoch, baseSequence: sequence });
}

function plainBatch() {
  return buildBatch([{ key: null, value: new TextEncoder().encode("plain"), timestamp: 1 }]);
}

function retryOf(sequence: number, count: number, producerEpoch = 0): ProducerBatch {
  return {
    producerId,
    producerEpoch,
    baseSequence: sequence,
    lastSequence: lastSequenceOf(sequence, count - 1),
  };
}

/** Three batches of three records (offsets 0-8), each in a segment of its own, then plain batches after. */
async function writeHistory(log: PartitionLog, plainCount: number): Promise<void> {
  for (const sequence of [0, 3, 6]) await log.append(producerBatch(sequence, 3), { leaderEpoch: 0 });
  for (let index = 0; index < plainCount; index++) await log.append(plainBatch(), { leaderEpoch: 0 });
}

/**
 * Temporaries of producer snapshots left in the directory. The log's own background checkpoint
 * (log-checkpoint.N.tmp) may still be in flight when a test looks, and is not what these tests are about.
 */
const temporariesIn = (dir: string) =>
  readdirSync(join(dir, "t-0")).filter((name) => name.endsWith(".tmp") && !name.startsWith("log-checkpoint"));

/** writeHistory with the rolls' snapshots held at their fsync: `rolls` of them, in flight until release(). */
async function historyWithSnapshotsHeld(plainCount: number, rolls: number) {
  const dir = dataDir();
  const log = openLog(dir);
  const { spyFs, untilHeld, release } = blockingCallsFs({ holdBackgroundSyncs: true });
  const state = ProducerStateLog.open(log, { storageFs: spyFs });
  await writeHistory(log, plainCount);
  expect(await untilHeld(rolls)).toBe(rolls);
  return { dir, log, state, release };
}

function snapshotFiles(dir: string): string[] {
  return readdirSync(join(dir, "t-0"))
    .filter((name) => name.endsWith(".snapshot"))
    .sort();
}

/** A leader the test steers; the log is written directly, as the Raft store would write it. */
class StubGroup implements ReplicatedLog {
  role = "leader";
  term = 1;
  highWatermark = 0;
  proposals: Proposal[] = [];
  propose(proposals: readonly Proposal[]) {
    this.proposals.push(...proposals);
    return { ok: true as const, lastOffset: 1000 };
  }
  holds() {
    return true;
  }
  waitForPersisted() {
    return Promise.resolve();
  }
  waitForCommit() {
    return Promise.resolve();
  }
}

function appendBatch(bytes: Uint8Array) {
  return { bytes, header: readBatchHeader(bytes) };
}

describe("producer state snapshots", () => {
  test("a retry of a batch in a sealed segment is a duplicate with its original offsets after a restart", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    const state = ProducerStateLog.open(log);
    await writeHistory(log, 3);
    expect(log.segmentCount).toBeGreaterThanOrEqual(5);
    await state.settled();
    expect(snapshotFiles(dir)).toContain(producerSnapshotFileName(9));

    const reopened = await reopen(dir);
    const group = new StubGroup();
    const replica = new RaftReplica("id", "t", 0, group, reopened);
    // The batch at offsets 3-5 lies two segments below the active one.
    const ticket = replica.append(appendBatch(producerBatch(3, 3)), { acks: -1 });
    expect(ticket.placement).toEqual({ baseOffset: 3, lastOffset: 5, logAppendTimeMs: -1 });
    expect(group.proposals).toHaveLength(0);
    // And the producer goes on where it left off: sequence 9 is next, a gap is refused.
    expect(replica.append(appendBatch(producerBatch(10, 1)), { acks: -1 }).placement).toMatchObject({
      errorCode: 45,
    });
    replica.append(appendBatch(producerBatch(9, 1)), { acks: -1 });
    expect(group.proposals).toHaveLength(1);
  });

  test("a clean close leaves a snapshot at the log end, where the next open starts", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    ProducerStateLog.open(log);
    await writeHistory(log, 0);
    await log.append(producerBatch(9, 2), { leaderEpoch: 0 });
    expect(snapshotFiles(dir)).not.toContain(producerSnapshotFileName(11));
    await closeLogs();
    expect(snapshotFiles(dir).at(-1)).toBe(producerSnapshotFileName(11));
    const state = ProducerStateLog.open(openLog(dir));
    expect(state.copyTable().check(retryOf(9, 2))).toMatchObject({ placement: { baseOffset: 9 } });
  });

  test("the snapshot, not the deleted batches, remembers a producer once retention removed its segments", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    ProducerStateLog.open(log);
    await writeHistory(log, 2);
    log.highWatermark = log.logEndOffset;
    log.deleteRecords(log.logEndOffset);
    expect(log.segmentBaseOffsets()[0]).toBeGreaterThan(8);
    // Only snapshots at or above the new start stay (the newest always does).
    expect(snapshotFiles(dir)).toEqual([producerSnapshotFileName(log.logEndOffset)]);

    const state = ProducerStateLog.open(await reopen(dir));
    expect(state.copyTable().check(retryOf(6, 3))).toEqual({
      kind: "duplicate",
      placement: { baseOffset: 6, lastOffset: 8, timestampMs: 1006 },
    });
  });

  test("a damaged latest snapshot is skipped with a log line; an older one and the log fill in", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    const writing = ProducerStateLog.open(log);
    await writeHistory(log, 2);
    await writing.settled();
    await closeLogs();
    // The rolls' snapshots and the one written at the clean close.
    const files = snapshotFiles(dir);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const newest = join(dir, "t-0", files.at(-1)!);
    const bytes = readFileSync(newest);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(newest, bytes);
    const cut = join(dir, "t-0", files.at(-2)!);
    writeFileSync(cut, readFileSync(cut).subarray(0, 9));

    const lines: string[] = [];
    const state = ProducerStateLog.open(openLog(dir), { logLine: (line) => lines.push(line) });
    expect(lines.filter((line) => line.includes("producer snapshot skipped"))).toHaveLength(2);
    expect(lines.join("\n")).toContain("CRC-32C mismatch");
    expect(snapshotFiles(dir)).toEqual(files.slice(0, -2));
    const table = state.copyTable();
    for (const sequence of [0, 3, 6]) {
      expect(table.check(retryOf(sequence, 3))).toMatchObject({
        kind: "duplicate",
        placement: { baseOffset: sequence },
      });
    }
  });

  test("truncation deletes the snapshots above the new end and forgets the batches it cut", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    const state = ProducerStateLog.open(log);
    await writeHistory(log, 1);
    await state.settled();
    expect(snapshotFiles(dir)).toContain(producerSnapshotFileName(9));
    log.truncate(6);
    expect(snapshotFiles(dir).every((name) => Number(name.slice(0, 20)) <= 6)).toBe(true);
    expect(state.copyTable().check(retryOf(6, 3))).toEqual({ kind: "append" });
    expect(state.copyTable().check(retryOf(3, 3)).kind).toBe("duplicate");

    // A new epoch writes different batches at the same offsets; a reopen must not bring the old ones back.
    await log.append(producerBatch(0, 3, 1), { leaderEpoch: 1 });
    await log.append(plainBatch(), { leaderEpoch: 1 });
    const reopened = ProducerStateLog.open(await reopen(dir)).copyTable();
    expect(reopened.check(retryOf(0, 3, 1))).toEqual({
      kind: "duplicate",
      placement: { baseOffset: 6, lastOffset: 8, timestampMs: 1000 },
    });
    expect(reopened.check(retryOf(6, 3, 0)).kind).toBe("error");
  });

  test("a log restarted at a new start forgets every producer and every snapshot", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    const state = ProducerStateLog.open(log);
    await writeHistory(log, 1);
    log.restartAt(100);
    expect(snapshotFiles(dir)).toEqual([]);
    expect(state.copyTable().producerCount).toBe(0);
    await log.append(producerBatch(0, 1, 2), { leaderEpoch: 2 });
    expect(state.copyTable().check(retryOf(0, 1, 2))).toMatchObject({ placement: { baseOffset: 100 } });
  });

  test("a write that fails is undone in the producer table too", async () => {
    const faults = new FaultInjectingFs(nodeStorageFs);
    const manager = new LogManager({ ...manualTime(), dataDir: dataDir(), storageFs: faults, log: () => {} });
    managers.push(manager);
    const log = manager.logOf("t", 0);
    const state = ProducerStateLog.open(log, { storageFs: faults });
    await log.append(producerBatch(0, 2), { leaderEpoch: 0 });
    faults.failNextWrite = "EIO";
    await expect(log.append(producerBatch(2, 2), { leaderEpoch: 0 })).rejects.toThrow("EIO");
    expect(state.copyTable().check(retryOf(2, 2))).toEqual({ kind: "append" });
    await log.append(producerBatch(2, 2), { leaderEpoch: 0 });
    expect(state.copyTable().check(retryOf(2, 2))).toMatchObject({ placement: { baseOffset: 2 } });
  });

  test("a snapshot that cannot be written is logged; the roll stands and a reopen replays the log", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    const fullDisk = new FaultInjectingFs(nodeStorageFs);
    fullDisk.writeBytesLeft = 0;
    const lines: string[] = [];
    const state = ProducerStateLog.open(log, { storageFs: fullDisk, logLine: (line) => lines.push(line) });
    await writeHistory(log, 1);
    await state.settled();
    expect(log.segmentCount).toBeGreaterThanOrEqual(4);
    expect(snapshotFiles(dir)).toEqual([]);
    expect(lines.some((line) => line.includes("cannot write the producer snapshot"))).toBe(true);
    const table = ProducerStateLog.open(await reopen(dir)).copyTable();
    expect(table.check(retryOf(0, 3))).toMatchObject({ kind: "duplicate", placement: { baseOffset: 0 } });
  });

  test("a roll's snapshot is written and fsynced on the thread pool, not on the event loop", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    const { spyFs, blockingCalls } = blockingCallsFs();
    const state = ProducerStateLog.open(log, { storageFs: spyFs });
    await writeHistory(log, 1);
    expect(log.segmentCount).toBeGreaterThanOrEqual(4);
    expect(blockingCalls).toEqual([]);
    await state.settled();
    expect(snapshotFiles(dir)).toEqual([3, 6, 9].map(producerSnapshotFileName));
    expect(temporariesIn(dir)).toEqual([]);
    // And they are what a reopen starts from.
    const table = ProducerStateLog.open(await reopen(dir)).copyTable();
    expect(table.check(retryOf(6, 3))).toMatchObject({ kind: "duplicate", placement: { baseOffset: 6 } });
  });

  test("a truncation while a roll's snapshot is in flight keeps it from landing", async () => {
    const { dir, log, state, release } = await historyWithSnapshotsHeld(1, 3);
    log.truncate(6);
    release();
    await state.settled();
    // The snapshot at 9 describes batches the truncation cut: it must not appear once its sync returns.
    expect(snapshotFiles(dir).every((name) => Number(name.slice(0, 20)) <= 6)).toBe(true);
    expect(temporariesIn(dir)).toEqual([]);
    await log.append(producerBatch(0, 3, 1), { leaderEpoch: 1 });
    const reopened = ProducerStateLog.open(await reopen(dir)).copyTable();
    expect(reopened.check(retryOf(6, 3, 0)).kind).toBe("error");
  });

  test("a roll's snapshot that the log start passed while it was in flight does not land", async () => {
    const { dir, log, state, release } = await historyWithSnapshotsHeld(2, 4);
    log.highWatermark = log.logEndOffset;
    log.deleteRecords(log.logEndOffset);
    release();
    await state.settled();
    // Only the snapshot the start's advance wrote at once: older ones would sit below the start, unused.
    expect(snapshotFiles(dir)).toEqual([producerSnapshotFileName(log.logEndOffset)]);
    expect(temporariesIn(dir)).toEqual([]);
  });

  test("a replica that starts leading a new term knows the batches it received as a follower", async () => {
    const dir = dataDir();
    const log = openLog(dir);
    const group = new StubGroup();
    group.role = "follower";
    const replica = new RaftReplica("id", "t", 0, group, log);
    await writeHistory(log, 0);
    group.role = "leader";
    group.term = 2;
    expect(replica.append(appendBatch(producerBatch(6, 3)), { acks: 1 }).placement).toEqual({
      baseOffset: 6,
      lastOffset: 8,
      logAppendTimeMs: -1,
    });
    expect(group.proposals).toHaveLength(0);
  });
});
