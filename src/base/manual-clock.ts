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

export class ManualClock implements Clock, Scheduler {
  #monotonicMs: number;
  #wallMs: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

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
      else timer.dueMs += timer.intervalMs;
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
    this.#timers.set(id, { id, dueMs: this.#monotonicMs + delayMs, intervalMs, run });
    return () => {
      this.#timers.delete(id);
    };
  }

  /** The earliest timer due at or before `limitMs`; the first set among equals (ids increase). */
  #nextDue(limitMs: number): Timer | null {
    let next: Timer | null = null;
    for (const timer of this.#timers.values()) {
      if (timer.dueMs > limitMs) continue;
      if (next === null || timer.dueMs < next.dueMs || (timer.dueMs === next.dueMs && timer.id < next.id))
        next = timer;
    }
    return next;
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
