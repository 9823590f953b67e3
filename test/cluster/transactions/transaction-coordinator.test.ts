// Proves the transaction coordinator's state machine: InitProducerId bumps the epoch and fences older
// instances (KIP-360 retries answered again), the timeout is bounded, AddPartitionsToTxn opens a transaction,
// EndTxn prepares it with markers and refuses concurrent work until it completes, a new instance aborts what an
// old one left open, timed-out transactions abort under a bumped epoch, and a replay resumes Prepare states.

import { describe, expect, test } from "bun:test";
import { TransactionCoordinator } from "../../../src/cluster/transactions/transaction-coordinator.ts";
import {
  decodeTransactionRecord,
  encodeTransactionKey,
  encodeTransactionValue,
} from "../../../src/cluster/transactions/transaction-records.ts";
import { TransactionState } from "../../../src/cluster/transactions/transaction-state.ts";

const none = { producerId: -1n, producerEpoch: -1 };
const orders = { topic: "orders", partition: 0 };
const producer = { transactionalId: "t", producerId: 7n, producerEpoch: 0 };

function started(timeoutMs = 1000) {
  const coordinator = new TransactionCoordinator({ transactionMaxTimeoutMs: 5000 });
  const init = coordinator.initProducerId({
    transactionalId: "t",
    timeoutMs,
    expected: none,
    freshProducerId: 7n,
    nowMs: 0,
  });
  expect(init.outcome).toEqual({ ok: true, value: { producerId: 7n, producerEpoch: 0 } });
  expect(init.write?.state).toBe(TransactionState.Empty);
  return coordinator;
}

function init(coordinator: TransactionCoordinator, expected = none, nowMs = 10) {
  return coordinator.initProducerId({
    transactionalId: "t",
    timeoutMs: 1000,
    expected,
    freshProducerId: 9n,
    nowMs,
  });
}

describe("TransactionCoordinator", () => {
  test("a timeout above transaction.max.timeout.ms is refused", () => {
    const coordinator = new TransactionCoordinator({ transactionMaxTimeoutMs: 5000 });
    const step = coordinator.initProducerId({
      transactionalId: "t",
      timeoutMs: 6000,
      expected: none,
      freshProducerId: 1n,
      nowMs: 0,
    });
    expect(step.outcome).toEqual({ ok: false, error: "INVALID_TRANSACTION_TIMEOUT" });
    expect(step.write).toBeNull();
  });

  test("commit: Ongoing → PrepareCommit with markers → CompleteCommit; concurrent work waits", () => {
    const coordinator = started();
    const add = coordinator.addPartitions({ ...producer, partitions: [orders], nowMs: 5 });
    expect(add.write?.state).toBe(TransactionState.Ongoing);
    expect(coordinator.addPartitions({ ...producer, partitions: [orders], nowMs: 6 }).write).toBeNull();
    const end = coordinator.endTransaction({ ...producer, commit: true, nowMs: 7 });
    expect(end.write?.state).toBe(TransactionState.PrepareCommit);
    expect(end.markers).toEqual({ ...producer, commit: true, partitions: [orders] });
    const busy = coordinator.addPartitions({ ...producer, partitions: [orders], nowMs: 8 });
    expect(busy.outcome).toEqual({ ok: false, error: "CONCURRENT_TRANSACTIONS" });
    expect(init(coordinator).outcome).toEqual({ ok: false, error: "CONCURRENT_TRANSACTIONS" });
    const done = coordinator.completeTransaction(end.markers!, 9);
    expect(done.write?.state).toBe(TransactionState.CompleteCommit);
    expect(done.write?.partitions).toEqual([]);
    // A retried EndTxn(commit) is answered again; an abort now is a state error.
    expect(coordinator.endTransaction({ ...producer, commit: true, nowMs: 10 }).outcome.ok).toBe(true);
    expect(coordinator.endTransaction({ ...producer, commit: false, nowMs: 10 }).outcome).toEqual({
      ok: false,
      error: "INVALID_TXN_STATE",
    });
  });

  test("a new instance fences the old one and aborts its open transaction first", () => {
    const coordinator = started();
    coordinator.addPartitions({ ...producer, partitions: [orders], nowMs: 5 });
    const first = init(coordinator);
    expect(first.outcome).toEqual({ ok: false, error: "CONCURRENT_TRANSACTIONS" });
    expect(first.markers).toEqual({ ...producer, producerEpoch: 1, commit: false, partitions: [orders] });
    coordinator.completeTransaction(first.markers!, 7);
    expect(init(coordinator).outcome).toEqual({ ok: true, value: { producerId: 7n, producerEpoch: 2 } });
    // The zombie at epoch 0 is fenced.
    const zombie = coordinator.addPartitions({ ...producer, partitions: [orders], nowMs: 9 });
    expect(zombie.outcome).toEqual({ ok: false, error: "PRODUCER_FENCED" });
    // KIP-360: a retry of the last InitProducerId, with the epoch it replaced, gets the same answer again.
    const repeated = init(coordinator, { producerId: 7n, producerEpoch: 1 });
    expect(repeated.outcome).toEqual({ ok: true, value: { producerId: 7n, producerEpoch: 2 } });
    const stale = init(coordinator, { producerId: 7n, producerEpoch: 0 });
    expect(stale.outcome).toEqual({ ok: false, error: "PRODUCER_FENCED" });
  });

  test("a transaction past its timeout is aborted under a bumped epoch", () => {
    const coordinator = started(1000);
    coordinator.addPartitions({ ...producer, partitions: [orders], nowMs: 100 });
    expect(coordinator.nextDeadlineMs()).toBe(1100);
    expect(coordinator.expire(1099)).toEqual([]);
    const [expired] = coordinator.expire(1100);
    expect(expired?.write?.state).toBe(TransactionState.PrepareAbort);
    expect(expired?.markers?.producerEpoch).toBe(1);
    expect(coordinator.endTransaction({ ...producer, commit: true, nowMs: 1200 }).outcome).toEqual({
      ok: false,
      error: "PRODUCER_FENCED",
    });
  });

  test("records round-trip, and a replayed Prepare state is resumed", () => {
    const coordinator = started();
    coordinator.addPartitions({ ...producer, partitions: [orders], nowMs: 5 });
    const end = coordinator.endTransaction({ ...producer, commit: false, nowMs: 7 });
    const decoded = decodeTransactionRecord(encodeTransactionKey("t"), encodeTransactionValue(end.write!));
    expect(decoded).toEqual({ ok: true, transactionalId: "t", metadata: end.write! });
    const reloaded = new TransactionCoordinator({ transactionMaxTimeoutMs: 5000 });
    if (decoded.ok) reloaded.replay(decoded.transactionalId, decoded.metadata);
    expect(reloaded.unfinished()).toEqual([end.markers!]);
  });
});
