// Proves the log agrees with a simple in-memory model under random appends, truncations, rolls, deletes,
// retention, restarts, reopenings, reads and appends that hit a full disk (seeded PRNG, bounded steps; a
// failing seed reproduces).

import { afterEach, beforeEach, expect, test } from "bun:test";
import { FaultInjectingFs } from "../../src/storage/fault-injecting-fs.ts";
import type { PartitionLog } from "../../src/storage/partition-log.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { concatBytes, makeBatch, prng, randomInt } from "./batch-fixture.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";

interface ModelBatch {
  base: number;
  last: number;
  epoch: number;
  bytes: Uint8Array;
}

interface Model {
  batches: ModelBatch[];
  logStart: number;
  logEnd: number;
  epoch: number;
}

const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const stepsPerSeed = 300;

let temp: ReturnType<typeof makeTempDir>;
let faults: FaultInjectingFs;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.remove());

function holdingIndex(model: Model, offset: number): number {
  return model.batches.findIndex((batch) => batch.last >= offset);
}

function checkRead(log: PartitionLog, model: Model, random: () => number): void {
  const offset = randomInt(random, model.logStart, model.logEnd);
  const maxBytes = randomInt(random, 1, 3000);
  const read = log.read(offset, { maxBytes });
  if (offset === model.logEnd) {
    expect(read.bytes.length).toBe(0);
    return;
  }
  const first = holdingIndex(model, offset);
  expect(first).toBeGreaterThanOrEqual(0);
  let end = first;
  let total = 0;
  const parts: Uint8Array[] = [];
  while (end < model.batches.length && total < read.bytes.length) {
    parts.push(model.batches[end]!.bytes);
    total += model.batches[end]!.bytes.length;
    end++;
  }
  expect(read.bytes).toEqual(concatBytes(parts));
  expect(parts.length === 1 || total <= maxBytes).toBe(true);
  expect(read.nextOffset).toBe(model.batches[end - 1]!.last + 1);
}

function restartModel(model: Model, offset: number): void {
  model.batches = [];
  model.logStart = offset;
  model.logEnd = offset;
}

function truncateModel(model: Model, offset: number): void {
  const index = holdingIndex(model, offset);
  const boundary = model.batches[index]!.base;
  if (offset <= model.logStart || boundary <= model.logStart) {
    restartModel(model, Math.min(offset, model.logStart));
    return;
  }
  model.batches = model.batches.slice(0, index);
  model.logEnd = boundary;
}

/**
 * Appends of one turn that run out of disk part way. Those written before the disk filled (a roll in the
 * turn writes what came before it) succeed, in order; every later one fails and leaves no trace.
 */
async function failingAppends(log: PartitionLog, model: Model, random: () => number): Promise<void> {
  const batches = Array.from({ length: randomInt(random, 1, 3) }, () =>
    makeBatch({
      recordCount: randomInt(random, 1, 5),
      payloadBytes: randomInt(random, 0, 600),
      seed: random(),
    }),
  );
  const total = batches.reduce((sum, batch) => sum + batch.length, 0);
  faults.writeBytesLeft = randomInt(random, 0, total - 1);
  const epoch = model.epoch + (random() % 2);
  const outcomes = await Promise.allSettled(
    batches.map((batch) => log.append(batch, { leaderEpoch: epoch })),
  );
  faults.writeBytesLeft = null;
  const succeeded = outcomes.findIndex((outcome) => outcome.status === "rejected");
  expect(succeeded).toBeGreaterThanOrEqual(0);
  expect(outcomes.slice(succeeded).every((outcome) => outcome.status === "rejected")).toBe(true);
  for (const [i, outcome] of outcomes.slice(0, succeeded).entries()) {
    if (outcome.status !== "fulfilled") throw new Error("unreachable");
    expect(outcome.value.baseOffset).toBe(model.logEnd);
    model.batches.push({
      base: model.logEnd,
      last: outcome.value.lastOffset,
      epoch,
      bytes: batches[i]!.slice(),
    });
    model.logEnd = outcome.value.lastOffset + 1;
    model.epoch = epoch;
  }
  expect(log.epochs.latest()?.epoch ?? model.epoch).toBeLessThanOrEqual(model.epoch);
}

async function step(
  harness: Harness,
  log: PartitionLog,
  model: Model,
  random: () => number,
): Promise<PartitionLog> {
  const dice = random() % 100;
  if (dice < 45) {
    if (random() % 10 === 0) model.epoch += 1;
    const batches = Array.from({ length: randomInt(random, 1, 3) }, () =>
      makeBatch({
        recordCount: randomInt(random, 1, 5),
        payloadBytes: randomInt(random, 0, 600),
        seed: random(),
      }),
    );
    const bytes = concatBytes(batches);
    const result = await log.append(bytes, { leaderEpoch: model.epoch });
    expect(result.baseOffset).toBe(model.logEnd);
    let at = 0;
    for (const batch of batches) {
      const count = new DataView(batch.buffer).getInt32(57);
      model.batches.push({
        base: model.logEnd,
        last: model.logEnd + count - 1,
        epoch: model.epoch,
        bytes: bytes.slice(at, at + batch.length),
      });
      model.logEnd += count;
      at += batch.length;
    }
    expect(result.lastOffset).toBe(model.logEnd - 1);
  } else if (dice < 70) {
    checkRead(log, model, random);
  } else if (dice < 75 && model.logEnd > model.logStart) {
    const offset = randomInt(random, model.logStart + 1, model.logEnd);
    if (offset < model.logEnd) {
      truncateModel(model, offset);
      log.truncate(offset);
    }
  } else if (dice < 80) {
    log.roll();
  } else if (dice < 84) {
    log.highWatermark = model.logEnd;
    const offset = randomInt(random, model.logStart, model.logEnd);
    expect(log.deleteRecords(offset)).toBe(Math.max(offset, model.logStart));
    model.logStart = Math.max(offset, model.logStart);
    model.batches = model.batches.filter((batch) => batch.last >= model.logStart);
  } else if (dice < 87) {
    log.highWatermark = model.logEnd;
    log.reconfigure({ ...log.config, retentionBytes: randomInt(random, 0, 8000) });
    log.applyRetention();
    log.reconfigure({ ...log.config, retentionBytes: -1 });
    expect(log.logStartOffset).toBeGreaterThanOrEqual(model.logStart);
    model.logStart = log.logStartOffset;
    model.batches = model.batches.filter((batch) => batch.last >= model.logStart);
  } else if (dice < 88) {
    const offset = model.logEnd + randomInt(random, 0, 10);
    log.restartAt(offset);
    restartModel(model, offset);
  } else if (dice < 91) {
    await log.close();
    log = harness.open(log.config);
  } else if (dice < 96) {
    await failingAppends(log, model, random);
  } else {
    if (model.logEnd > model.logStart) {
      const offset = randomInt(random, model.logStart, model.logEnd - 1);
      const holding = model.batches[holdingIndex(model, offset)]!;
      expect(log.epochs.epochAt(offset)).toBe(holding.epoch);
    }
  }
  expect([log.logStartOffset, log.logEndOffset]).toEqual([model.logStart, model.logEnd]);
  return log;
}

for (const seed of seeds) {
  test(`seed ${seed}: the log matches the model`, async () => {
    const random = prng(seed);
    faults = new FaultInjectingFs(nodeStorageFs);
    const harness = makeHarness(temp.path, { handlesMax: 8, storageFs: faults });
    let log = harness.open({
      segmentBytes: randomInt(random, 1500, 6000),
      indexIntervalBytes: randomInt(random, 50, 1500),
      retentionMs: -1,
      flushPolicy: seed % 2 === 0 ? "every" : "never",
    });
    const model: Model = { batches: [], logStart: 0, logEnd: 0, epoch: 0 };
    for (let i = 0; i < stepsPerSeed; i++) {
      log = await step(harness, log, model, random);
    }
    await log.close();
    log = harness.open(log.config);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([model.logStart, model.logEnd]);
    for (let i = 0; i < 30; i++) checkRead(log, model, random);
    await log.close();
    expect(harness.pool.openCount).toBeLessThanOrEqual(8);
  });
}
