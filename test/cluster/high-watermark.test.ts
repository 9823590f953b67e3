// Proves the high-watermark notifier wakes exactly the waiters an advance satisfies, in target order, that
// aborts answer with the current watermark, that close fails waiters, and that it never goes backwards.

import { expect, test } from "bun:test";
import { HighWatermark, WatermarkClosedError } from "../../src/cluster/high-watermark.ts";

test("a target already reached resolves at once", async () => {
  const hw = new HighWatermark(10);
  expect(await hw.waitFor(10)).toBe(10);
  expect(await hw.waitFor(3)).toBe(10);
});

test("an advance wakes exactly the waiters at or below it, lowest target first", async () => {
  const hw = new HighWatermark(0);
  const woken: number[] = [];
  const targets = [50, 5, 30, 5, 100, 1];
  const waits = targets.map((target) => hw.waitFor(target).then(() => woken.push(target)));
  hw.advance(30);
  await Bun.sleep(0);
  expect(woken).toEqual([1, 5, 5, 30]);
  expect(hw.waiterCount).toBe(2);
  hw.advance(100);
  await Promise.all(waits);
  expect(woken).toEqual([1, 5, 5, 30, 50, 100]);
  expect(hw.waiterCount).toBe(0);
});

test("many random waiters all wake, none early", async () => {
  const hw = new HighWatermark(0);
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const results: Array<{ target: number; wokeAt: number }> = [];
  const waits = Array.from({ length: 2000 }, () => {
    const target = Math.floor(random() * 1000) + 1;
    return hw.waitFor(target).then((wokeAt) => results.push({ target, wokeAt }));
  });
  for (let to = 0; to <= 1000; to += 37) hw.advance(to);
  hw.advance(1000);
  await Promise.all(waits);
  expect(results.length).toBe(2000);
  for (const { target, wokeAt } of results) expect(wokeAt).toBeGreaterThanOrEqual(target);
});

test("an abort answers with the watermark as it stands", async () => {
  const hw = new HighWatermark(4);
  const controller = new AbortController();
  const wait = hw.waitFor(9, controller.signal);
  hw.advance(6);
  controller.abort();
  expect(await wait).toBe(6);
  expect(await hw.waitFor(9, AbortSignal.abort())).toBe(6);
});

test("close fails current and later waiters", async () => {
  const hw = new HighWatermark(0);
  const wait = hw.waitFor(5);
  hw.close(new WatermarkClosedError("leadership lost"));
  await expect(wait).rejects.toThrow("leadership lost");
  await expect(hw.waitFor(1)).rejects.toBeInstanceOf(WatermarkClosedError);
});

test("the watermark never goes backwards", () => {
  const hw = new HighWatermark(5);
  expect(() => hw.advance(4)).toThrow("must not go backwards");
});
