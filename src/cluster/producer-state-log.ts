// A partition's idempotent-producer table as its log holds it (Kafka's ProducerStateManager), kept in step with
// every batch the log stores, the leader's and the replicated ones alike, and snapshotted as `<offset>.snapshot`
// at each segment roll, at a clean close, and when the log start passes the latest snapshot. Opening loads the
// latest whole snapshot at or below the log end and replays batch headers from there, so a producer whose last
// batches lie in sealed (or deleted) segments is still known after a restart.
//
// This table is not the leader's check table: the leader records a batch when it proposes it, before the log
// stores it; this one follows the log only, which is what a snapshot must describe. The leader's table starts
// as a copy of this one whenever its replica leads a new term.
//
// A truncation (a divergent suffix cut, a failed write undone) deletes the snapshots above the new end at once
// (a reopen must never start from batches the log lost) and marks the table stale; it is rebuilt from the
// latest snapshot at its next use, outside the log's own write path.
//
// Transactions are followed here too: the producers' open transactions (the last stable offset waits for the
// oldest), the transactions ended by a marker the high watermark has not passed yet (still unstable), and the
// aborted-transactions index, which the snapshots carry so that it survives restarts.
//
// A roll's snapshot is written and fsynced on the thread pool (as Kafka flushes it from its scheduler), not on
// the event loop every produce waits on. Losing it to a crash costs only a longer replay at the next open. A
// truncation, restart or close drops any still in flight, so none lands over what they changed.

import { assert } from "../base/assert.ts";
import { readInt32, readInt64AsNumber } from "../protocol/primitives/big-endian.ts";
import { batchOffsets, readBatchHeader, scanBatches } from "../protocol/records/batch-header.ts";
import type { PartitionLog } from "../storage/index.ts";
import type { LogListener } from "../storage/log-listener.ts";
import { describeError } from "../storage/storage-error.ts";
import { nodeStorageFs, type StorageFs } from "../storage/storage-fs.ts";
import { type AbortedTransaction, AbortedTransactionIndex } from "./aborted-transactions.ts";
import {
  type CompletedTransaction,
  type ProducerSnapshotEntry,
  ProducerStateTable,
} from "./producer-state.ts";
import { rebuildProducerState, recordBatchHeader } from "./producer-state-rebuild.ts";
import { ProducerSnapshotFiles } from "./producer-state-snapshot-files.ts";

export interface ProducerStateLogOptions {
  /** Where snapshot files are written; node:fs unless a test injects faults. */
  storageFs?: StorageFs;
  logLine?: (line: string) => void;
}

export class ProducerStateLog implements LogListener {
  private table = new ProducerStateTable();
  private aborted = new AbortedTransactionIndex();
  /** Transactions whose marker is stored but maybe not committed: unstable until the high watermark passes it. */
  private completing: CompletedTransaction[] = [];
  private readonly onCompleted = (completed: CompletedTransaction) => {
    this.completing.push(completed);
    const { producerId, firstOffset, lastOffset } = completed;
    if (completed.aborted) this.aborted.add({ producerId, firstOffset, lastOffset });
  };
  /** The table holds the producers of the log below this offset (unless stale). */
  private endOffset: number;
  private stale = true;
  /** Bumped by whatever may make an in-flight background snapshot wrong (truncation, restart, close). */
  private generation = 0;
  private backgroundWrites = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly files: ProducerSnapshotFiles;
  private readonly logLine: (line: string) => void;

  private constructor(
    private readonly log: PartitionLog,
    options: ProducerStateLogOptions,
  ) {
    this.logLine = options.logLine ?? ((line) => console.warn(line));
    this.files = new ProducerSnapshotFiles(options.storageFs ?? nodeStorageFs, log.dir, this.logLine);
    this.endOffset = log.logStartOffset;
  }

  /** Loads the table from the log's snapshots and batches, then follows the log's changes. */
  static open(log: PartitionLog, options: ProducerStateLogOptions = {}): ProducerStateLog {
    const state = new ProducerStateLog(log, options);
    // Above the end: a crash lost the tail they describe, or came between a truncation and their deletion.
    state.files.deleteAbove(log.logEndOffset);
    state.refresh();
    log.setListener(state);
    return state;
  }

  /** An independent copy of the table as of the log end. */
  copyTable(): ProducerStateTable {
    this.refresh();
    return this.table.copy();
  }

  /**
   * The producers as a replica whose log begins at `offset` needs them (a follower installing a snapshot): this
   * table less every batch at or past `offset`. Not the table at `offset` exactly — a producer whose last five
   * batches all lie past it is left out — but the same once that replica has replicated the log from `offset`
   * to where this one ends, since those batches are recorded there in order; and only batches below the log
   * start, all committed, are given, never ones a new leader could cut.
   */
  entriesBelow(offset: number): ProducerSnapshotEntry[] {
    const table = this.copyTable();
    table.truncateFrom(offset);
    return table.toSnapshot();
  }

  /**
   * The log was just begun again at `offset` by a snapshot: its producer state becomes this table, written as
   * the snapshot file at `offset` before this returns (a reopen loads it and replays what follows).
   */
  install(offset: number, entries: readonly ProducerSnapshotEntry[]): void {
    assert(
      this.log.logStartOffset === offset && this.log.logEndOffset === offset,
      `producer state installed at ${offset} over a log at [${this.log.logStartOffset}, ${this.log.logEndOffset})`,
    );
    this.generation += 1;
    this.files.deleteAll();
    this.files.write(offset, entries);
    this.table = ProducerStateTable.fromSnapshot(entries);
    // A snapshot carries no aborted transactions: those below the new log start have no records left to hide.
    this.aborted = new AbortedTransactionIndex();
    this.completing = [];
    this.endOffset = offset;
    this.stale = false;
  }

  /**
   * The first offset a read_committed consumer may not see yet, given the high watermark: the first offset of
   * the oldest transaction still open, or ended by a marker at or past the high watermark; null when none.
   */
  firstUnstableOffset(highWatermark: number): number | null {
    this.refresh();
    // Every fetch asks: nothing is allocated when no transaction is completing.
    if (this.completing.length > 0) {
      this.completing = this.completing.filter((completed) => completed.lastOffset >= highWatermark);
    }
    let first = this.table.firstOngoingOffset();
    for (const completed of this.completing) {
      if (first === null || completed.firstOffset < first) first = completed.firstOffset;
    }
    return first;
  }

  /** The aborted transactions a read of [fromOffset, upToOffset) overlaps. */
  abortedTransactions(fromOffset: number, upToOffset: number): AbortedTransaction[] {
    this.refresh();
    return this.aborted.overlapping(fromOffset, upToOffset);
  }

  /** The producers as the log holds them. */
  activeProducers(): ProducerSnapshotEntry[] {
    this.refresh();
    return this.table.toSnapshot();
  }

  /** Open transactions as the log holds them: producer id → first offset. */
  ongoingTransactions(): ReadonlyMap<bigint, number> {
    this.refresh();
    return this.table.ongoingTransactions();
  }

  get snapshotOffsets(): readonly number[] {
    return this.files.snapshotOffsets;
  }

  /** Resolves once every background snapshot begun so far has landed, been dropped or failed (logged). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  onAppend(bytes: Uint8Array): void {
    if (this.stale) return;
    for (const { position, size } of scanBatches(bytes, { verifyCrc: false }).spans) {
      const baseOffset = readInt64AsNumber(bytes, position + batchOffsets.baseOffset);
      assert(
        baseOffset === this.endOffset,
        `producer state at ${this.endOffset} saw a batch at ${baseOffset}`,
      );
      // Most batches are no idempotent producer's: only the offsets are read from them. The int64
      // producerId's sign is its high word's.
      if (readInt32(bytes, position + batchOffsets.producerId) >= 0) {
        const header = readBatchHeader(bytes, position);
        const batch = bytes.subarray(position, position + size);
        recordBatchHeader(this.table, header, batch, this.onCompleted);
      }
      this.endOffset = baseOffset + readInt32(bytes, position + batchOffsets.lastOffsetDelta) + 1;
    }
  }

  onRoll(baseOffset: number): void {
    this.refresh();
    assert(this.endOffset === baseOffset, `producer state at ${this.endOffset}, roll at ${baseOffset}`);
    this.writeSnapshotInBackground();
  }

  onTruncate(endOffset: number): void {
    this.generation += 1;
    if (endOffset < this.endOffset) this.stale = true;
    try {
      this.files.deleteAbove(endOffset);
    } catch (error) {
      // Called while the log undoes a failed write: throwing would leave its appenders waiting forever.
      this.logLine(
        `${this.log.dir}: cannot delete producer snapshots above ${endOffset}: ${describeError(error)}`,
      );
    }
  }

  onRestart(offset: number): void {
    // What producers wrote below the new start is unknown here (Kafka's truncateFullyAndStartAt).
    this.generation += 1;
    this.files.deleteAll();
    this.table = new ProducerStateTable();
    this.aborted = new AbortedTransactionIndex();
    this.completing = [];
    this.endOffset = offset;
    this.stale = false;
  }

  onStartAdvance(logStartOffset: number): void {
    const latest = this.files.latestOffset;
    // A reopen replays from the log start at the earliest: a snapshot must sit at or above it, or the
    // batches between the latest one and the new start would be lost to the table.
    this.refresh();
    this.aborted.dropBelow(logStartOffset);
    if (latest === null || latest < logStartOffset) this.writeSnapshot();
    this.files.deleteBelow(logStartOffset);
  }

  onClose(endOffset: number): void {
    this.generation += 1;
    // Kafka snapshots at a clean shutdown too: the next open then loads it and replays nothing.
    if (this.stale || this.files.latestOffset === endOffset) return;
    assert(this.endOffset === endOffset, `producer state at ${this.endOffset}, log closed at ${endOffset}`);
    this.writeSnapshot();
  }

  /** Rebuilds a stale table: the latest snapshot at or below the log end, then the batches after it. */
  private refresh(): void {
    if (!this.stale) return;
    const end = this.log.logEndOffset;
    const start = this.log.logStartOffset;
    const loaded = this.files.loadLatest(end);
    this.table = loaded === null ? new ProducerStateTable() : ProducerStateTable.fromSnapshot(loaded.entries);
    this.aborted = AbortedTransactionIndex.of(loaded?.aborted ?? []);
    this.aborted.dropBelow(start);
    // Which of them the high watermark has passed is sorted out by the next firstUnstableOffset().
    this.completing = [];
    rebuildProducerState(this.log, this.table, Math.max(loaded?.offset ?? start, start), this.onCompleted);
    this.endOffset = end;
    this.stale = false;
  }

  /**
   * writeSnapshot() off the event loop. The table is encoded now; the file lands only if nothing that bumps
   * the generation came meanwhile, and only at or above the log start (a reopen replays from the start).
   */
  private writeSnapshotInBackground(): void {
    assert(!this.stale, "a snapshot of a table the log has outgrown");
    const offset = this.endOffset;
    const generation = this.generation;
    this.backgroundWrites += 1;
    const written = this.files
      .writeInBackground(offset, this.table.toSnapshot(), {
        aborted: this.aborted.copy().all(),
        tag: String(this.backgroundWrites),
        isCurrent: () => {
          const current = generation === this.generation && offset >= this.log.logStartOffset;
          // No truncation since it was taken (that bumps the generation): the log still holds what it describes.
          assert(!current || offset <= this.log.logEndOffset, `snapshot at ${offset} past the log end`);
          return current;
        },
      })
      .then(
        () => {},
        (error: unknown) => {
          if (generation !== this.generation) return; // closed or cut back meanwhile: it no longer matters
          this.logLine(
            `${this.log.dir}: cannot write the producer snapshot at ${offset}: ${describeError(error)}`,
          );
        },
      )
      .finally(() => this.inFlight.delete(written));
    this.inFlight.add(written);
  }

  /** A snapshot at the table's end; failing to write one only makes a later reopen replay more. */
  private writeSnapshot(): void {
    assert(!this.stale, "a snapshot of a table the log has outgrown");
    try {
      this.files.write(this.endOffset, this.table.toSnapshot(), this.aborted.all());
    } catch (error) {
      this.logLine(
        `${this.log.dir}: cannot write the producer snapshot at ${this.endOffset}: ${describeError(error)}`,
      );
    }
  }
}
