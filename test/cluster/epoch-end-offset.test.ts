// Proves endOffsetForEpoch follows Kafka's LeaderEpochFileCache.endOffsetFor case by case: the latest epoch
// ends at the log end, an epoch between known ones ends where the next larger one starts, and the undefined,
// too-new, too-old and empty-cache cases answer as Kafka does.

import { describe, expect, test } from "bun:test";
import { endOffsetForEpoch } from "../../src/cluster/epoch-end-offset.ts";

const entries = [
  { epoch: 2, startOffset: 10 },
  { epoch: 4, startOffset: 25 },
  { epoch: 7, startOffset: 40 },
];
const logEndOffset = 52;

describe("endOffsetForEpoch", () => {
  test("the latest epoch ends at the log end offset", () => {
    expect(endOffsetForEpoch(entries, 7, logEndOffset)).toEqual({ epoch: 7, endOffset: 52 });
  });

  test("a known earlier epoch ends where the next larger epoch starts", () => {
    expect(endOffsetForEpoch(entries, 2, logEndOffset)).toEqual({ epoch: 2, endOffset: 25 });
    expect(endOffsetForEpoch(entries, 4, logEndOffset)).toEqual({ epoch: 4, endOffset: 40 });
  });

  test("an epoch between known ones answers the largest smaller epoch", () => {
    expect(endOffsetForEpoch(entries, 3, logEndOffset)).toEqual({ epoch: 2, endOffset: 25 });
    expect(endOffsetForEpoch(entries, 6, logEndOffset)).toEqual({ epoch: 4, endOffset: 40 });
  });

  test("an epoch older than every known one answers itself, ending at the first known start", () => {
    expect(endOffsetForEpoch(entries, 0, logEndOffset)).toEqual({ epoch: 0, endOffset: 10 });
    expect(endOffsetForEpoch(entries, 1, logEndOffset)).toEqual({ epoch: 1, endOffset: 10 });
  });

  test("the undefined epoch, a newer epoch and an empty cache are undefined", () => {
    const undefinedAnswer = { epoch: -1, endOffset: -1 };
    expect(endOffsetForEpoch(entries, -1, logEndOffset)).toEqual(undefinedAnswer);
    expect(endOffsetForEpoch(entries, 8, logEndOffset)).toEqual(undefinedAnswer);
    expect(endOffsetForEpoch([], 0, logEndOffset)).toEqual(undefinedAnswer);
  });

  test("a single epoch: itself to the log end, older ones to its start, newer ones undefined", () => {
    const single = [{ epoch: 3, startOffset: 0 }];
    expect(endOffsetForEpoch(single, 3, 9)).toEqual({ epoch: 3, endOffset: 9 });
    expect(endOffsetForEpoch(single, 1, 9)).toEqual({ epoch: 1, endOffset: 0 });
    expect(endOffsetForEpoch(single, 4, 9)).toEqual({ epoch: -1, endOffset: -1 });
  });
});
