// Proves fetch sessions follow KIP-227: full fetches create sessions, incremental ones check id and epoch,
// responses carry only partitions with news, forgotten partitions leave, and a full cache evicts only the idle.

import { describe, expect, test } from "bun:test";
import {
  FetchSessionCache,
  type PartitionOutcome,
  partitionKey,
  type SessionPartition,
} from "../../src/broker/fetch-sessions.ts";

function partition(topicKey: string, index: number, fetchOffset = 0): SessionPartition {
  return {
    topicKey,
    partition: index,
    fetchOffset,
    partitionMaxBytes: 1 << 20,
    logStartOffset: -1,
    currentLeaderEpoch: -1,
  };
}

function outcome(highWatermark: number, recordBytes = 0, errorCode = 0): PartitionOutcome {
  return { errorCode, highWatermark, lastStableOffset: highWatermark, logStartOffset: 0, recordBytes };
}

function cacheWithIds(ids: number[], sessionsMax = 10) {
  let next = 0;
  return new FetchSessionCache(
    { sessionsMax, sessionEvictionMs: 1000, partitionsPerSessionMax: 100 },
    () => ids[next++ % ids.length]!,
  );
}

const a0 = partitionKey("a", 0);
const a1 = partitionKey("a", 1);
const b0 = partitionKey("b", 0);

function start(cache: FetchSessionCache) {
  const plan = cache.plan(
    { sessionId: 0, sessionEpoch: 0, partitions: [partition("a", 0), partition("a", 1)], forgotten: [] },
    0,
  );
  if (typeof plan === "string") throw new Error(plan);
  return plan.complete(
    new Map([
      [a0, outcome(5)],
      [a1, outcome(7)],
    ]),
    0,
  );
}

describe("fetch sessions", () => {
  test("a full fetch with epoch 0 creates a session and answers every partition", () => {
    const cache = cacheWithIds([42]);
    expect(start(cache)).toEqual({ sessionId: 42, include: [a0, a1] });
    expect(cache.size).toBe(1);
  });

  test("epoch -1 fetches without a session and closes the one named", () => {
    const cache = cacheWithIds([42]);
    start(cache);
    const plan = cache.plan(
      { sessionId: 42, sessionEpoch: -1, partitions: [partition("a", 0)], forgotten: [] },
      1,
    );
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.complete(new Map([[a0, outcome(5)]]), 1)).toEqual({ sessionId: 0, include: [a0] });
    expect(cache.size).toBe(0);
  });

  test("incremental fetches report only what changed, and add or forget partitions", () => {
    const cache = cacheWithIds([42]);
    start(cache);
    const first = cache.plan(
      { sessionId: 42, sessionEpoch: 1, partitions: [partition("b", 0)], forgotten: [] },
      1,
    );
    if (typeof first === "string") throw new Error(first);
    expect(first.partitions.map((p) => `${p.topicKey}-${p.partition}`)).toEqual(["a-0", "a-1", "b-0"]);
    const answer = first.complete(
      new Map([
        [a0, outcome(5)],
        [a1, outcome(8)],
        [b0, outcome(0)],
      ]),
      1,
    );
    expect(answer).toEqual({ sessionId: 42, include: [a1, b0] });

    const second = cache.plan(
      { sessionId: 42, sessionEpoch: 2, partitions: [], forgotten: [{ topicKey: "a", partition: 1 }] },
      2,
    );
    if (typeof second === "string") throw new Error(second);
    expect(second.partitions.map((p) => `${p.topicKey}-${p.partition}`)).toEqual(["a-0", "b-0"]);
    expect(
      second.complete(
        new Map([
          [a0, outcome(5, 0, 6)],
          [b0, outcome(0)],
        ]),
        2,
      ).include,
    ).toEqual([a0]);
  });

  test("partitions that returned records move to the back of the fetch order", () => {
    const cache = cacheWithIds([42]);
    start(cache);
    const plan = cache.plan({ sessionId: 42, sessionEpoch: 1, partitions: [], forgotten: [] }, 1);
    if (typeof plan === "string") throw new Error(plan);
    plan.complete(
      new Map([
        [a0, outcome(9, 100)],
        [a1, outcome(7)],
      ]),
      1,
    );
    const next = cache.plan({ sessionId: 42, sessionEpoch: 2, partitions: [], forgotten: [] }, 2);
    if (typeof next === "string") throw new Error(next);
    expect(next.partitions.map((p) => p.partition)).toEqual([1, 0]);
  });

  test("unknown ids and wrong epochs are refused with Kafka's errors", () => {
    const cache = cacheWithIds([42]);
    start(cache);
    expect(cache.plan({ sessionId: 7, sessionEpoch: 1, partitions: [], forgotten: [] }, 1)).toBe(
      "FETCH_SESSION_ID_NOT_FOUND",
    );
    expect(cache.plan({ sessionId: 42, sessionEpoch: 5, partitions: [], forgotten: [] }, 1)).toBe(
      "INVALID_FETCH_SESSION_EPOCH",
    );
  });

  test("a full cache evicts only a session idle past the eviction time", () => {
    const cache = cacheWithIds([1, 2, 3], 2);
    start(cache);
    start(cache);
    expect(start(cache).sessionId).toBe(0);
    const late = cache.plan(
      { sessionId: 0, sessionEpoch: 0, partitions: [partition("a", 0)], forgotten: [] },
      5000,
    );
    if (typeof late === "string") throw new Error(late);
    expect(late.complete(new Map([[a0, outcome(1)]]), 5000).sessionId).toBeGreaterThan(0);
    expect(cache.size).toBe(2);
  });
});
