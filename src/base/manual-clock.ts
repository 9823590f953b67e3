// A Clock and Scheduler that move only when told (advance), for tests, benchmarks and simulations: a timeout of
// a minute is waited out in microseconds, and every run is reproducible. Timers fire in due order (ties in the
// order they were set), each seeing the clock at its own due time, as real ones would.

import { assert } from "./assert.ts";
import type { Cancel, Clock, Scheduler } from "./clock.ts";

/** Where the wall clock starts unless told otherwise: 2023-11-14, a plausible "now" for record timestamps. */
export const manualWallMsStart = 1_700_000_000_000;

/** Timer runs one advance() may make before it gives up: a timer that re-arms at 0 ms would never end. */
const runsPerAdvanceMax = 1_000_000;

interface Timer {
  readonly id: number;
  dueMs: number;
  readonly intervalMs: number | null;
  readonly run: () => void;
}

/** A timer's place in the queue: due time, then the order timers were set in (ids increase). */
interface QueueEntry {
  readonly dueMs: number;
  readonly id: number;
}

function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.id < b.id);
}

export class ManualClock implements Clock, Scheduler {
  #monotonicMs: number;
  #wallMs: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();
  /**
   * A binary min-heap of due times: simulations keep thousands of timers, and a scan per fired timer made the
   * clock their largest cost. Entries of cancelled or re-armed timers stay until they surface, then are
   * skipped (an entry is live when its timer exists and is still due at the entry's time).
   */
  readonly #queue: QueueEntry[] = [];

  constructor(start: { monotonicMs?: number; wallMs?: number } = {}) {
    this.#monotonicMs = start.monotonicMs ?? 0;
    this.#wallMs = start.wallMs ?? manualWallMsStart;
  }

  monotonicMs(): number {
    return this.#monotonicMs;
  }

  wallMs(): number {
    return this.#wallMs;
  }

  setTimeout(run: () => void, delayMs: number): Cancel {
    return this.#add(run, Math.max(0, delayMs), null);
  }

  setInterval(run: () => void, intervalMs: number): Cancel {
    assert(intervalMs > 0, `interval of ${intervalMs} ms`);
    return this.#add(run, intervalMs, intervalMs);
  }

  /** Timers set and not yet fired or cancelled (an interval counts until cancelled). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves both clocks forward by `ms` (≥ 0), firing every timer that falls due on the way, in due order; a
   * timer set by one that fires is fired too if it falls due within the same advance.
   */
  advance(ms: number): void {
    assert(ms >= 0, `advance by ${ms} ms`);
    const targetMs = this.#monotonicMs + ms;
    for (let runs = 0; ; runs++) {
      const timer = this.#nextDue(targetMs);
      if (timer === null) break;
      assert(runs < runsPerAdvanceMax, `more than ${runsPerAdvanceMax} timer runs in one advance`);
      this.#moveTo(timer.dueMs);
      if (timer.intervalMs === null) this.#timers.delete(timer.id);
      else {
        timer.dueMs += timer.intervalMs;
        this.#push({ dueMs: timer.dueMs, id: timer.id });
      }
      timer.run();
    }
    this.#moveTo(targetMs);
  }

  /** Sets the wall clock alone, as an operator or NTP might: the monotonic clock and timers do not move. */
  setWallMs(wallMs: number): void {
    this.#wallMs = wallMs;
  }

  #add(run: () => void, delayMs: number, intervalMs: number | null): Cancel {
    const id = this.#nextId++;
    const dueMs = this.#monotonicMs + delayMs;
    this.#timers.set(id, { id, dueMs, intervalMs, run });
    this.#push({ dueMs, id });
    return () => {
      this.#timers.delete(id);
    };
  }

  /** The earliest timer due at or before `limitMs` (taken off the queue); the first set among equals. */
  #nextDue(limitMs: number): Timer | null {
    const queue = this.#queue;
    while (queue.length > 0) {
      const head = queue[0]!;
      const timer = this.#timers.get(head.id);
      if (timer !== undefined && timer.dueMs === head.dueMs) {
        if (head.dueMs > limitMs) return null;
        this.#pop();
        return timer;
      }
      this.#pop();
    }
    return null;
  }

  #push(entry: QueueEntry): void {
    const queue = this.#queue;
    queue.push(entry);
    let index = queue.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(queue[index]!, queue[parent]!)) break;
      [queue[index], queue[parent]] = [queue[parent]!, queue[index]!];
      index = parent;
    }
  }

  #pop(): void {
    const queue = this.#queue;
    const last = queue.pop()!;
    if (queue.length === 0) return;
    queue[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < queue.length && before(queue[left]!, queue[smallest]!)) smallest = left;
      if (right < queue.length && before(queue[right]!, queue[smallest]!)) smallest = right;
      if (smallest === index) return;
      [queue[index], queue[smallest]] = [queue[smallest]!, queue[index]!];
      index = smallest;
    }
  }

  #moveTo(monotonicMs: number): void {
    assert(monotonicMs >= this.#monotonicMs, "the monotonic clock never goes back");
    this.#wallMs += monotonicMs - this.#monotonicMs;
    this.#monotonicMs = monotonicMs;
  }
}

/** A fresh ManualClock as both halves of a `{ clock, scheduler }` dependency. */
export function manualTime(start: { monotonicMs?: number; wallMs?: number } = {}): {
  clock: ManualClock;
  scheduler: ManualClock;
} {
  const clock = new ManualClock(start);
  return { clock, scheduler: clock };
}
