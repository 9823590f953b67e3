// Majority arithmetic over the voters: the committed offset and the outcome of a vote.
import type { NodeId } from "./types.ts";

/** The largest offset that a majority of voters have matched. Voters without a match count as -1. */
export function quorumMatchOffset(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.MAX_SAFE_INTEGER;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[Math.floor(voters.length / 2)]!;
}

export type VoteOutcome = "won" | "lost" | "pending";

export function voteOutcome(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted += 1;
    else if (vote === false) rejected += 1;
  }
  const majority = Math.floor(voters.length / 2) + 1;
  if (granted >= majority) return "won";
  if (rejected > voters.length - majority) return "lost";
  return "pending";
}

export function isQuorum(voters: readonly NodeId[], has: (id: NodeId) => boolean): boolean {
  let count = 0;
  for (const id of voters) if (has(id)) count += 1;
  return count >= Math.floor(voters.length / 2) + 1;
}
