// Proves the retention decision: whole segments by log start offset, retention.ms and retention.bytes,
// never the active segment and never data at or above the high watermark.

import { expect, test } from "bun:test";
import { decideRetention, type SegmentSummary } from "../../src/storage/retention.ts";

const segments: SegmentSummary[] = [
  { baseOffset: 0, endOffset: 10, sizeBytes: 100, maxTimestampMs: 1000 },
  { baseOffset: 10, endOffset: 20, sizeBytes: 100, maxTimestampMs: 2000 },
  { baseOffset: 20, endOffset: 30, sizeBytes: 100, maxTimestampMs: 3000 },
  { baseOffset: 30, endOffset: 35, sizeBytes: 50, maxTimestampMs: 4000 },
];
const base = {
  segments,
  logStartOffset: 0,
  highWatermark: 35,
  retentionMs: -1,
  retentionBytes: -1,
  wallMs: 5000,
};

test("nothing goes without a reason", () => {
  expect(decideRetention(base)).toEqual({ deleteCount: 0, reason: "none" });
});

test("segments wholly below the log start offset go", () => {
  expect(decideRetention({ ...base, logStartOffset: 20 })).toEqual({
    deleteCount: 2,
    reason: "log-start-offset",
  });
  expect(decideRetention({ ...base, logStartOffset: 19 }).deleteCount).toBe(1);
});

test("retention.ms deletes segments whose newest batch is older than the limit", () => {
  expect(decideRetention({ ...base, retentionMs: 2500 })).toEqual({ deleteCount: 2, reason: "retention-ms" });
  expect(decideRetention({ ...base, retentionMs: 0 }).deleteCount).toBe(3);
});

test("retention.bytes deletes the oldest while the rest still meets the limit", () => {
  expect(decideRetention({ ...base, retentionBytes: 160 })).toEqual({
    deleteCount: 1,
    reason: "retention-bytes",
  });
  expect(decideRetention({ ...base, retentionBytes: 150 }).deleteCount).toBe(2);
  expect(decideRetention({ ...base, retentionBytes: 0 }).deleteCount).toBe(3);
});

test("the high watermark holds retention back", () => {
  expect(decideRetention({ ...base, retentionMs: 0, highWatermark: 19 }).deleteCount).toBe(1);
  expect(decideRetention({ ...base, logStartOffset: 30, highWatermark: 5 }).deleteCount).toBe(0);
});
