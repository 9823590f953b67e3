// An in-memory durable log for tests, the simulator and benchmarks; it serves the core through LogReader.
import { assert } from "../../base/assert.ts";
import type { BatchMeta, LogReader } from "./log-reader.ts";
import { collectEntries, findBatchIndex, findEpochIndex } from "./log-reader.ts";
import type { Entry, MembershipConfig, Snapshot, SnapshotMeta } from "./types.ts";

export class MemoryLog implements LogReader {
  private batches: Entry[] = [];
  private snap: Snapshot;

  constructor(config: MembershipConfig) {
    this.snap = { meta: { lastOffset: -1, lastEpoch: 0, config }, data: new Uint8Array(0) };
  }

  snapshotMeta(): SnapshotMeta {
    return this.snap.meta;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  lastOffset(): number {
    const last = this.batches[this.batches.length - 1];
    return last === undefined ? this.snap.meta.lastOffset : last.lastOffset;
  }

  lastEpoch(): number {
    const last = this.batches[this.batches.length - 1];
    return last === undefined ? this.snap.meta.lastEpoch : last.epoch;
  }

  batchAt(offset: number): BatchMeta | undefined {
    const index = findBatchIndex(this.batches, offset);
    return index < 0 ? undefined : this.batches[index];
  }

  firstOffsetOfEpoch(epoch: number): number | undefined {
    const batch = this.batches[findEpochIndex(this.batches, epoch)];
    return batch !== undefined && batch.epoch === epoch ? batch.baseOffset : undefined;
  }

  entries(fromOffset: number, bytesMax: number): readonly Entry[] {
    const index = findBatchIndex(this.batches, fromOffset);
    if (index < 0) return [];
    assert(this.batches[index]!.baseOffset === fromOffset, "entries must be read from a batch boundary");
    const out: Entry[] = [];
    collectEntries(this.batches, index, bytesMax, out, 0);
    return out;
  }

  /** All entries held, oldest first (a copy). */
  allEntries(): Entry[] {
    return [...this.batches];
  }

  /** Writes entries, first dropping every held batch at or after the first entry's base offset. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.baseOffset > this.snap.meta.lastOffset, "append below the log start");
    assert(first.baseOffset <= this.lastOffset() + 1, "append leaves a gap");
    this.truncateFrom(first.baseOffset);
    for (const entry of entries) this.batches.push(entry);
  }

  /** Drops every batch at or after offset (a batch boundary). */
  truncateFrom(offset: number): void {
    const index = findBatchIndex(this.batches, offset);
    if (index < 0) return;
    assert(this.batches[index]!.baseOffset === offset, "truncation must be at a batch boundary");
    this.batches.length = index;
  }

  /** Replaces the log by a snapshot received from a leader. */
  installSnapshot(snapshot: Snapshot): void {
    this.snap = snapshot;
    this.batches = [];
  }

  /** Drops the batches up to and including lastOffset (a batch end) behind a snapshot taken there. */
  compact(snapshot: Snapshot): void {
    const lastOffset = snapshot.meta.lastOffset;
    if (lastOffset <= this.snap.meta.lastOffset) return;
    const index = findBatchIndex(this.batches, lastOffset);
    assert(
      index >= 0 && this.batches[index]!.lastOffset === lastOffset,
      "compaction must end at a batch end",
    );
    assert(this.batches[index]!.epoch === snapshot.meta.lastEpoch, "compaction epoch mismatch");
    this.batches = this.batches.slice(index + 1);
    this.snap = snapshot;
  }
}
