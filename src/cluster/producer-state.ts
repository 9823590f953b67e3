// Idempotent-producer state of one partition: for each producer id, its epoch and the last five batches'
// sequence ranges and offsets (Kafka's ProducerStateManager). A retried batch is found here and answered with
// its original offsets instead of being written twice; a gap in sequences or a stale epoch is refused.
// check() and record() run in the same synchronous step of the partition's append path, so two concurrent
// produces can never both pass the check. Pure: the caller supplies offsets and times.

import { assert } from "../base/assert.ts";

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN. */
export const retainedBatchesPerProducer = 5;
export const noProducerId = -1n;
export const noProducerEpoch = -1;
export const noSequence = -1;
const sequenceMax = 0x7fff_ffff;

export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** baseSequence + lastOffsetDelta, wrapping past Int32.MAX to 0 as Kafka does. */
  lastSequence: number;
}

export interface BatchPlacement {
  baseOffset: number;
  lastOffset: number;
  /** The batch's max timestamp (or log append time): answered again for a duplicate. */
  timestampMs: number;
}

export interface RetainedBatch extends BatchPlacement {
  baseSequence: number;
  lastSequence: number;
}

interface ProducerEntry {
  producerEpoch: number;
  /** Oldest first, at most retainedBatchesPerProducer. */
  batches: RetainedBatch[];
  lastTimestampMs: number;
}

export type ProducerCheck =
  | { kind: "append" }
  | { kind: "duplicate"; placement: BatchPlacement }
  | { kind: "error"; error: "OUT_OF_ORDER_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH"; message: string };

/** The sequence range a batch header claims, as the producer table checks and records it. */
export function producerBatchOf(header: {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
}): ProducerBatch {
  return {
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    lastSequence: lastSequenceOf(header.baseSequence, header.lastOffsetDelta),
  };
}

export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  const last = baseSequence + lastOffsetDelta;
  return last > sequenceMax ? last - sequenceMax - 1 : last;
}

function inSequence(lastSequence: number, nextSequence: number): boolean {
  return nextSequence === lastSequence + 1 || (nextSequence === 0 && lastSequence === sequenceMax);
}

export interface ProducerSnapshotEntry {
  producerId: string;
  producerEpoch: number;
  lastTimestampMs: number;
  batches: RetainedBatch[];
}

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get producerCount(): number {
    return this.producers.size;
  }

  /** Decides what to do with an idempotent batch before it is appended. */
  check(batch: ProducerBatch): ProducerCheck {
    assert(batch.producerId >= 0n, "check() is for idempotent batches only");
    const entry = this.producers.get(batch.producerId);
    if (!entry) return { kind: "append" };
    if (batch.producerEpoch < entry.producerEpoch) {
      return {
        kind: "error",
        error: "INVALID_PRODUCER_EPOCH",
        message: `epoch ${batch.producerEpoch} is older than the current epoch ${entry.producerEpoch}`,
      };
    }
    if (batch.producerEpoch > entry.producerEpoch) {
      if (batch.baseSequence === 0) return { kind: "append" };
      return {
        kind: "error",
        error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
        message: `a new epoch ${batch.producerEpoch} must start at sequence 0, got ${batch.baseSequence}`,
      };
    }
    const duplicate = entry.batches.find(
      (retained) =>
        retained.baseSequence === batch.baseSequence && retained.lastSequence === batch.lastSequence,
    );
    if (duplicate) {
      const { baseOffset, lastOffset, timestampMs } = duplicate;
      return { kind: "duplicate", placement: { baseOffset, lastOffset, timestampMs } };
    }
    const last = entry.batches.at(-1);
    if (last === undefined || inSequence(last.lastSequence, batch.baseSequence)) return { kind: "append" };
    return {
      kind: "error",
      error: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      message: `expected sequence ${last.lastSequence === sequenceMax ? 0 : last.lastSequence + 1}, got ${batch.baseSequence}`,
    };
  }

  /** Remembers an appended batch: on the leader right after check(), on replay of the log at recovery. */
  record(batch: ProducerBatch, placement: BatchPlacement): void {
    let entry = this.producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.producerEpoch) {
      entry = { producerEpoch: batch.producerEpoch, batches: [], lastTimestampMs: placement.timestampMs };
      this.producers.set(batch.producerId, entry);
    }
    const last = entry.batches.at(-1);
    assert(
      last === undefined || placement.baseOffset > last.lastOffset,
      "producer batches must move forward",
    );
    entry.batches.push({ ...placement, baseSequence: batch.baseSequence, lastSequence: batch.lastSequence });
    if (entry.batches.length > retainedBatchesPerProducer) entry.batches.shift();
    entry.lastTimestampMs = Math.max(entry.lastTimestampMs, placement.timestampMs);
  }

  /** Forgets producers silent for longer than producer.id.expiration.ms (Kafka's default: one day). */
  expire(nowMs: number, expirationMs: number): number {
    let expired = 0;
    for (const [producerId, entry] of this.producers) {
      if (nowMs - entry.lastTimestampMs > expirationMs) {
        this.producers.delete(producerId);
        expired++;
      }
    }
    return expired;
  }

  /** Drops what a truncated log no longer holds: batches at or past `offset`. */
  truncateFrom(offset: number): void {
    for (const [producerId, entry] of this.producers) {
      entry.batches = entry.batches.filter((batch) => batch.lastOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(producerId);
    }
  }

  /** An independent table holding the same producers (the leader's check table starts from the log's). */
  copy(): ProducerStateTable {
    return ProducerStateTable.fromSnapshot(this.toSnapshot());
  }

  toSnapshot(): ProducerSnapshotEntry[] {
    return [...this.producers].map(([producerId, entry]) => ({
      producerId: producerId.toString(),
      producerEpoch: entry.producerEpoch,
      lastTimestampMs: entry.lastTimestampMs,
      batches: entry.batches.map((batch) => ({ ...batch })),
    }));
  }

  static fromSnapshot(entries: readonly ProducerSnapshotEntry[]): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const entry of entries) {
      assert(entry.batches.length <= retainedBatchesPerProducer, "snapshot holds too many batches");
      table.producers.set(BigInt(entry.producerId), {
        producerEpoch: entry.producerEpoch,
        lastTimestampMs: entry.lastTimestampMs,
        batches: entry.batches.map((batch) => ({ ...batch })),
      });
    }
    return table;
  }
}
