// Proves the log manager serves many partitions through a small descriptor pool (the bound holds while
// every partition appends and reads), that its tick drives interval flushes and checkpoints (a round spread
// over ticks) and runs on the injected scheduler, that a removed partition is gone for good, and that its
// retention round hands each log to the retention policy set.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ManualClock, manualTime } from "../../src/base/manual-clock.ts";
import { logConfigOf } from "../../src/storage/log-config.ts";
import { LogManager, type LogManagerOptions } from "../../src/storage/log-manager.ts";
import { makeBatch } from "./batch-fixture.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.remove());

test("150 partitions through a pool of 16 descriptors", async () => {
  const dataDir = join(temp.path, "data");
  const handlesMax = 16;
  const config = logConfigOf({ flushPolicy: "never", segmentBytes: 4096 });
  let manager = new LogManager({
    ...manualTime(),
    dataDir,
    openFileHandlesMax: handlesMax,
    configFor: () => config,
    log: () => {},
  });
  const partitions = 150;
  for (let round = 0; round < 3; round++) {
    for (let partition = 0; partition < partitions; partition++) {
      const log = manager.logOf("wide", partition);
      await log.append(makeBatch({ seed: partition * 10 + round, payloadBytes: 1500 }), { leaderEpoch: 0 });
      expect(manager.pool.openCount).toBeLessThanOrEqual(handlesMax);
    }
  }
  await manager.close();
  expect(manager.pool.openCount).toBe(0);
  manager = new LogManager({
    ...manualTime(),
    dataDir,
    openFileHandlesMax: handlesMax,
    configFor: () => config,
    log: () => {},
  });
  expect(manager.openAll()).toEqual([]);
  expect(manager.partitionCount).toBe(partitions);
  for (let partition = 0; partition < partitions; partition += 37) {
    const log = manager.logOf("wide", partition);
    expect(log.logEndOffset).toBe(3);
    expect(log.segmentCount).toBe(2);
    const read = log.read(2, { maxBytes: 1 });
    expect(read.bytes.subarray(61)).toEqual(
      makeBatch({ seed: partition * 10 + 2, payloadBytes: 1500 }).subarray(61),
    );
  }
  expect(manager.pool.openCount).toBeLessThanOrEqual(handlesMax);
  await manager.close();
}, 30_000);

/** A manager on `clock` whose logs flush every second ("interval" policy). */
function intervalFlushManager(clock: ManualClock, options: Partial<LogManagerOptions> = {}): LogManager {
  const config = logConfigOf({ flushPolicy: "interval", flushIntervalMs: 1000 });
  return new LogManager({
    dataDir: join(temp.path, "data"),
    clock,
    scheduler: clock,
    configFor: () => config,
    log: () => {},
    ...options,
  });
}

test("tick flushes logs with the interval policy once flush.ms has passed, and checkpoints", async () => {
  const clock = new ManualClock();
  const manager = intervalFlushManager(clock, { checkpointIntervalMs: 5000 });
  const log = manager.logOf("ticks", 0);
  await log.append(makeBatch(), { leaderEpoch: 0 });
  manager.tick();
  await Bun.sleep(5);
  expect(log.flushedOffset).toBe(0);
  clock.advance(1000);
  manager.tick();
  for (let i = 0; i < 100 && log.flushedOffset === 0; i++) await Bun.sleep(2);
  expect(log.flushedOffset).toBe(1);
  expect(log.recoveryPoint).toBe(0);
  clock.advance(4000);
  manager.tick();
  expect(log.recoveryPoint).toBe(1);
  await manager.close();
});

test("a checkpoint round is spread over ticks, a few partitions each, and the next waits for the interval", async () => {
  const clock = new ManualClock();
  const manager = new LogManager({
    dataDir: join(temp.path, "data"),
    clock,
    scheduler: clock,
    checkpointIntervalMs: 5000,
    checkpointsPerTickMax: 4,
    log: () => {},
  });
  const logs = Array.from({ length: 10 }, (_, partition) => manager.logOf("spread", partition));
  for (const log of logs) await log.append(makeBatch(), { leaderEpoch: 0 });
  const checkpointed = () => logs.filter((log) => log.recoveryPoint === 1).length;
  manager.tick();
  expect(checkpointed()).toBe(0);
  clock.advance(5000);
  manager.tick();
  expect(checkpointed()).toBe(4);
  manager.tick();
  expect(checkpointed()).toBe(8);
  manager.tick();
  expect(checkpointed()).toBe(10);
  // Round done: more appends wait for the next interval.
  for (const log of logs) await log.append(makeBatch(), { leaderEpoch: 0 });
  manager.tick();
  expect(logs.filter((log) => log.recoveryPoint === 2).length).toBe(0);
  clock.advance(5000);
  manager.tick();
  expect(logs.filter((log) => log.recoveryPoint === 2).length).toBe(4);
  await manager.close();
});

test("remove deletes a partition for good: reopened under the same name, it starts empty", async () => {
  const dataDir = join(temp.path, "data");
  const manager = new LogManager({ ...manualTime(), dataDir, log: () => {} });
  const log = manager.logOf("doomed", 0);
  await log.append(makeBatch({ seed: 1, payloadBytes: 100 }), { leaderEpoch: 0 });
  expect(log.logEndOffset).toBeGreaterThan(0);
  await manager.remove("doomed", 0);
  expect(existsSync(join(dataDir, "doomed-0"))).toBe(false);
  expect(manager.logOf("doomed", 0).logEndOffset).toBe(0);
  await manager.close();
});

test("start ticks on the injected scheduler every tickMs; close cancels the timer", async () => {
  const clock = new ManualClock();
  const manager = intervalFlushManager(clock);
  const log = manager.logOf("timed", 0);
  await log.append(makeBatch(), { leaderEpoch: 0 });
  manager.start(100);
  expect(clock.pendingTimers).toBe(1);
  clock.advance(900);
  expect(log.flushedOffset).toBe(0);
  // The tick at 1000 ms finds flush.ms passed and starts a sync: real I/O, waited for briefly.
  clock.advance(100);
  for (let i = 0; i < 100 && log.flushedOffset === 0; i++) await Bun.sleep(2);
  expect(log.flushedOffset).toBe(1);
  await manager.close();
  expect(clock.pendingTimers).toBe(0);
});

test("the retention round hands each log to the retention policy set, with its topic and partition", async () => {
  const clock = new ManualClock();
  const manager = new LogManager({
    clock,
    scheduler: clock,
    dataDir: join(temp.path, "data"),
    retentionCheckIntervalMs: 1000,
    // Everything would go by time: one batch per segment, retained for 1 ms.
    configFor: () => logConfigOf({ segmentBytes: 100, retentionMs: 1 }),
    log: () => {},
  });
  const log = manager.logOf("kept", 3);
  for (let index = 0; index < 3; index++) await log.append(makeBatch({ timestampMs: 0 }), { leaderEpoch: 0 });
  log.highWatermark = log.logEndOffset;
  const asked: string[] = [];
  manager.setRetention((topic, partition, asLog) => {
    expect(asLog).toBe(log);
    asked.push(`${topic}-${partition}`);
  });
  clock.advance(1000);
  manager.tick();
  // The policy decided, not the log: a replicated partition's followers wait for their leader's record.
  expect(asked).toEqual(["kept-3"]);
  expect(log.logStartOffset).toBe(0);
  expect(log.retentionLogStart()).toBe(2);
  await manager.close();
});
