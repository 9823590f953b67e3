// The named limits of one Raft group, each with its unit and the meaning of 0, validated once at creation.
import type { NodeId } from "./types.ts";

export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without a leader before a follower campaigns; the real timeout is drawn from [this, 2 × this). ≥ 1. */
  readonly electionTimeoutTicks: number;
  /** Ticks between a leader's heartbeats. ≥ 1 and < electionTimeoutTicks. */
  readonly heartbeatIntervalTicks: number;
  /** Append messages in flight to one follower in the replicate state. ≥ 1. */
  readonly inflightCountMax: number;
  /** Entry bytes in flight to one follower. 0 means no byte limit (only the count applies). */
  readonly inflightBytesMax: number;
  /** Entry bytes in one append message, and bytes in one snapshot chunk. A message carries at least one entry. ≥ 1. */
  readonly appendBytesMax: number;
  /** Bytes a leader holds appended but not yet committed; proposals beyond are refused. 0 means no limit. */
  readonly uncommittedBytesMax: number;
  /** Entry bytes handed to the driver to apply in one Ready (at least one entry). 0 means no limit. */
  readonly applyBytesMax: number;
  /** Pending read-index requests at a leader; more are refused. ≥ 1. */
  readonly readIndexPendingMax: number;
  /** Whether committed entries are handed out in Ready (the metadata group), or only the commit offset (partitions). */
  readonly deliverCommittedEntries: boolean;
  /** Ask for votes without raising the term first, so a node that was cut off cannot disrupt a working leader. */
  readonly preVote: boolean;
  /** A leader that has not heard from a quorum within an election timeout steps down. */
  readonly checkQuorum: boolean;
  /** The injected PRNG: an integer uniform in [0, bound). The core draws its randomized election timeouts here. */
  readonly randomInt: (bound: number) => number;
}

export const raftConfigDefaults = {
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  inflightCountMax: 256,
  inflightBytesMax: 32 * 1024 * 1024,
  appendBytesMax: 1024 * 1024,
  uncommittedBytesMax: 256 * 1024 * 1024,
  applyBytesMax: 64 * 1024 * 1024,
  readIndexPendingMax: 4096,
  deliverCommittedEntries: true,
  preVote: true,
  checkQuorum: true,
} as const;

/** Returns the reason the config is invalid, or undefined when it is valid. */
export function validateRaftConfig(config: RaftConfig): string | undefined {
  const positive: Array<keyof RaftConfig> = [
    "electionTimeoutTicks",
    "heartbeatIntervalTicks",
    "inflightCountMax",
    "appendBytesMax",
    "readIndexPendingMax",
  ];
  for (const name of positive) {
    const value = config[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) return `${name} must be ≥ 1`;
  }
  const zeroMeansNone: Array<keyof RaftConfig> = ["inflightBytesMax", "uncommittedBytesMax", "applyBytesMax"];
  for (const name of zeroMeansNone) {
    const value = config[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) return `${name} must be ≥ 0`;
  }
  if (config.heartbeatIntervalTicks >= config.electionTimeoutTicks) {
    return "heartbeatIntervalTicks must be below electionTimeoutTicks";
  }
  if (!Number.isSafeInteger(config.id) || config.id < 0) return "id must be a non-negative integer";
  return undefined;
}

/**
 * Deliberate bugs for checking that the simulator catches them. Passed to the node's constructor beside the
 * config, never part of RaftConfig, so no production config parsing can reach them.
 */
export type TestingOnlyBug = "commitOldTermByCount" | "skipVotePersist";
