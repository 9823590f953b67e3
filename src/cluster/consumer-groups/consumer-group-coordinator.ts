// The consumer (KIP-848) group coordinator of one __consumer_offsets partition. Pure: time comes in as
// nowMs, topics through a lookup, member ids from an injected UUID source; every durable change leaves as
// a record the caller appends before it answers. tick() removes members whose session or revocation
// deadline passed; replay() rebuilds the groups from the partition after a failover.

import { assert } from "../../base/assert.ts";
import { partitionKey } from "./assignment.ts";
import { ConsumerGroup, type ConsumerGroupMember } from "./consumer-group.ts";
import {
  type ConsumerGroupConfig,
  defaultConsumerGroupConfig,
  type GroupConfigLookup,
} from "./consumer-group-config.ts";
import type {
  ConsumerGroupHeartbeatInput,
  ConsumerGroupHeartbeatResponse,
  ConsumerGroupRecord,
  ConsumerGroupState,
  DescribedConsumerGroup,
  HeartbeatResult,
  TopicLookup,
} from "./consumer-group-types.ts";
import { leaveEpoch, staticLeaveEpoch } from "./consumer-group-types.ts";
import { describeGroup } from "./describe.ts";
import { type ChangeContext, removeMember, writeCurrentAssignment } from "./group-changes.ts";
import { HeartbeatError, heartbeatMember, identifiedMember, validateHeartbeat } from "./heartbeat.ts";

/** OffsetCommit v9 is the first to carry the member epoch (in its generation field). */
const offsetCommitMemberEpochVersionMin = 9;

export type OffsetValidationError =
  | "NONE"
  | "UNKNOWN_MEMBER_ID"
  | "STALE_MEMBER_EPOCH"
  | "UNSUPPORTED_VERSION";

/** One answer for every partition of a commit, or an answer per partition (a member with an older epoch). */
export type OffsetCommitValidation =
  | OffsetValidationError
  | ((topicName: string, partition: number) => OffsetValidationError);

export interface ListedConsumerGroup {
  groupId: string;
  protocolType: "consumer";
  state: ConsumerGroupState;
  groupType: "consumer";
}

export interface ConsumerGroupCoordinatorOptions {
  config?: Partial<ConsumerGroupConfig>;
  /** A fresh random UUID string per call, for members that join without an id of their own. */
  newUuid: () => string;
  /** The cluster's current topics, read on every heartbeat so new partitions are picked up. */
  topics: TopicLookup;
  /** Each group's own session timeout and heartbeat interval, where its configs set them. */
  groupConfig?: GroupConfigLookup;
}

const noGroupConfig: GroupConfigLookup = () => ({});

export class ConsumerGroupCoordinator {
  readonly config: ConsumerGroupConfig;
  private readonly newUuid: () => string;
  private readonly topics: TopicLookup;
  private readonly groupConfig: GroupConfigLookup;
  private readonly groups = new Map<string, ConsumerGroup>();

  constructor(options: ConsumerGroupCoordinatorOptions) {
    this.config = { ...defaultConsumerGroupConfig, ...options.config };
    this.newUuid = options.newUuid;
    this.topics = options.topics;
    this.groupConfig = options.groupConfig ?? noGroupConfig;
  }

  /** The coordinator's settings with the group's own (KIP-848 group configs) over them. */
  configFor(groupId: string): ConsumerGroupConfig {
    const own = this.groupConfig(groupId);
    if (own.sessionTimeoutMs === undefined && own.heartbeatIntervalMs === undefined) return this.config;
    return { ...this.config, ...own };
  }

  /** The ids of this partition's consumer groups: the classic coordinator must refuse them. */
  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  /** True for a consumer group without members (the classic protocol may then take the id over). */
  isEmpty(groupId: string): boolean {
    return (this.groups.get(groupId)?.members.size ?? 0) === 0;
  }

  /** The topics some member of the group subscribes to: their offsets may not be deleted. */
  subscribedTopicNames(groupId: string): Set<string> {
    const names = new Set<string>();
    for (const member of this.groups.get(groupId)?.members.values() ?? [])
      for (const name of member.subscribedTopicNames) names.add(name);
    return names;
  }

  /** ListGroups' view, filtered as Kafka does: states and types compared case-insensitively. */
  listGroups(filter: { states?: readonly string[]; types?: readonly string[] } = {}): ListedConsumerGroup[] {
    const states = new Set((filter.states ?? []).map((state) => state.toLowerCase()));
    const types = new Set((filter.types ?? []).map((type) => type.toLowerCase()));
    if (types.size > 0 && !types.has("consumer")) return [];
    const listed: ListedConsumerGroup[] = [];
    for (const group of this.groups.values()) {
      const state = group.state();
      if (states.size > 0 && !states.has(state.toLowerCase())) continue;
      listed.push({ groupId: group.groupId, protocolType: "consumer", state, groupType: "consumer" });
    }
    return listed;
  }

  /**
   * DeleteGroups (and a classic JoinGroup taking over an empty group): only an Empty group may go; its
   * tombstones follow Kafka's ConsumerGroup.createGroupTombstoneRecords order.
   */
  deleteGroup(groupId: string): {
    error: "NONE" | "GROUP_ID_NOT_FOUND" | "NON_EMPTY_GROUP";
    records: ConsumerGroupRecord[];
  } {
    const group = this.groups.get(groupId);
    if (group === undefined) return { error: "GROUP_ID_NOT_FOUND", records: [] };
    if (group.members.size > 0) return { error: "NON_EMPTY_GROUP", records: [] };
    const records: ConsumerGroupRecord[] = [
      { type: "TargetAssignmentMetadata", groupId, value: null },
      { type: "PartitionMetadata", groupId, value: null },
      { type: "GroupMetadata", groupId, value: null },
    ];
    for (const record of records) this.replay(record);
    return { error: "NONE", records };
  }

  heartbeat(input: ConsumerGroupHeartbeatInput, nowMs: number): HeartbeatResult {
    const records: ConsumerGroupRecord[] = [];
    const config = this.configFor(input.groupId);
    try {
      validateHeartbeat(input, config);
      const isLeave = input.memberEpoch === leaveEpoch || input.memberEpoch === staticLeaveEpoch;
      const group =
        this.groups.get(input.groupId) ??
        (isLeave || input.memberEpoch > 0 ? undefined : new ConsumerGroup(input.groupId));
      if (group === undefined)
        throw new HeartbeatError("GROUP_ID_NOT_FOUND", `Consumer group ${input.groupId} not found.`);
      const ctx = { group, config, topics: this.topics, nowMs, records, newUuid: this.newUuid };
      const response = isLeave ? leave(ctx, input) : heartbeatMember(ctx, input);
      this.groups.set(group.groupId, group);
      return { response, records };
    } catch (error) {
      if (!(error instanceof HeartbeatError)) throw error;
      // A rejected request changes nothing: the checks that can fail run before the first record.
      return { response: errorResponse(error, config), records };
    }
  }

  /** Removes every member whose session expired or who failed to revoke in time. */
  tick(nowMs: number): ConsumerGroupRecord[] {
    const records: ConsumerGroupRecord[] = [];
    for (const group of this.groups.values()) {
      const config = this.configFor(group.groupId);
      const ctx: ChangeContext = { group, config, topics: this.topics, nowMs, records };
      for (const member of [...group.members.values()]) {
        const revocationLate = member.revocationDeadlineMs !== null && member.revocationDeadlineMs <= nowMs;
        if (member.sessionDeadlineMs <= nowMs || revocationLate) removeMember(ctx, member);
      }
    }
    return records;
  }

  /** The earliest time tick() has work to do, for the driver's timer. */
  nextDeadlineMs(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) {
        earliest = Math.min(earliest, member.sessionDeadlineMs, member.revocationDeadlineMs ?? earliest);
      }
    }
    return earliest;
  }

  /**
   * Whether an OffsetCommit (v9+ sends the member epoch as its generation) may commit for this consumer
   * group, as Kafka's ConsumerGroup.validateOffsetCommit decides; null when no consumer group has this id,
   * so the classic coordinator handles it. Epoch -1 is an admin or manual-assignment commit, allowed only
   * while the group has no members. The member's own epoch commits anything and a newer one nothing; an
   * older one (its epoch was bumped while the commit was on its way) is judged per partition (KIP-1251):
   * the member must still hold the partition, and have held it since that epoch.
   */
  validateOffsetCommit(
    groupId: string,
    memberId: string,
    memberEpoch: number,
    apiVersion = offsetCommitMemberEpochVersionMin,
  ): OffsetCommitValidation | null {
    const group = this.groups.get(groupId);
    if (group === undefined) return null;
    if (memberEpoch < 0 && group.members.size === 0) return "NONE";
    const member = group.members.get(memberId);
    if (member === undefined) return "UNKNOWN_MEMBER_ID";
    // Members of the consumer protocol commit with their epoch, which OffsetCommit carries from v9.
    if (apiVersion < offsetCommitMemberEpochVersionMin) return "UNSUPPORTED_VERSION";
    if (memberEpoch === member.memberEpoch) return "NONE";
    if (memberEpoch > member.memberEpoch) return "STALE_MEMBER_EPOCH";
    return (topicName, partition) => {
      const topicId = this.topics(topicName)?.topicId;
      const assignedAt =
        topicId === undefined ? undefined : member.assignmentEpochs.get(partitionKey(topicId, partition));
      return assignedAt !== undefined && assignedAt <= memberEpoch ? "NONE" : "STALE_MEMBER_EPOCH";
    };
  }

  /**
   * Whether an OffsetFetch (v9+ may name the member and its epoch) may read this group's offsets, as
   * Kafka's ConsumerGroup.validateOffsetFetch decides; null when no consumer group has this id.
   */
  validateOffsetFetch(
    groupId: string,
    memberId: string | null,
    memberEpoch: number,
  ): OffsetValidationError | null {
    const group = this.groups.get(groupId);
    if (group === undefined) return null;
    // No member and no epoch: the admin client, or a client that does not say.
    if (memberId === null && memberEpoch < 0) return "NONE";
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (member === undefined) return "UNKNOWN_MEMBER_ID";
    return member.memberEpoch === memberEpoch ? "NONE" : "STALE_MEMBER_EPOCH";
  }

  describe(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return groupIds.map((groupId) => describeGroup(groupId, this.groups.get(groupId), this.config));
  }

  /** Applies one record read back from the partition (on becoming its leader). */
  replay(record: ConsumerGroupRecord): void {
    const group = this.groups.get(record.groupId) ?? new ConsumerGroup(record.groupId);
    group.apply(record);
    // The group epoch's tombstone is the last record of a deleted group, as in Kafka's replay.
    if (record.type === "GroupMetadata" && record.value === null) {
      assert(group.members.size === 0, `group ${record.groupId} deleted with members`);
      this.groups.delete(record.groupId);
      return;
    }
    this.groups.set(record.groupId, group);
  }

  /** After replay: every member gets a fresh session, as Kafka does on loading a partition. */
  loaded(nowMs: number): void {
    for (const group of this.groups.values()) {
      const { sessionTimeoutMs } = this.configFor(group.groupId);
      for (const member of group.members.values()) member.sessionDeadlineMs = nowMs + sessionTimeoutMs;
    }
  }
}

function leave(ctx: ChangeContext, input: ConsumerGroupHeartbeatInput): ConsumerGroupHeartbeatResponse {
  const member = identifiedMember(ctx, input);
  if (input.memberEpoch === staticLeaveEpoch) leaveTemporarily(ctx, member);
  else removeMember(ctx, member);
  return {
    error: "NONE",
    errorMessage: null,
    memberId: input.memberId,
    memberEpoch: input.memberEpoch,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
}

/** A static member keeps its partitions (nobody else gets them) until it is back or its session ends. */
function leaveTemporarily(ctx: ChangeContext, member: ConsumerGroupMember): void {
  if (member.memberEpoch === staticLeaveEpoch) return;
  writeCurrentAssignment(ctx, member.memberId, {
    ...member,
    memberEpoch: staticLeaveEpoch,
    previousMemberEpoch: member.memberEpoch,
  });
}

function errorResponse(error: HeartbeatError, config: ConsumerGroupConfig): ConsumerGroupHeartbeatResponse {
  return {
    error: error.errorName,
    errorMessage: error.message,
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    assignment: null,
  };
}
