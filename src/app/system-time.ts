// The real clocks and timers: created here, in the composition root, and handed down to everything below
// (base/clock.ts says which clock answers what).

import type { Clock, Scheduler } from "../base/clock.ts";

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};

export const systemScheduler: Scheduler = {
  setTimeout(run, delayMs) {
    const timer = setTimeout(run, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
  setInterval(run, intervalMs) {
    const timer = setInterval(run, intervalMs);
    // Housekeeping (ticks, sweeps, flushes) never keeps the process alive on its own: its listeners do, and a
    // process whose listeners have stopped should exit even if a stop() was missed somewhere.
    timer.unref();
    return () => clearInterval(timer);
  },
};
