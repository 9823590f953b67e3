// Proves the log cleaner's pure decisions follow Kafka's: only whole inactive segments below the high watermark
// and past min.compaction.lag.ms are cleanable; a log is due past min.cleanable.dirty.ratio, past
// max.compaction.lag.ms, or once a kept tombstone expires; a record goes only when a later one of its key is
// mapped, or it is a tombstone past its batch's delete horizon (KIP-534).

import { describe, expect, test } from "bun:test";
import { type CleaningInput, decideCleaning, retainRecord } from "../../src/storage/cleaner-decisions.ts";
import { compactionConfigDefault } from "../../src/storage/log-config.ts";

const nowMs = 1_700_000_000_000;
/** Four segments of 100 offsets and 1000 bytes each, the last active; records an hour old. */
function input(overrides: Partial<CleaningInput> = {}): CleaningInput {
  const segments = [0, 100, 200, 300].map((base) => ({
    baseOffset: base,
    endOffset: base === 300 ? 350 : base + 100,
    sizeBytes: 1000,
    maxTimestampMs: nowMs - 3_600_000,
  }));
  return {
    segments,
    logStartOffset: 0,
    highWatermark: 350,
    firstDirtyOffset: 0,
    tombstoneExpiryMs: null,
    wallMs: nowMs,
    config: { ...compactionConfigDefault },
    ...overrides,
  };
}

describe("what is cleanable", () => {
  test("whole inactive segments, never the active one", () => {
    expect(decideCleaning(input())).toMatchObject({ clean: true, cleanableEndOffset: 300, segmentCount: 3 });
  });

  test("nothing at or above the high watermark: a segment ending past it waits", () => {
    expect(decideCleaning(input({ highWatermark: 250 }))).toMatchObject({ cleanableEndOffset: 200 });
    expect(decideCleaning(input({ highWatermark: 99 }))).toMatchObject({ clean: false });
  });

  test("min.compaction.lag.ms holds back a segment with a young record and all after it", () => {
    const young = input();
    young.segments = young.segments.map((segment, index) =>
      index === 1 ? { ...segment, maxTimestampMs: nowMs - 1000 } : segment,
    );
    young.config.minCompactionLagMs = 60_000;
    expect(decideCleaning(young)).toMatchObject({ cleanableEndOffset: 100, segmentCount: 1 });
  });
});

describe("when a log is due", () => {
  test("dirty bytes above min.cleanable.dirty.ratio of the cleanable bytes", () => {
    // 2 of 3 cleanable segments dirty: 0.67.
    expect(decideCleaning(input({ firstDirtyOffset: 100 }))).toMatchObject({
      clean: true,
      reason: "dirty-ratio",
      firstDirtyOffset: 100,
    });
    // 1 of 3: 0.33, below the default 0.5.
    expect(decideCleaning(input({ firstDirtyOffset: 200 }))).toMatchObject({ clean: false });
    const low = input({ firstDirtyOffset: 200 });
    low.config.minCleanableDirtyRatio = 0.1;
    expect(decideCleaning(low)).toMatchObject({ clean: true, reason: "dirty-ratio" });
    // Nothing dirty: nothing to do, whatever the ratio.
    low.firstDirtyOffset = 300;
    expect(decideCleaning(low)).toMatchObject({ clean: false });
  });

  test("a dirty segment older than max.compaction.lag.ms forces a pass below the ratio", () => {
    const lagging = input({ firstDirtyOffset: 200 });
    lagging.config.maxCompactionLagMs = 60_000;
    expect(decideCleaning(lagging)).toMatchObject({ clean: true, reason: "max-compaction-lag" });
    lagging.config.maxCompactionLagMs = 7_200_000;
    expect(decideCleaning(lagging)).toMatchObject({ clean: false });
  });

  test("a kept tombstone past its delete.retention.ms makes a clean log due", () => {
    expect(decideCleaning(input({ firstDirtyOffset: 300, tombstoneExpiryMs: nowMs }))).toMatchObject({
      clean: true,
      reason: "tombstones-expired",
    });
    expect(decideCleaning(input({ firstDirtyOffset: 300, tombstoneExpiryMs: nowMs + 1 }))).toMatchObject({
      clean: false,
    });
  });

  test("a log start past the checkpoint counts from the log start", () => {
    expect(decideCleaning(input({ logStartOffset: 150, firstDirtyOffset: 0 }))).toMatchObject({
      firstDirtyOffset: 150,
      dirtyRatio: 1,
    });
  });
});

describe("which records stay", () => {
  test("the latest record of a key stays; older ones go", () => {
    const options = { wallMs: nowMs, deleteHorizonMs: null };
    const record = { offset: 5, tombstone: false };
    expect(retainRecord(record, 9, options)).toBe(false);
    expect(retainRecord(record, 5, options)).toBe(true);
    expect(retainRecord(record, undefined, options)).toBe(true);
  });

  test("a tombstone stays until its batch's delete horizon has passed (none stamped: it stays)", () => {
    const tombstone = { offset: 5, tombstone: true };
    expect(retainRecord(tombstone, 5, { wallMs: nowMs, deleteHorizonMs: null })).toBe(true);
    expect(retainRecord(tombstone, 5, { wallMs: nowMs, deleteHorizonMs: nowMs + 1 })).toBe(true);
    expect(retainRecord(tombstone, 5, { wallMs: nowMs, deleteHorizonMs: nowMs })).toBe(false);
    // A superseded tombstone goes at once, like any older record.
    expect(retainRecord(tombstone, 6, { wallMs: nowMs, deleteHorizonMs: null })).toBe(false);
  });
});
