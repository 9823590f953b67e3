// Proves idempotent-producer checks follow Kafka: retries of any of the last five batches are duplicates with
// their original offsets, gaps and stale epochs are refused, a new epoch restarts at sequence 0, and the
// table survives a snapshot round trip and log truncation.

import { describe, expect, test } from "bun:test";
import { lastSequenceOf, type ProducerBatch, ProducerStateTable } from "../../src/cluster/producer-state.ts";

function batch(baseSequence: number, count = 10, producerEpoch = 0, producerId = 7n): ProducerBatch {
  return { producerId, producerEpoch, baseSequence, lastSequence: lastSequenceOf(baseSequence, count - 1) };
}

/** Appends batches of 10 records at consecutive offsets, as the leader would. */
function appendAll(table: ProducerStateTable, batches: ProducerBatch[], firstOffset = 0): void {
  let offset = firstOffset;
  for (const next of batches) {
    expect(table.check(next)).toEqual({ kind: "append" });
    table.record(next, { baseOffset: offset, lastOffset: offset + 9, timestampMs: 1000 + offset });
    offset += 10;
  }
}

describe("producer state", () => {
  test("a retry of any of the last five batches is a duplicate with its original offsets", () => {
    const table = new ProducerStateTable();
    appendAll(
      table,
      [0, 10, 20, 30, 40, 50].map((sequence) => batch(sequence)),
    );
    expect(table.check(batch(10))).toEqual({
      kind: "duplicate",
      placement: { baseOffset: 10, lastOffset: 19, timestampMs: 1010 },
    });
    expect(table.check(batch(50)).kind).toBe("duplicate");
    // The sixth-newest batch is no longer retained: its retry is out of order, as in Kafka.
    expect(table.check(batch(0))).toMatchObject({ kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
  });

  test("a gap in sequences is refused, naming the sequence expected", () => {
    const table = new ProducerStateTable();
    appendAll(table, [batch(0)]);
    expect(table.check(batch(11))).toEqual({
      kind: "error",
      error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      message: "expected sequence 10, got 11",
    });
    expect(table.check(batch(10)).kind).toBe("append");
  });

  test("epochs: older refused, newer must start at 0, and a new producer may start anywhere", () => {
    const table = new ProducerStateTable();
    expect(table.check(batch(500)).kind).toBe("append");
    appendAll(table, [batch(0, 10, 3)]);
    expect(table.check(batch(10, 10, 2))).toMatchObject({ kind: "error", error: "INVALID_PRODUCER_EPOCH" });
    expect(table.check(batch(10, 10, 4))).toMatchObject({
      kind: "error",
      error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
    });
    appendAll(table, [batch(0, 10, 4)], 100);
    expect(table.check(batch(10, 10, 4)).kind).toBe("append");
  });

  test("sequences wrap from Int32.MAX to 0", () => {
    const table = new ProducerStateTable();
    const nearMax = 2147483647 - 4;
    const wrapping = batch(nearMax, 10);
    expect(wrapping.lastSequence).toBe(4);
    appendAll(table, [wrapping]);
    expect(table.check(batch(5)).kind).toBe("append");
    expect(table.check(wrapping).kind).toBe("duplicate");
  });

  test("snapshot round trip, truncation and expiry", () => {
    const table = new ProducerStateTable();
    appendAll(table, [batch(0), batch(10), batch(20)]);
    appendAll(table, [batch(0, 10, 0, 8n)], 30);
    const restored = ProducerStateTable.fromSnapshot(JSON.parse(JSON.stringify(table.toSnapshot())));
    expect(restored.check(batch(10)).kind).toBe("duplicate");
    expect(restored.check(batch(30)).kind).toBe("append");

    restored.truncateFrom(20);
    expect(restored.check(batch(20)).kind).toBe("append");
    expect(restored.producerCount).toBe(1);

    expect(table.expire(1000 + 20 + 50, 45)).toBe(1);
    expect(table.producerCount).toBe(1);
  });
});
