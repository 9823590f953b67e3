// The time-and-scheduling port. Modules below src/app never read the time or start a timer themselves: they
// take a Clock and a Scheduler as required dependencies. src/app creates the real ones (app/system-time.ts);
// tests and benchmarks drive a ManualClock (manual-clock.ts), so waiting out a timeout costs no real time.
//
// Two clocks, named apart because they answer different questions:
// - monotonicMs: how long something took or when a deadline falls. It never goes back (NTP cannot move it),
//   but its origin is arbitrary, so its values mean nothing outside this process.
// - wallMs: what time it is, in milliseconds since the Unix epoch. It may jump. Use it for what is stored or
//   compared with what is stored: record timestamps, retention against them, commit timestamps.

export interface Clock {
  /** Milliseconds since an arbitrary origin; never decreases. For durations, deadlines and intervals. */
  monotonicMs(): number;
  /** Milliseconds since the Unix epoch, as the system says; may jump. For timestamps that are kept. */
  wallMs(): number;
}

/** Cancels what was scheduled; calling it again, or after the run, does nothing. */
export type Cancel = () => void;

export interface Scheduler {
  /** Runs `run` once, `delayMs` (on the monotonic clock; < 0 counts as 0) from now. */
  setTimeout(run: () => void, delayMs: number): Cancel;
  /** Runs `run` every `intervalMs` (> 0) until cancelled. Intervals are housekeeping: see system-time.ts. */
  setInterval(run: () => void, intervalMs: number): Cancel;
}
