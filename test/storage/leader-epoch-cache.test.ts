// Proves the leader-epoch cache's answers (OffsetForLeaderEpoch, term of an offset), its truncations from
// either end, and that its checkpoint text round-trips and refuses malformed files.

import { expect, test } from "bun:test";
import {
  decodeEpochEntries,
  encodeEpochEntries,
  LeaderEpochCache,
} from "../../src/storage/leader-epoch-cache.ts";

function cache(): LeaderEpochCache {
  return new LeaderEpochCache([
    { epoch: 1, startOffset: 0 },
    { epoch: 3, startOffset: 10 },
    { epoch: 4, startOffset: 25 },
  ]);
}

test("epochAt gives the term of an offset for Raft log matching", () => {
  const epochs = cache();
  expect(epochs.epochAt(0)).toBe(1);
  expect(epochs.epochAt(9)).toBe(1);
  expect(epochs.epochAt(10)).toBe(3);
  expect(epochs.epochAt(1000)).toBe(4);
  expect(new LeaderEpochCache([{ epoch: 2, startOffset: 5 }]).epochAt(4)).toBeUndefined();
});

test("assign ignores the same epoch again and refuses to go back", () => {
  const epochs = cache();
  expect(epochs.assign(4, 30)).toBe(false);
  expect(epochs.assign(5, 30)).toBe(true);
  expect(() => epochs.assign(2, 31)).toThrow("epoch 2 after 5");
});

test("truncateFromEnd drops epochs starting at or after the cut; truncateFromStart moves the first up", () => {
  const end = cache();
  expect(end.truncateFromEnd(25)).toBe(true);
  expect(end.all().map((entry) => entry.epoch)).toEqual([1, 3]);
  expect(end.truncateFromEnd(25)).toBe(false);
  const start = cache();
  expect(start.truncateFromStart(12)).toBe(true);
  expect(start.all()).toEqual([
    { epoch: 3, startOffset: 12 },
    { epoch: 4, startOffset: 25 },
  ]);
  expect(start.truncateFromStart(25)).toBe(true);
  expect(start.all()).toEqual([{ epoch: 4, startOffset: 25 }]);
});

test("the checkpoint text round-trips and malformed text is refused", () => {
  const text = encodeEpochEntries(cache().all());
  expect(text).toBe("0\n3\n1 0\n3 10\n4 25\n");
  expect(decodeEpochEntries(text)).toEqual([...cache().all()]);
  expect(decodeEpochEntries("0\n2\n1 0\n")).toContain("count");
  expect(decodeEpochEntries("0\n2\n3 0\n1 5\n")).toContain("out of order");
  expect(decodeEpochEntries("7\n0\n")).toContain("version");
});
