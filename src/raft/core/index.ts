// The pure Raft core: a state machine driven by ticks and messages that hands back what to persist, send and
// apply, over a log read through LogReader. Offsets are Kafka offsets; epochs are Raft terms
// (leader-epoch.ts maps them to the leader epochs Kafka clients see).
export type { RaftConfig, TestingOnlyBug } from "./config.ts";
export { raftConfigDefaults, validateRaftConfig } from "./config.ts";
export { Inflights } from "./inflights.ts";
export { firstLeaderTerm, leaderEpochOfTerm, termOfLeaderEpoch } from "./leader-epoch.ts";
export type { BatchMeta, LogReader } from "./log-reader.ts";
export { LogView } from "./log-view.ts";
export type { ConfigChange } from "./membership.ts";
export { applyConfigChange } from "./membership.ts";
export { MemoryLog } from "./memory-log.ts";
export type { ProgressState } from "./progress.ts";
export { Progress } from "./progress.ts";
export { isQuorum, quorumMatchOffset, voteOutcome } from "./quorum.ts";
export type { ProposeResult, RaftNodeOptions, Refusal, Refused, VoteFence } from "./raft-node.ts";
export { RaftNode } from "./raft-node.ts";
export type * from "./types.ts";
