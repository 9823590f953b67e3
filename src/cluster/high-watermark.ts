// The per-partition high watermark and everyone waiting on it. acks=-1 produces wait until the watermark passes
// their last offset; long-poll fetches wait until it passes their fetch offset. One notifier serves both, so a
// commit wakes exactly the waiters it satisfies: waiters sit in a min-heap by target, and an advance pops only
// those at or below the new watermark (O(k log n) for k woken, nothing for the rest).

import { assert } from "../base/assert.ts";

interface Waiter {
  target: number;
  resolve: (highWatermark: number) => void;
  reject: (error: Error) => void;
  settled: boolean;
  /** Arrival order, so waiters with equal targets wake first-come first-served. */
  sequence: number;
}

/** Thrown to waiters when the partition stops serving here (leadership lost, partition deleted, shutdown). */
export class WatermarkClosedError extends Error {
  override name = "WatermarkClosedError";
}

function before(a: Waiter, b: Waiter): boolean {
  return a.target < b.target || (a.target === b.target && a.sequence < b.sequence);
}

export class HighWatermark {
  private current: number;
  private readonly heap: Waiter[] = [];
  private nextSequence = 0;
  private closedWith: Error | null = null;

  constructor(initial: number) {
    assert(Number.isSafeInteger(initial) && initial >= 0, `bad initial high watermark ${initial}`);
    this.current = initial;
  }

  get value(): number {
    return this.current;
  }

  /** Waiters not yet woken or aborted (aborted ones may linger until they reach the top of the heap). */
  get waiterCount(): number {
    return this.heap.length;
  }

  /** Moves the watermark forward and wakes every waiter whose target it now reaches. Never moves back. */
  advance(to: number): void {
    assert(to >= this.current, `high watermark must not go backwards: ${this.current} -> ${to}`);
    this.current = to;
    while (this.heap.length > 0 && this.heap[0]!.target <= to) {
      const waiter = this.pop();
      if (waiter.settled) continue;
      waiter.settled = true;
      waiter.resolve(to);
    }
  }

  /**
   * Resolves with the watermark once it is at least `target`; at once if it already is. An abort (a fetch's
   * max_wait_ms, a closed connection) resolves with the watermark as it stands, since a timed-out fetch still
   * answers with what it has.
   */
  waitFor(target: number, signal?: AbortSignal): Promise<number> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.current >= target) return Promise.resolve(this.current);
    if (signal?.aborted) return Promise.resolve(this.current);
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { target, resolve, reject, settled: false, sequence: this.nextSequence++ };
      this.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          if (waiter.settled) return;
          waiter.settled = true;
          resolve(this.current);
        },
        { once: true },
      );
    });
  }

  /** Fails every waiter, now and later, with `error`: the partition no longer serves from this replica. */
  close(error: Error): void {
    this.closedWith = error;
    while (this.heap.length > 0) {
      const waiter = this.pop();
      if (waiter.settled) continue;
      waiter.settled = true;
      waiter.reject(error);
    }
  }

  private push(waiter: Waiter): void {
    const heap = this.heap;
    heap.push(waiter);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(waiter, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = waiter;
  }

  private pop(): Waiter {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
