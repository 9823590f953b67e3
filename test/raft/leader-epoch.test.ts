// Proves the one mapping between Raft terms and Kafka leader epochs: the first elected term (1) is epoch 0,
// the two directions undo each other, and term 0 (no election), epoch -1 (Kafka's "no epoch") and values past
// int32 have no counterpart: asking for one is a bug, caught by an assertion.

import { expect, test } from "bun:test";
import { AssertionError } from "../../src/base/assert.ts";
import { firstLeaderTerm, leaderEpochOfTerm, termOfLeaderEpoch } from "../../src/raft/core/index.ts";

test("the first elected term is leader epoch 0, and every term is its epoch + 1", () => {
  expect(firstLeaderTerm).toBe(1);
  expect(leaderEpochOfTerm(1)).toBe(0);
  expect(leaderEpochOfTerm(2)).toBe(1);
  expect(termOfLeaderEpoch(0)).toBe(1);
  for (const term of [1, 2, 7, 1000, 0x7fff_ffff, 0x8000_0000]) {
    expect(termOfLeaderEpoch(leaderEpochOfTerm(term))).toBe(term);
  }
});

test("term 0, negative or fractional values and epochs past int32 have no counterpart", () => {
  for (const term of [0, -1, 1.5, 0x8000_0001, Number.NaN]) {
    expect(() => leaderEpochOfTerm(term)).toThrow(AssertionError);
  }
  expect(() => leaderEpochOfTerm(0)).toThrow("term 0 has no leader epoch");
  for (const epoch of [-1, 0.5, 0x8000_0000]) {
    expect(() => termOfLeaderEpoch(epoch)).toThrow(AssertionError);
  }
});
