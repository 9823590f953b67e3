// Group commit: one fdatasync in flight per log; appends that arrive while it runs are written at once and
// share the next sync, so syncs per second stay flat while appends per second grow with concurrency.

import { assert } from "../base/assert.ts";

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface SyncStart {
  /** Every offset below this was written before the sync began, so the sync covers it. */
  upTo: number;
  done: Promise<void>;
}

export class GroupCommit {
  /** Offsets below this are on disk (Raft's "persisted up to"). */
  flushedOffset: number;
  syncCount = 0;
  private waiters: Waiter[] = [];
  private syncing = false;
  private scheduled = false;
  /** Bumped when the log is cut back: a sync begun before then no longer says anything about its range. */
  private generation = 0;

  constructor(
    flushedOffset: number,
    private readonly startSync: () => SyncStart,
    private readonly onSyncFailure: (error: unknown) => Error,
  ) {
    this.flushedOffset = flushedOffset;
  }

  get pendingCount(): number {
    return this.waiters.length;
  }

  /** Resolves once every offset below `offset` is on disk. */
  waitFor(offset: number): Promise<void> {
    if (offset <= this.flushedOffset) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const last = this.waiters[this.waiters.length - 1];
    assert(last === undefined || last.offset <= offset, `waiter ${offset} after ${last?.offset}`);
    this.waiters.push({ offset, resolve, reject });
    this.schedule();
    return promise;
  }

  /**
   * Starts the next sync once the current microtasks have run rather than at once: a log writes a turn's
   * appends in one go and every appender then asks to wait in the microtasks that follow, so all of them share
   * the one sync. Not a whole event-loop turn later: under load that hop alone cost a tenth of a millisecond
   * at the median and milliseconds at the tail (bench/RESULTS.md), all of it added to every acknowledgement.
   */
  private schedule(): void {
    if (this.syncing || this.scheduled || this.waiters.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (!this.syncing && this.waiters.length > 0) this.run();
    });
  }

  /** A synchronous sync (at a roll or truncation) covered everything below `upTo`. */
  synced(upTo: number): void {
    this.advance(upTo);
  }

  /** The log was cut back to `endOffset` and synced there; waiters beyond it will never be flushed. */
  truncated(endOffset: number, reason: string): void {
    this.generation++;
    this.flushedOffset = endOffset;
    const dropped = this.waiters.filter((waiter) => waiter.offset > endOffset);
    this.waiters = this.waiters.filter((waiter) => waiter.offset <= endOffset);
    for (const waiter of dropped) waiter.reject(new Error(`append dropped before it was flushed: ${reason}`));
  }

  /** Appends past `endOffset` were undone before reaching the disk (a failed write): reject their waiters. */
  dropAbove(endOffset: number, error: Error): void {
    const dropped = this.waiters.filter((waiter) => waiter.offset > endOffset);
    this.waiters = this.waiters.filter((waiter) => waiter.offset <= endOffset);
    for (const waiter of dropped) waiter.reject(error);
  }

  failAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private run(): void {
    this.syncing = true;
    const generation = this.generation;
    let started: SyncStart;
    try {
      started = this.startSync();
    } catch (error) {
      this.syncing = false;
      this.failAll(this.onSyncFailure(error));
      return;
    }
    started.done.then(
      () => {
        this.syncCount++;
        this.syncing = false;
        if (generation === this.generation) this.advance(started.upTo);
        this.schedule();
      },
      (error: unknown) => {
        this.syncing = false;
        this.failAll(this.onSyncFailure(error));
      },
    );
  }

  private advance(upTo: number): void {
    if (upTo > this.flushedOffset) this.flushedOffset = upTo;
    let covered = 0;
    while (covered < this.waiters.length && this.waiters[covered]!.offset <= this.flushedOffset) covered++;
    if (covered === 0) return;
    const done = this.waiters.splice(0, covered);
    for (const waiter of done) waiter.resolve();
  }
}
