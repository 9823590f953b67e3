// Proves which logs may lose segments to retention: a user topic's follow its retention.ms, while the metadata
// log and __consumer_offsets keep every segment whatever their configs say (they are state, not a stream: the
// metadata has no snapshots yet and Chronik does not compact). Shown on real partition logs a week and more
// past their segments' timestamps.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { logConfigFor } from "../../src/cluster/topic-log-config.ts";
import { makeBatch } from "../storage/batch-fixture.ts";
import { type Harness, makeHarness } from "../storage/log-harness.ts";
import { makeTempDir } from "../storage/temp-dir.ts";

const weekMs = 7 * 24 * 60 * 60 * 1000;
const noBrokerSettings = new Map<string, string>();

let root: ReturnType<typeof makeTempDir>;
let harness: Harness;

beforeEach(() => {
  root = makeTempDir("topic-log-config");
  harness = makeHarness(root.path);
});

afterEach(() => root.remove());

/** Segments a log holds after three small segments aged eight days go through retention. */
async function segmentsLeftAfterEightDays(topic: string, overrides: ReadonlyMap<string, string>) {
  const log = harness.open({ ...logConfigFor(topic, overrides, noBrokerSettings), segmentBytes: 1000 });
  const writtenAtMs = harness.clock.wallMs();
  for (let i = 0; i < 12; i++) {
    await log.append(makeBatch({ payloadBytes: 200, seed: i, timestampMs: writtenAtMs }), { leaderEpoch: 0 });
  }
  log.highWatermark = log.logEndOffset;
  const before = log.segmentCount;
  harness.clock.advance(weekMs + 24 * 60 * 60 * 1000);
  log.applyRetention();
  const after = log.segmentCount;
  await log.close();
  return { before, after };
}

test("a user topic loses segments past its retention.ms", async () => {
  const { before, after } = await segmentsLeftAfterEightDays("orders", new Map());
  expect(before).toBeGreaterThanOrEqual(3);
  expect(after).toBe(1);
});

test("the metadata log keeps every segment however old", async () => {
  const { before, after } = await segmentsLeftAfterEightDays("__cluster_metadata", new Map());
  expect(after).toBe(before);
});

test("__consumer_offsets keeps every segment, even with a retention.ms set on it", async () => {
  const overrides = new Map([
    ["retention.ms", "1000"],
    ["retention.bytes", "100"],
  ]);
  const { before, after } = await segmentsLeftAfterEightDays("__consumer_offsets", overrides);
  expect(after).toBe(before);
  expect(logConfigFor("__consumer_offsets", overrides, noBrokerSettings)).toMatchObject({
    retentionMs: -1,
    retentionBytes: -1,
    // offsets.topic.segment.bytes: what compaction leaves behind goes a 100 MiB segment at a time.
    segmentBytes: 100 * 1024 * 1024,
  });
  // Everything else of the topic's configs still applies.
  expect(
    logConfigFor("__consumer_offsets", new Map([["segment.bytes", "2097152"]]), noBrokerSettings),
  ).toMatchObject({
    segmentBytes: 2097152,
  });
});

test("a compact topic keeps every segment past retention.ms; compact,delete loses them", async () => {
  const compact = await segmentsLeftAfterEightDays("orders", new Map([["cleanup.policy", "compact"]]));
  expect(compact.after).toBe(compact.before);
  const both = await segmentsLeftAfterEightDays("orders", new Map([["cleanup.policy", "compact,delete"]]));
  expect(both.after).toBe(1);
  const overrides = new Map([
    ["cleanup.policy", "delete,compact"],
    ["min.cleanable.dirty.ratio", "0.01"],
    ["delete.retention.ms", "100"],
  ]);
  expect(logConfigFor("orders", overrides, noBrokerSettings).compaction).toEqual({
    deleteRetentionMs: 100,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
    minCleanableDirtyRatio: 0.01,
  });
  expect(logConfigFor("orders", new Map(), noBrokerSettings).compaction).toBeNull();
  // __consumer_offsets has its own compaction; the log cleaner stays out of it.
  expect(
    logConfigFor("__consumer_offsets", new Map([["cleanup.policy", "compact"]]), noBrokerSettings).compaction,
  ).toBeNull();
});
