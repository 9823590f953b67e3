// Data the Raft core exchanges with its driver: entries, hard state, snapshots and peer messages.
// Offsets are Kafka offsets held in `number`: exact up to 2^53, which no partition reaches.

export type NodeId = number;

/** "data" is a client record batch, "control" a leader's no-op, "config" a membership change. */
export type EntryKind = "data" | "control" | "config";

/** The voters (who elect and commit) and learners (who only replicate) of a group. */
export interface MembershipConfig {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * One Raft entry is one record batch: it covers offsets [baseOffset, lastOffset] and `epoch` is its term,
 * which the batch's partitionLeaderEpoch holds as a leader epoch (term − 1, leader-epoch.ts). The payload is
 * opaque; the driver stamps offsets and leader epoch into it when it persists.
 */
export interface Entry {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly kind: EntryKind;
  readonly byteSize: number;
  readonly payload: Uint8Array;
  /** Present exactly when kind is "config": the whole configuration after this change. */
  readonly config?: MembershipConfig;
}

/** What a leader is asked to append; it assigns offsets and epoch. */
export interface Proposal {
  readonly recordCount: number;
  readonly byteSize: number;
  readonly payload: Uint8Array;
}

/** State that must be durable before any message of the same Ready leaves the node. */
export interface HardState {
  readonly term: number;
  readonly votedFor: NodeId | null;
  /** Last committed offset (inclusive); the high watermark is commitOffset + 1. -1 when nothing is committed. */
  readonly commitOffset: number;
  /** The committed membership; it changes only when a config entry commits. */
  readonly config: MembershipConfig;
}

/** Where a snapshot ends: the log restarts at lastOffset + 1. */
export interface SnapshotMeta {
  readonly lastOffset: number;
  readonly lastEpoch: number;
  readonly config: MembershipConfig;
}

/** A state machine snapshot (metadata group) or, with empty data, a partition's new log start. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export interface ReadState {
  /** Reads that start once the state machine has applied this offset are linearizable. */
  readonly commitOffset: number;
  readonly requestId: number;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface VoteMessage extends MessageBase {
  readonly type: "vote";
  readonly preVote: boolean;
  readonly lastOffset: number;
  readonly lastEpoch: number;
  /** Set by a leadership transfer: the voter ignores its leader lease. */
  readonly transfer: boolean;
}

export interface VoteResponseMessage extends MessageBase {
  readonly type: "voteResponse";
  readonly preVote: boolean;
  readonly granted: boolean;
}

export interface AppendMessage extends MessageBase {
  readonly type: "append";
  readonly prevOffset: number;
  readonly prevEpoch: number;
  readonly entries: readonly Entry[];
  readonly commitOffset: number;
}

export interface AppendResponseMessage extends MessageBase {
  readonly type: "appendResponse";
  readonly reject: boolean;
  /** Accepted: the follower's log matches the leader's up to here. Rejected: the prevOffset refused. */
  readonly matchOffset: number;
  /** Rejected only: the last batch end at or below prevOffset whose epoch is at most prevEpoch (fast backup). */
  readonly hintOffset: number;
  readonly hintEpoch: number;
}

export interface HeartbeatMessage extends MessageBase {
  readonly type: "heartbeat";
  readonly commitOffset: number;
  /** The newest read-index request this heartbeat confirms leadership for; -1 when none. */
  readonly readRequestId: number;
}

export interface HeartbeatResponseMessage extends MessageBase {
  readonly type: "heartbeatResponse";
  readonly readRequestId: number;
}

export interface SnapshotMessage extends MessageBase {
  readonly type: "snapshot";
  readonly meta: SnapshotMeta;
  readonly dataBytes: number;
  readonly chunkStart: number;
  readonly chunk: Uint8Array;
}

export interface SnapshotResponseMessage extends MessageBase {
  readonly type: "snapshotResponse";
  readonly snapshotLastOffset: number;
  /** Bytes of the snapshot the follower holds in order; the leader sends the next chunk from here. */
  readonly receivedBytes: number;
}

export interface TimeoutNowMessage extends MessageBase {
  readonly type: "timeoutNow";
}

export type Message =
  | VoteMessage
  | VoteResponseMessage
  | AppendMessage
  | AppendResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | SnapshotMessage
  | SnapshotResponseMessage
  | TimeoutNowMessage;

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/**
 * Everything the driver must do, in this order: persist snapshotToPersist, then entriesToPersist (truncating
 * the stored log from the first entry's baseOffset), then hardState, and sync; then send messages; then apply
 * committedEntries and serve readStates; then call advance(ready).
 */
export interface Ready {
  readonly hardState: HardState | undefined;
  readonly snapshotToPersist: Snapshot | undefined;
  readonly entriesToPersist: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  readonly role: Role;
  readonly leaderId: NodeId | null;
  readonly term: number;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** A message as the core builds it; the node stamps its id and current term when it queues it. */
export type OutgoingMessage = DistributiveOmit<Message, "from" | "term">;
