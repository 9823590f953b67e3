// Proves the log cleaner on real partition logs: after a pass every key keeps exactly its latest record at its
// original offset, batches keep their offsets (a fully cleaned batch stays as an empty header), the active
// segment and anything at or above the high watermark are untouched, tombstones go only after
// delete.retention.ms, compressed batches stay in their codec, and a crash at any step of a swap reopens to a
// log holding every key's latest record.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { systemScheduler } from "../../src/app/system-time.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import {
  CompressionCodec,
  compressionOf,
  readBatchHeader,
  scanBatches,
} from "../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../src/protocol/records/batch-records.ts";
import { LogCleaner } from "../../src/storage/log-cleaner.ts";
import { type CompactionConfig, compactionConfigDefault } from "../../src/storage/log-config.ts";
import type { PartitionLog } from "../../src/storage/partition-log.ts";
import type { SwapStep } from "../../src/storage/segment-swap.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";

const text = new TextEncoder();
const decoder = new TextDecoder();
const compaction: CompactionConfig = {
  ...compactionConfigDefault,
  minCleanableDirtyRatio: 0,
  deleteRetentionMs: 60_000,
};

let root: ReturnType<typeof makeTempDir>;
let harness: Harness;

beforeEach(() => {
  root = makeTempDir("log-cleaner");
  harness = makeHarness(root.path);
});

afterEach(() => root.remove());

function cleanerOver(log: PartitionLog, swapHook?: (step: SwapStep) => void) {
  return new LogCleaner({
    logs: () => [log],
    clock: harness.clock,
    scheduler: systemScheduler,
    budget: { ioBytesPerSecondMax: 1e12, sliceBytesMax: 4096 },
    logLine: (line) => harness.lines.push(line),
    swapHook,
  });
}

interface Update {
  key: string;
  value: string | null;
}

/** Appends each group of updates as one batch, rolling every `batchesPerSegment` batches; returns the model. */
async function write(
  log: PartitionLog,
  groups: Update[][],
  options: { batchesPerSegment: number; compression?: CompressionCodec },
) {
  const offsets: number[] = [];
  for (const [index, group] of groups.entries()) {
    const batch = buildBatch(
      group.map((update) => ({
        key: text.encode(update.key),
        value: update.value === null ? null : text.encode(update.value),
        timestamp: harness.clock.wallMs(),
      })),
      { compression: options.compression ?? CompressionCodec.None },
    );
    const appended = await log.append(batch, { leaderEpoch: 0 });
    offsets.push(appended.baseOffset);
    if ((index + 1) % options.batchesPerSegment === 0) log.roll();
  }
  log.highWatermark = log.logEndOffset;
  return offsets;
}

/** Every batch (offsets) and record (offset, key, value) from the log start to the end. */
function readAll(log: PartitionLog) {
  const batches: Array<{ baseOffset: number; lastOffset: number; recordCount: number; codec: number }> = [];
  const records: Array<{ offset: number; key: string; value: string | null; timestampMs: number }> = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: 1 << 20 });
    const { spans } = scanBatches(read.bytes, { verifyCrc: true });
    for (const span of spans) {
      const bytes = read.bytes.subarray(span.position, span.position + span.size);
      const header = readBatchHeader(bytes);
      const base = Number(header.baseOffset);
      batches.push({
        baseOffset: base,
        lastOffset: base + header.lastOffsetDelta,
        recordCount: header.recordCount,
        codec: compressionOf(header.attributes),
      });
      for (const record of readAllRecords(bytes, { decompressedBytesMax: 1 << 24 })) {
        records.push({
          offset: base + record.offsetDelta,
          key: decoder.decode(record.key!),
          value: record.value === null ? null : decoder.decode(record.value),
          timestampMs: record.timestamp,
        });
      }
    }
    offset = read.nextOffset;
  }
  return { batches, records };
}

/** 40 batches of 5 updates over 10 keys, with key-3 deleted halfway: the expected latest records too. */
function updates(): { groups: Update[][]; latest: Map<string, { offset: number; value: string | null }> } {
  const groups: Update[][] = [];
  const latest = new Map<string, { offset: number; value: string | null }>();
  let offset = 0;
  for (let batch = 0; batch < 40; batch++) {
    const group: Update[] = [];
    for (let i = 0; i < 5; i++) {
      const key = `key-${(batch * 5 + i) % 10}`;
      const value = key === "key-3" && batch >= 20 ? null : `v${batch}.${i}`;
      group.push({ key, value });
      latest.set(key, { offset, value });
      offset += 1;
    }
    groups.push(group);
  }
  return { groups, latest };
}

function latestByKey(records: ReturnType<typeof readAll>["records"]) {
  const seen = new Map<string, { offset: number; value: string | null }>();
  for (const record of records) seen.set(record.key, { offset: record.offset, value: record.value });
  return seen;
}

describe("a cleaning pass", () => {
  test("keeps the latest record of every key at its offset, and every batch's offsets", async () => {
    // Index entries every few batches, so the cleaned copies' indexes are exercised.
    const log = harness.open({ compaction, indexIntervalBytes: 200 });
    const { groups, latest } = updates();
    await write(log, groups, { batchesPerSegment: 4 });
    const before = readAll(log);
    const pass = await cleanerOver(log).cleanFilthiest();
    expect(pass).toMatchObject({ decision: { reason: "dirty-ratio", cleanableEndOffset: 200 } });
    const after = readAll(log);
    // Same batches, same offset ranges; records removed inside them.
    expect(after.batches.map(({ baseOffset, lastOffset }) => [baseOffset, lastOffset])).toEqual(
      before.batches.map(({ baseOffset, lastOffset }) => [baseOffset, lastOffset]),
    );
    expect(after.records.length).toBeLessThan(before.records.length);
    expect(latestByKey(after.records)).toEqual(latest);
    // The active segment (the last 4 batches written after the last roll... here the empty one) and nothing
    // above: every record in the cleaned part is the latest of its key.
    for (const record of after.records) expect(latest.get(record.key)!.offset).toBe(record.offset);
    // The tombstone of key-3 stays: it is younger than delete.retention.ms.
    expect(
      after.records
        .filter((record) => record.key === "key-3")
        .map(({ offset, value }) => ({ offset, value })),
    ).toEqual([{ offset: latest.get("key-3")!.offset, value: null }]);
    expect(after.batches.some((batch) => batch.recordCount === 0)).toBe(true);
    // The indexes built for the cleaned copies find every batch.
    for (const batch of after.batches) {
      const found = log.read(batch.lastOffset, { maxBytes: 1 });
      expect(Number(readBatchHeader(found.bytes).baseOffset)).toBe(batch.baseOffset);
    }
    // A read from the start crosses segments the cleaner emptied, up to batches with records (kafkajs
    // advances only past records it sees).
    const first = log.read(0, { maxBytes: 1 << 20 });
    const { spans } = scanBatches(first.bytes, { verifyCrc: true });
    expect(spans.some((span) => readBatchHeader(first.bytes, span.position).recordCount > 0)).toBe(true);
    // Nothing more to do until more is written.
    expect(await cleanerOver(log).cleanFilthiest()).toBeNull();
    await log.close();
    // A reopened log trusts those indexes (no rebuild) and serves the same.
    const again = makeHarness(root.path);
    const reopened = again.open({ compaction, indexIntervalBytes: 200 });
    expect(again.lines.filter((line) => line.includes("rebuilding"))).toEqual([]);
    expect(readAll(reopened)).toEqual(after);
    await reopened.close();
  });

  test("never touches the active segment or batches at or above the high watermark", async () => {
    const log = harness.open({ compaction });
    const { groups } = updates();
    await write(log, groups.slice(0, 10), { batchesPerSegment: 4 });
    // Segments [0,20) [20,40) are below 45; [40,50) is active.
    log.highWatermark = 25;
    const cleaner = cleanerOver(log);
    await cleaner.cleanFilthiest();
    const after = readAll(log);
    const countAt = (from: number) => after.records.filter((record) => record.offset >= from).length;
    expect(countAt(20)).toBe(30);
    expect(after.records.filter((record) => record.offset < 20).length).toBe(10);
    await log.close();
  });

  test("tombstones go delete.retention.ms after the first pass that kept them, however old they were", async () => {
    const log = harness.open({ compaction });
    const { groups, latest } = updates();
    await write(log, groups, { batchesPerSegment: 4 });
    const written = readAll(log);
    // Older than delete.retention.ms already: the first pass still keeps them (and stamps their horizon).
    harness.clock.advance(120_000);
    const cleaner = cleanerOver(log);
    await cleaner.cleanFilthiest();
    const once = readAll(log);
    expect(once.records.some((record) => record.key === "key-3")).toBe(true);
    // Re-based timestamp deltas: every record reads the timestamp it was written with.
    const writtenAt = new Map(written.records.map((record) => [record.offset, record.timestampMs]));
    for (const record of once.records) expect(record.timestampMs).toBe(writtenAt.get(record.offset)!);
    harness.clock.advance(59_999);
    expect(await cleaner.cleanFilthiest()).toBeNull();
    harness.clock.advance(1);
    expect(await cleaner.cleanFilthiest()).toMatchObject({ decision: { reason: "tombstones-expired" } });
    const after = readAll(log);
    expect(after.records.some((record) => record.key === "key-3")).toBe(false);
    latest.delete("key-3");
    expect(latestByKey(after.records)).toEqual(latest);
    await log.close();
  });

  test("compressed batches are cleaned and stay in their codec", async () => {
    const log = harness.open({ compaction });
    const { groups, latest } = updates();
    await write(log, groups, { batchesPerSegment: 4, compression: CompressionCodec.Zstd });
    await cleanerOver(log).cleanFilthiest();
    const after = readAll(log);
    expect(latestByKey(after.records)).toEqual(latest);
    for (const batch of after.batches) {
      expect(batch.codec).toBe(batch.recordCount === 0 ? CompressionCodec.None : CompressionCodec.Zstd);
    }
    await log.close();
  });
});

describe("a crash during a swap", () => {
  for (const step of ["cleaned-written", "swap-renamed", "indexes-deleted", "log-renamed"] as const) {
    test(`at ${step}: the reopened log holds every key's latest record at its offset`, async () => {
      const log = harness.open({ compaction });
      const { groups, latest } = updates();
      await write(log, groups, { batchesPerSegment: 4 });
      const before = readAll(log);
      let swaps = 0;
      const crash = new Error(`crash at ${step}`);
      const cleaner = cleanerOver(log, (reached) => {
        if (reached === step && ++swaps === 2) throw crash;
      });
      await expect(cleaner.cleanFilthiest()).rejects.toThrow(crash.message);
      // The process "dies": the log is abandoned unclosed and opened afresh over a new descriptor pool.
      const reopened = makeHarness(root.path).open({ compaction });
      // The open finished or dropped the swap: no copy is left beside the segments.
      expect(readdirSync(harness.dir).filter((name) => /\.(cleaned|swap)$/.test(name))).toEqual([]);
      const after = readAll(reopened);
      expect(after.batches.map(({ baseOffset, lastOffset }) => [baseOffset, lastOffset])).toEqual(
        before.batches.map(({ baseOffset, lastOffset }) => [baseOffset, lastOffset]),
      );
      expect(latestByKey(after.records)).toEqual(latest);
      expect(reopened.logEndOffset).toBe(log.logEndOffset);
      // A later pass over the reopened log finishes the job.
      reopened.highWatermark = reopened.logEndOffset;
      await cleanerOver(reopened).cleanFilthiest();
      const cleaned = readAll(reopened);
      for (const record of cleaned.records) expect(latest.get(record.key)!.offset).toBe(record.offset);
      await reopened.close();
    });
  }
});
