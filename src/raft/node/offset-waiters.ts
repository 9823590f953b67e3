// Promises waiting for an offset to pass a mark (committed, or persisted locally), kept sorted by offset so
// settling costs O(settled) and dropping the uncommitted tail costs O(dropped), however many are in flight.
import { assert } from "../../base/assert.ts";

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  /** Detaches the abort listener once the waiter is settled. */
  detach: (() => void) | undefined;
}

export class OffsetWaiters {
  /** Sorted by offset; entries before `head` are settled and wait to be compacted away. */
  private items: Waiter[] = [];
  private head = 0;

  /** Waiters not yet settled (aborted ones count until they are passed). */
  get size(): number {
    return this.items.length - this.head;
  }

  /** A promise that resolves once settleThrough(≥ offset) runs, or rejects on reject*() or abort. */
  add(offset: number, signal?: AbortSignal): Promise<void> {
    assert(Number.isSafeInteger(offset) && offset >= 0, `bad offset ${offset}`);
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiter: Waiter = { offset, resolve, reject, settled: false, detach: undefined };
    if (signal !== undefined) {
      const onAbort = (): void => settle(waiter, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      waiter.detach = () => signal.removeEventListener("abort", onAbort);
    }
    this.insert(waiter);
    return promise;
  }

  /** Resolves every waiter whose offset ≤ offset. */
  settleThrough(offset: number): void {
    while (this.head < this.items.length && this.items[this.head]!.offset <= offset) {
      settle(this.items[this.head]!, undefined);
      this.head += 1;
    }
    this.compact();
  }

  /** Rejects every waiter whose offset > offset (an uncommitted tail that will not be written). */
  rejectAbove(offset: number, error: Error): void {
    while (this.items.length > this.head && this.items[this.items.length - 1]!.offset > offset) {
      settle(this.items.pop()!, error);
    }
    this.compact();
  }

  rejectAll(error: Error): void {
    for (let index = this.head; index < this.items.length; index++) settle(this.items[index]!, error);
    this.items = [];
    this.head = 0;
  }

  private insert(waiter: Waiter): void {
    const last = this.items[this.items.length - 1];
    // Produces arrive in offset order, so this is almost always a push.
    if (last === undefined || this.items.length === this.head || last.offset <= waiter.offset) {
      this.items.push(waiter);
      return;
    }
    let low = this.head;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.items[middle]!.offset <= waiter.offset) low = middle + 1;
      else high = middle;
    }
    this.items.splice(low, 0, waiter);
  }

  /** Drops the settled prefix once it is at least half of the array (amortized O(1) per waiter). */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** error undefined resolves. Settling twice (abort after resolve) is a no-op. */
function settle(waiter: Waiter, error: unknown): void {
  if (waiter.settled) return;
  waiter.settled = true;
  waiter.detach?.();
  if (error === undefined) waiter.resolve();
  else waiter.reject(error);
}
