// A partition's aborted transactions (Kafka's per-segment .txnindex, kept as one ordered list): each the
// producer id, the first offset of its data and the offset of its ABORT marker. Fetch at read_committed
// answers the ones that overlap what it returns, and the consumer drops those producers' records from each
// first offset until it meets the marker. The list lives in the producer-state snapshots and is rebuilt by
// replay like the producers themselves (producer-state-log.ts), so it survives restarts; entries whose marker
// falls below the log start are dropped with the log (retention, DeleteRecords). Pure.

import { assert } from "../base/assert.ts";

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: number;
  /** The ABORT marker's offset. */
  lastOffset: number;
}

export class AbortedTransactionIndex {
  /** Ascending by lastOffset (markers are appended in log order). */
  private entries: AbortedTransaction[] = [];

  get size(): number {
    return this.entries.length;
  }

  add(aborted: AbortedTransaction): void {
    const last = this.entries.at(-1);
    assert(last === undefined || aborted.lastOffset > last.lastOffset, "aborted markers move forward");
    assert(aborted.firstOffset < aborted.lastOffset, "an aborted transaction's data precedes its marker");
    this.entries.push({ ...aborted });
  }

  /**
   * The aborted transactions whose records a fetch of [fromOffset, upToOffset) may return: those whose marker
   * is at or past fromOffset and whose data starts before upToOffset (Kafka's collectAbortedTxns).
   */
  overlapping(fromOffset: number, upToOffset: number): AbortedTransaction[] {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle]!.lastOffset < fromOffset) low = middle + 1;
      else high = middle;
    }
    const found: AbortedTransaction[] = [];
    for (let index = low; index < this.entries.length; index++) {
      const entry = this.entries[index]!;
      if (entry.firstOffset < upToOffset) found.push(entry);
    }
    return found;
  }

  /** Drops the transactions whose marker lies at or past `offset` (a truncated log). */
  truncateFrom(offset: number): void {
    this.entries = this.entries.filter((entry) => entry.lastOffset < offset);
  }

  /** Drops the transactions whose marker lies below the log start: no fetch can reach them. */
  dropBelow(logStartOffset: number): void {
    const keepFrom = this.entries.findIndex((entry) => entry.lastOffset >= logStartOffset);
    this.entries = keepFrom === -1 ? [] : this.entries.slice(keepFrom);
  }

  all(): readonly AbortedTransaction[] {
    return this.entries;
  }

  copy(): AbortedTransactionIndex {
    return AbortedTransactionIndex.of(this.entries);
  }

  static of(entries: readonly AbortedTransaction[]): AbortedTransactionIndex {
    const index = new AbortedTransactionIndex();
    for (const entry of entries) index.add(entry);
    return index;
  }
}
