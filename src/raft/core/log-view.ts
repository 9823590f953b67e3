// The core's view of its log: the durable log (read through LogReader) overlaid by the unstable tail, the
// entries and snapshot handed out in Ready but not yet persisted.
import { assert } from "../../base/assert.ts";
import type { BatchMeta, LogReader } from "./log-reader.ts";
import { collectEntries, findBatchIndex, findEpochIndex } from "./log-reader.ts";
import type { Entry, Snapshot, SnapshotMeta } from "./types.ts";

export interface OffsetEpoch {
  readonly offset: number;
  readonly epoch: number;
}

export class LogView {
  /** Entries not yet persisted; they replace the durable log from unstableOffset on. */
  private unstable: Entry[] = [];
  private unstableOffset: number;
  private unstableSnapshot: Snapshot | undefined;

  constructor(readonly storage: LogReader) {
    this.unstableOffset = storage.lastOffset() + 1;
  }

  mark(): SnapshotMeta {
    return this.unstableSnapshot?.meta ?? this.storage.snapshotMeta();
  }

  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }

  /** The first offset the log holds; earlier offsets are compacted into the snapshot. */
  firstOffset(): number {
    return this.mark().lastOffset + 1;
  }

  lastOffset(): number {
    const last = this.unstable[this.unstable.length - 1];
    if (last !== undefined) return last.lastOffset;
    return this.unstableSnapshot?.meta.lastOffset ?? this.storage.lastOffset();
  }

  lastEpoch(): number {
    const last = this.unstable[this.unstable.length - 1];
    if (last !== undefined) return last.epoch;
    return this.unstableSnapshot?.meta.lastEpoch ?? this.storage.lastEpoch();
  }

  batchAt(offset: number): BatchMeta | undefined {
    if (offset >= this.unstableOffset) {
      const index = findBatchIndex(this.unstable, offset);
      return index < 0 ? undefined : this.unstable[index];
    }
    if (this.unstableSnapshot !== undefined) return undefined;
    return this.storage.batchAt(offset);
  }

  /** The epoch of the batch holding offset; the mark answers for itself; undefined outside the log. */
  epochOf(offset: number): number | undefined {
    const mark = this.mark();
    if (offset === mark.lastOffset) return mark.lastEpoch;
    if (offset < mark.lastOffset || offset > this.lastOffset()) return undefined;
    return this.batchAt(offset)?.epoch;
  }

  matches(offset: number, epoch: number): boolean {
    return this.epochOf(offset) === epoch;
  }

  firstOffsetOfEpoch(epoch: number): number | undefined {
    if (this.unstableSnapshot === undefined) {
      const stored = this.storage.firstOffsetOfEpoch(epoch);
      if (stored !== undefined && stored < this.unstableOffset) return stored;
    }
    const batch = this.unstable[findEpochIndex(this.unstable, epoch)];
    return batch !== undefined && batch.epoch === epoch ? batch.baseOffset : undefined;
  }

  /** Whole entries from fromOffset (a batch base), within bytesMax but at least one. */
  entries(fromOffset: number, bytesMax: number): Entry[] {
    const out: Entry[] = [];
    if (fromOffset > this.lastOffset()) return out;
    assert(fromOffset > this.mark().lastOffset, "entries below the log start");
    let bytes = 0;
    if (fromOffset < this.unstableOffset) {
      assert(this.unstableSnapshot === undefined, "stored entries hidden by an unstable snapshot");
      for (const entry of this.storage.entries(fromOffset, bytesMax)) {
        if (entry.baseOffset >= this.unstableOffset) break;
        if (out.length > 0 && bytes + entry.byteSize > bytesMax) return out;
        out.push(entry);
        bytes += entry.byteSize;
      }
      const last = out[out.length - 1];
      if (last === undefined || last.lastOffset + 1 < this.unstableOffset) return out;
    }
    const start = out.length === 0 ? findBatchIndex(this.unstable, fromOffset) : 0;
    if (start < 0) return out;
    collectEntries(this.unstable, start, bytesMax, out, bytes);
    return out;
  }

  /**
   * Fast backup: the largest batch end at or below offset whose epoch is at most epochMax, or the mark.
   * Walks back one epoch at a time, so its cost is bounded by the number of epochs.
   */
  matchCandidate(offset: number, epochMax: number): OffsetEpoch {
    const mark = this.mark();
    let at = Math.min(offset, this.lastOffset());
    for (;;) {
      if (at <= mark.lastOffset) return { offset: mark.lastOffset, epoch: mark.lastEpoch };
      const batch = this.batchAt(at);
      assert(batch !== undefined, "a held offset has a batch");
      if (batch.epoch <= epochMax) {
        if (at === batch.lastOffset) return { offset: at, epoch: batch.epoch };
        const before = batch.baseOffset - 1;
        return { offset: before, epoch: this.epochOf(before)! };
      }
      const epochStart = this.firstOffsetOfEpoch(batch.epoch);
      at = (epochStart ?? mark.lastOffset + 1) - 1;
    }
  }

  /** Whether a candidate's log (lastOffset, lastEpoch) is at least as up to date as this one. */
  isUpToDate(lastOffset: number, lastEpoch: number): boolean {
    const ownEpoch = this.lastEpoch();
    return lastEpoch > ownEpoch || (lastEpoch === ownEpoch && lastOffset >= this.lastOffset());
  }

  /** Appends entries, truncating any suffix from the first entry's base offset (a batch boundary). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const base = first.baseOffset;
    assert(base > this.mark().lastOffset, "append below the log start");
    assert(base <= this.lastOffset() + 1, "append leaves a gap");
    if (base <= this.lastOffset()) {
      assert(this.batchAt(base)?.baseOffset === base, "truncation must be at a batch boundary");
    }
    if (base >= this.unstableOffset) {
      const keep =
        base === this.lastOffset() + 1 ? this.unstable.length : findBatchIndex(this.unstable, base);
      this.unstable.length = keep;
    } else {
      this.unstable = [];
      this.unstableOffset = base;
    }
    for (const entry of entries) this.unstable.push(entry);
  }

  /** Replaces the whole log by a snapshot (followers behind the leader's log start). */
  restore(snapshot: Snapshot): void {
    this.unstableSnapshot = snapshot;
    this.unstable = [];
    this.unstableOffset = snapshot.meta.lastOffset + 1;
  }

  /** The first offset not yet handed to storage: everything below it the storage reader serves. */
  unstableStart(): number {
    return this.unstableOffset;
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable;
  }

  pendingSnapshot(): Snapshot | undefined {
    return this.unstableSnapshot;
  }

  /** The driver persisted what the last Ready held: the snapshot and entries up to lastOffset. */
  stableTo(options: { snapshot: boolean; entryCount: number }): void {
    if (options.snapshot) this.unstableSnapshot = undefined;
    if (options.entryCount === 0) return;
    assert(options.entryCount <= this.unstable.length, "persisted more entries than were unstable");
    const persisted = this.unstable[options.entryCount - 1]!;
    this.unstable = this.unstable.slice(options.entryCount);
    this.unstableOffset = persisted.lastOffset + 1;
  }
}
