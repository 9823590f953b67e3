// Proves the partition side of transactions: transactional batches open their producer's transaction, COMMIT and
// ABORT markers end it, the first unstable offset holds back the last stable offset until the marker is
// committed, aborted transactions are indexed for read_committed fetches, and both survive segment rolls,
// restarts (snapshots plus replay) and a log start that moves past them.

import { afterEach, describe, expect, test } from "bun:test";
import { manualTime } from "../../src/base/manual-clock.ts";
import { AbortedTransactionIndex } from "../../src/cluster/aborted-transactions.ts";
import { ProducerStateTable } from "../../src/cluster/producer-state.ts";
import { ProducerStateLog } from "../../src/cluster/producer-state-log.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import {
  buildControlBatch,
  ControlRecordType,
  encodeEndTxnMarker,
} from "../../src/protocol/records/control-record.ts";
import { LogManager, logConfigOf, type PartitionLog } from "../../src/storage/index.ts";
import { makeTempDir } from "../storage/temp-dir.ts";

const temps: Array<{ remove(): void }> = [];
const managers: LogManager[] = [];
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.close();
  for (const temp of temps.splice(0)) temp.remove();
});

function openLog(dir: string, segmentBytes = 1024 * 1024): PartitionLog {
  const manager = new LogManager({
    ...manualTime(),
    dataDir: dir,
    log: () => {},
    configFor: () => logConfigOf({ segmentBytes }),
  });
  managers.push(manager);
  return manager.logOf("t", 0);
}

const sequences = new Map<bigint, number>();

function txnBatch(producerId: bigint, count = 2) {
  const baseSequence = sequences.get(producerId) ?? 0;
  sequences.set(producerId, baseSequence + count);
  const records = Array.from({ length: count }, (_, index) => ({
    key: null,
    value: new TextEncoder().encode(`p${producerId}-${baseSequence + index}`),
    timestamp: 1000,
  }));
  return buildBatch(records, { producerId, producerEpoch: 0, baseSequence, transactional: true });
}

function marker(producerId: bigint, commit: boolean, producerEpoch = 0) {
  return buildControlBatch(
    {
      type: commit ? ControlRecordType.Commit : ControlRecordType.Abort,
      value: encodeEndTxnMarker(5),
      timestamp: 2000,
    },
    { producerId, producerEpoch, transactional: true },
  );
}

async function append(log: PartitionLog, ...batches: Uint8Array[]): Promise<void> {
  for (const bytes of batches) await log.append(bytes, { leaderEpoch: 0 });
}

describe("AbortedTransactionIndex", () => {
  test("answers the transactions a read overlaps, and forgets those below the log start", () => {
    const index = AbortedTransactionIndex.of([
      { producerId: 1n, firstOffset: 0, lastOffset: 4 },
      { producerId: 2n, firstOffset: 2, lastOffset: 9 },
      { producerId: 1n, firstOffset: 10, lastOffset: 12 },
    ]);
    expect(index.overlapping(5, 20).map((entry) => entry.lastOffset)).toEqual([9, 12]);
    expect(index.overlapping(0, 2).map((entry) => entry.lastOffset)).toEqual([4]);
    expect(index.overlapping(13, 20)).toEqual([]);
    index.dropBelow(5);
    expect(index.all().map((entry) => entry.lastOffset)).toEqual([9, 12]);
    index.truncateFrom(12);
    expect(index.all().map((entry) => entry.lastOffset)).toEqual([9]);
  });
});

describe("ProducerStateTable transactions", () => {
  test("a transactional batch opens a transaction; a marker ends it and a newer marker epoch fences", () => {
    const table = new ProducerStateTable();
    const batch = { producerId: 3n, producerEpoch: 0, baseSequence: 0, lastSequence: 1 };
    table.record(batch, { baseOffset: 4, lastOffset: 5, timestampMs: 1 }, { transactional: true });
    table.record(
      { ...batch, baseSequence: 2, lastSequence: 2 },
      { baseOffset: 7, lastOffset: 7, timestampMs: 1 },
      { transactional: true },
    );
    expect(table.firstOngoingOffset()).toBe(4);
    const ended = table.recordMarker({
      producerId: 3n,
      producerEpoch: 1,
      commit: false,
      offset: 8,
      timestampMs: 2,
    });
    expect(ended).toEqual({ producerId: 3n, firstOffset: 4, lastOffset: 8, aborted: true });
    expect(table.firstOngoingOffset()).toBeNull();
    // The abort bumped the epoch: the old epoch's batches and markers are refused from now on.
    expect(table.check({ ...batch, baseSequence: 3, lastSequence: 3 }).kind).toBe("error");
    expect(table.checkMarker(3n, 0)).not.toBeNull();
    expect(table.checkMarker(3n, 1)).toBeNull();
  });
});

describe("ProducerStateLog transactions", () => {
  test("the first unstable offset waits for the oldest open transaction and for its marker's commit", async () => {
    const temp = makeTempDir("chronik-txn-");
    temps.push(temp);
    const log = openLog(temp.path);
    const state = ProducerStateLog.open(log);
    await append(log, buildBatch([{ key: null, value: null, timestamp: 1 }])); // 0
    await append(log, txnBatch(1n)); // 1-2
    await append(log, txnBatch(2n)); // 3-4
    expect(state.firstUnstableOffset(5)).toBe(1);
    await append(log, marker(1n, true)); // 5
    // The commit marker is stored but not committed: producer 1's transaction is still unstable.
    expect(state.firstUnstableOffset(5)).toBe(1);
    expect(state.firstUnstableOffset(6)).toBe(3);
    await append(log, marker(2n, false)); // 6
    expect(state.firstUnstableOffset(7)).toBeNull();
    expect(state.abortedTransactions(0, 7)).toEqual([{ producerId: 2n, firstOffset: 3, lastOffset: 6 }]);
    expect(state.abortedTransactions(7, 8)).toEqual([]);
  });

  test("open and aborted transactions survive rolls and a restart, and leave with the log start", async () => {
    const temp = makeTempDir("chronik-txn-");
    temps.push(temp);
    let log = openLog(temp.path, 150);
    ProducerStateLog.open(log);
    await append(log, txnBatch(1n), txnBatch(2n), marker(1n, false), txnBatch(1n), txnBatch(3n));
    await append(log, marker(3n, false), txnBatch(3n));
    // 0-1 p1, 2-3 p2, 4 abort p1, 5-6 p1, 7-8 p3, 9 abort p3, 10-11 p3: p1, p2 and p3 are open.
    for (const manager of managers.splice(0)) await manager.close();
    log = openLog(temp.path, 150);
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(1);
    let state = ProducerStateLog.open(log);
    expect(state.firstUnstableOffset(12)).toBe(2);
    expect([...state.ongoingTransactions()].sort()).toEqual([
      [1n, 5],
      [2n, 2],
      [3n, 10],
    ]);
    expect(state.abortedTransactions(0, 12)).toEqual([
      { producerId: 1n, firstOffset: 0, lastOffset: 4 },
      { producerId: 3n, firstOffset: 7, lastOffset: 9 },
    ]);
    log.advanceLogStart(5);
    for (const manager of managers.splice(0)) await manager.close();
    log = openLog(temp.path, 150);
    state = ProducerStateLog.open(log);
    expect(state.abortedTransactions(0, 12)).toEqual([{ producerId: 3n, firstOffset: 7, lastOffset: 9 }]);
    expect(state.firstUnstableOffset(12)).toBe(2);
  });
});
