// The coordinator's plain inputs and outputs. Broker handlers translate Kafka requests into these and the
// results back into responses, so nothing here depends on the generated codec. Errors are Kafka error names.

import type { GroupRecord } from "./group-records.ts";

export type GroupErrorName =
  | "NONE"
  | "COORDINATOR_NOT_AVAILABLE"
  | "INVALID_GROUP_ID"
  | "INVALID_SESSION_TIMEOUT"
  | "UNKNOWN_MEMBER_ID"
  | "MEMBER_ID_REQUIRED"
  | "FENCED_INSTANCE_ID"
  | "ILLEGAL_GENERATION"
  | "INCONSISTENT_GROUP_PROTOCOL"
  | "REBALANCE_IN_PROGRESS"
  | "GROUP_MAX_SIZE_REACHED"
  | "OFFSET_METADATA_TOO_LARGE"
  | "GROUP_ID_NOT_FOUND"
  | "NON_EMPTY_GROUP"
  | "GROUP_SUBSCRIBED_TO_TOPIC"
  | "STALE_MEMBER_EPOCH"
  | "UNSUPPORTED_VERSION";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** Chosen by the caller, handed back with the response of a request that had to wait. */
export type RequestToken = number;

export interface Protocol {
  name: string;
  /** Opaque to the coordinator (for "consumer": a ConsumerProtocolSubscription). */
  metadata: Uint8Array;
}

export interface JoinGroupInput {
  requestToken: RequestToken;
  /** JoinGroup version: v4+ requires the member-id handshake, v9+ may skip the static leader's assignment. */
  apiVersion: number;
  groupId: string;
  /** "" for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** v0 has none: the caller passes the session timeout, as Kafka does. */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly Protocol[];
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

export interface JoinGroupResponse {
  error: GroupErrorName;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupInput {
  requestToken: RequestToken;
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+: checked against the group's when not null. */
  protocolType: string | null;
  protocolName: string | null;
  /** The leader's assignment; empty from followers. */
  assignments: readonly { memberId: string; assignment: Uint8Array }[];
}

export interface SyncGroupResponse {
  error: GroupErrorName;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

export interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupInput {
  groupId: string;
  /** v0-2 carry one member id; v3+ a batch, each by member id or by group.instance.id. */
  members: readonly { memberId: string; groupInstanceId: string | null }[];
}

export interface LeaveGroupResponse {
  error: GroupErrorName;
  members: { memberId: string; groupInstanceId: string | null; error: GroupErrorName }[];
}

export type Completion =
  | { kind: "join"; requestToken: RequestToken; response: JoinGroupResponse }
  | { kind: "sync"; requestToken: RequestToken; response: SyncGroupResponse };

/**
 * What every coordinator step hands back: records to append to __consumer_offsets (append them, then send
 * the responses), and responses to requests that were parked earlier.
 */
export interface StepOutput {
  records: GroupRecord[];
  completions: Completion[];
}

/** An answer now, or null: parked, its response comes later as a Completion with the same token. */
export interface Answer<Response> extends StepOutput {
  response: Response | null;
}

export interface OffsetCommitInput {
  /** OffsetCommit version: a missing group with a generation >= 0 is GROUP_ID_NOT_FOUND from v9 on. */
  apiVersion: number;
  groupId: string;
  /** -1 for a simple consumer (no group management). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v2-4 only; -1 means the broker's retention. */
  retentionTimeMs: number;
  topics: readonly {
    name: string;
    partitions: readonly {
      partition: number;
      offset: number;
      leaderEpoch: number;
      metadata: string | null;
    }[];
  }[];
}

export interface OffsetCommitResponse {
  topics: { name: string; partitions: { partition: number; error: GroupErrorName }[] }[];
}

export interface OffsetFetchInput {
  groupId: string;
  /** null: every committed offset of the group. */
  topics: readonly { name: string; partitions: readonly number[] }[] | null;
}

export interface FetchedOffset {
  partition: number;
  /** -1 when nothing is committed. */
  offset: number;
  leaderEpoch: number;
  metadata: string;
  error: GroupErrorName;
}

export interface OffsetFetchResponse {
  error: GroupErrorName;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

/** Partitions of a topic the metadata no longer has (deleted, or deleted and created again under its name). */
export interface DeletedPartitions {
  topic: string;
  partitions: readonly number[];
}

export interface OffsetDeleteInput {
  groupId: string;
  topics: readonly { name: string; partitions: readonly number[] }[];
}

export interface OffsetDeleteResponse {
  error: GroupErrorName;
  topics: { name: string; partitions: { partition: number; error: GroupErrorName }[] }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The selected protocol's metadata; empty unless the group is Stable. */
  metadata: Uint8Array;
  /** Empty unless the group is Stable. */
  assignment: Uint8Array;
}

export interface DescribedGroup {
  groupId: string;
  /** GROUP_ID_NOT_FOUND for a group that does not exist (DescribeGroups v6+; older versions say Dead). */
  error: GroupErrorName;
  state: GroupState;
  protocolType: string;
  /** The selected protocol when Stable, "" otherwise. */
  protocolName: string;
  members: DescribedMember[];
}

/** How DescribeGroups describes an id that names no classic group. */
export function deadGroup(groupId: string): DescribedGroup {
  return {
    groupId,
    error: "GROUP_ID_NOT_FOUND",
    state: "Dead",
    protocolType: "",
    protocolName: "",
    members: [],
  };
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  state: GroupState;
  groupType: "classic";
}

/** An answer that is always immediate, with what the step produced. */
export interface Result<Response> extends StepOutput {
  response: Response;
}

/** A group's full state, for tests, replay checks and admin views. */
export interface GroupSnapshot {
  groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    sessionTimeoutMs: number;
    rebalanceTimeoutMs: number;
    protocols: Protocol[];
    assignment: Uint8Array;
  }[];
}
