// Proves the ManualClock that tests and benchmarks drive: timers fire in due order (ties in the order set),
// each seeing the clock at its own due time; intervals repeat until cancelled; cancels are idempotent; the wall
// clock moves with the monotonic one unless set on its own.

import { expect, test } from "bun:test";
import { ManualClock, manualWallMsStart } from "../../src/base/manual-clock.ts";

test("timers fire in due order, each at its due time, and only when advanced that far", () => {
  const clock = new ManualClock();
  const fired: Array<[string, number]> = [];
  const at = (name: string) => () => fired.push([name, clock.monotonicMs()]);
  clock.setTimeout(at("c"), 30);
  clock.setTimeout(at("a"), 10);
  clock.setTimeout(at("b"), 10);
  clock.setTimeout(at("now"), -5);
  clock.advance(9);
  expect(fired).toEqual([["now", 0]]);
  clock.advance(21);
  expect(fired).toEqual([
    ["now", 0],
    ["a", 10],
    ["b", 10],
    ["c", 30],
  ]);
  expect(clock.monotonicMs()).toBe(30);
  expect(clock.pendingTimers).toBe(0);
});

test("a timer set by a firing timer fires in the same advance if it falls due within it", () => {
  const clock = new ManualClock();
  const fired: number[] = [];
  clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.monotonicMs()), 5), 5);
  clock.advance(10);
  expect(fired).toEqual([10]);
});

test("an interval repeats until cancelled; cancelling twice or after firing does nothing", () => {
  const clock = new ManualClock();
  const ticks: number[] = [];
  const cancel = clock.setInterval(() => ticks.push(clock.monotonicMs()), 25);
  clock.advance(100);
  expect(ticks).toEqual([25, 50, 75, 100]);
  cancel();
  cancel();
  clock.advance(100);
  expect(ticks).toHaveLength(4);
  const cancelFired = clock.setTimeout(() => {}, 1);
  clock.advance(1);
  cancelFired();
  expect(clock.pendingTimers).toBe(0);
});

test("the wall clock moves with the monotonic one, and can jump on its own", () => {
  const clock = new ManualClock();
  expect(clock.wallMs()).toBe(manualWallMsStart);
  clock.advance(1_000);
  expect(clock.wallMs()).toBe(manualWallMsStart + 1_000);
  clock.setWallMs(5);
  expect(clock.monotonicMs()).toBe(1_000);
  clock.advance(10);
  expect([clock.monotonicMs(), clock.wallMs()]).toEqual([1_010, 15]);
});

test("a negative advance, a zero interval and a timer that re-arms forever are refused", () => {
  const clock = new ManualClock();
  expect(() => clock.advance(-1)).toThrow("advance by -1 ms");
  expect(() => clock.setInterval(() => {}, 0)).toThrow("interval of 0 ms");
  const rearm = () => void clock.setTimeout(rearm, 0);
  rearm();
  expect(() => clock.advance(0)).toThrow("timer runs in one advance");
});
