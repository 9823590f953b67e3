// The one mapping between Raft terms and the leader epochs Kafka clients see (DESIGN.md, "The cluster"). A
// partition's first elected term is 1, while Kafka's first leader epoch is 0 and clients send it back as
// currentLeaderEpoch: epoch = term − 1. Raft compares terms (the core's entry "epoch" is a term); everything
// a client can see carries the epoch — Metadata, Fetch, ListOffsets, OffsetForLeaderEpoch, and the
// partitionLeaderEpoch of every batch header on disk, which the partition log store converts at its edge.
// Term 0 (no election yet) has no epoch: it never reaches a client or a header.

import { assert } from "../../base/assert.ts";

/** The first term a leader can hold; its leader epoch is 0. */
export const firstLeaderTerm = 1;

/** The largest leader epoch a batch header (int32) holds. */
const leaderEpochMax = 0x7fff_ffff;

/** The leader epoch clients see for a leader's term (≥ 1). */
export function leaderEpochOfTerm(term: number): number {
  assert(
    Number.isSafeInteger(term) && term >= firstLeaderTerm && term - 1 <= leaderEpochMax,
    `term ${term} has no leader epoch`,
  );
  return term - 1;
}

/** The Raft term of a leader epoch (≥ 0) read from a batch header or the leader-epoch cache. */
export function termOfLeaderEpoch(epoch: number): number {
  assert(
    Number.isSafeInteger(epoch) && epoch >= 0 && epoch <= leaderEpochMax,
    `leader epoch ${epoch} has no term`,
  );
  return epoch + 1;
}
