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
  /** The first offset of the producer's ongoing transaction in this partition; null when none is open. */
  currentTxnFirstOffset: number | null;
}

/** A transaction marker (COMMIT or ABORT control batch) as the partition stores it. */
export interface TransactionMarker {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  /** The marker's own offset. */
  offset: number;
  timestampMs: number;
}

/** A transaction a marker ended in this partition: its data lies in [firstOffset, lastOffset), the marker at lastOffset. */
export interface CompletedTransaction {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  aborted: boolean;
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
  /** Absent (or null) when the producer has no transaction open here. */
  currentTxnFirstOffset?: number | null;
}

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();
  /** Producer id → first offset of its open transaction: the few producers the last stable offset waits for. */
  private readonly ongoing = new Map<bigint, number>();

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
  record(batch: ProducerBatch, placement: BatchPlacement, options: { transactional?: boolean } = {}): void {
    let entry = this.producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.producerEpoch) {
      // A new epoch's first batch: any transaction of the old epoch was ended by a marker before it.
      entry = this.newEntry(batch.producerId, batch.producerEpoch, placement.timestampMs);
    }
    if (options.transactional === true && entry.currentTxnFirstOffset === null) {
      entry.currentTxnFirstOffset = placement.baseOffset;
      this.ongoing.set(batch.producerId, placement.baseOffset);
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

  private newEntry(producerId: bigint, producerEpoch: number, timestampMs: number): ProducerEntry {
    const entry: ProducerEntry = {
      producerEpoch,
      batches: [],
      lastTimestampMs: timestampMs,
      currentTxnFirstOffset: null,
    };
    this.producers.set(producerId, entry);
    this.ongoing.delete(producerId);
    return entry;
  }

  /**
   * A marker from the transaction coordinator (in the leader's append path): refused when its epoch is older
   * than the producer's (Kafka's ProducerAppendInfo.checkProducerEpoch for markers), else accepted.
   */
  checkMarker(producerId: bigint, producerEpoch: number): string | null {
    const entry = this.producers.get(producerId);
    if (entry === undefined || producerEpoch >= entry.producerEpoch) return null;
    return `marker epoch ${producerEpoch} is older than the producer's epoch ${entry.producerEpoch}`;
  }

  /**
   * Ends the producer's open transaction (Kafka's appendEndTxnMarker): the marker's epoch becomes the
   * producer's (a coordinator that aborts a timed-out transaction bumps it, fencing the old producer), and the
   * transaction it ended is answered (null when the producer had none open here).
   */
  recordMarker(marker: TransactionMarker): CompletedTransaction | null {
    let entry = this.producers.get(marker.producerId);
    if (entry === undefined) {
      entry = this.newEntry(marker.producerId, marker.producerEpoch, marker.timestampMs);
    } else if (marker.producerEpoch > entry.producerEpoch) {
      // Sequences restart at 0 in a new epoch: the old epoch's batches no longer answer retries.
      entry.producerEpoch = marker.producerEpoch;
      entry.batches = [];
    }
    entry.lastTimestampMs = Math.max(entry.lastTimestampMs, marker.timestampMs);
    const firstOffset = entry.currentTxnFirstOffset;
    entry.currentTxnFirstOffset = null;
    this.ongoing.delete(marker.producerId);
    if (firstOffset === null) return null;
    assert(firstOffset < marker.offset, "a transaction's marker follows its data");
    return { producerId: marker.producerId, firstOffset, lastOffset: marker.offset, aborted: !marker.commit };
  }

  /** The first offset of the oldest open transaction, or null when none is open. */
  firstOngoingOffset(): number | null {
    let first: number | null = null;
    for (const offset of this.ongoing.values()) if (first === null || offset < first) first = offset;
    return first;
  }

  /** The open transactions: producer id → first offset (DescribeProducers). */
  ongoingTransactions(): ReadonlyMap<bigint, number> {
    return this.ongoing;
  }

  /** Forgets producers silent for longer than producer.id.expiration.ms (Kafka's default: one day). */
  expire(nowMs: number, expirationMs: number): number {
    let expired = 0;
    for (const [producerId, entry] of this.producers) {
      // A producer with an open transaction is kept: the last stable offset waits for its marker.
      if (entry.currentTxnFirstOffset !== null) continue;
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
      if (entry.currentTxnFirstOffset !== null && entry.currentTxnFirstOffset >= offset) {
        entry.currentTxnFirstOffset = null;
        this.ongoing.delete(producerId);
      }
      if (entry.batches.length === 0 && entry.currentTxnFirstOffset === null)
        this.producers.delete(producerId);
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
      currentTxnFirstOffset: entry.currentTxnFirstOffset,
    }));
  }

  static fromSnapshot(entries: readonly ProducerSnapshotEntry[]): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const entry of entries) {
      assert(entry.batches.length <= retainedBatchesPerProducer, "snapshot holds too many batches");
      const producerId = BigInt(entry.producerId);
      const currentTxnFirstOffset = entry.currentTxnFirstOffset ?? null;
      table.producers.set(producerId, {
        producerEpoch: entry.producerEpoch,
        lastTimestampMs: entry.lastTimestampMs,
        batches: entry.batches.map((batch) => ({ ...batch })),
        currentTxnFirstOffset,
      });
      if (currentTxnFirstOffset !== null) table.ongoing.set(producerId, currentTxnFirstOffset);
    }
    return table;
  }
}
