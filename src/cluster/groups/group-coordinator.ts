// The classic group coordinator of one __consumer_offsets partition: every group it owns, their committed
// offsets, and the routing of requests to them. Pure: time comes in as nowMs, member ids draw on an
// injected random source, and every change that must survive a restart leaves as a record to append
// before the responses go out. JoinGroup and SyncGroup may be parked; their answers come back later, from
// another request or from tick(), as completions carrying the caller's request token.

import { assert } from "../../base/assert.ts";
import { ClassicGroup, joinError, type Step, syncError } from "./group.ts";
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from "./group-config.ts";
import type { GroupMetadataValue, GroupRecord } from "./group-records.ts";
import {
  type Answer,
  type DeletedPartitions,
  type DescribedGroup,
  deadGroup,
  type GroupErrorName,
  type GroupSnapshot,
  type GroupState,
  type HeartbeatInput,
  type JoinGroupInput,
  type JoinGroupResponse,
  type LeaveGroupInput,
  type LeaveGroupResponse,
  type ListedGroup,
  type OffsetCommitInput,
  type OffsetCommitResponse,
  type OffsetDeleteInput,
  type OffsetDeleteResponse,
  type OffsetFetchInput,
  type OffsetFetchResponse,
  type Protocol,
  type RequestToken,
  type Result,
  type StepOutput,
  type SyncGroupInput,
  type SyncGroupResponse,
} from "./group-types.ts";
import {
  acceptsJoiningMember,
  answerJoin,
  type JoinContext,
  joinExistingMember,
  joinNewMember,
} from "./join-group.ts";
import { heartbeat, leaveGroup, syncGroup } from "./member-requests.ts";
import {
  commitOffsets,
  deleteAllOffsets,
  deleteGroup,
  deleteOffsets,
  deleteOffsetsOfPartitions,
  deleteUnsubscribedOffsets,
  expireOffsets,
  fetchOffsets,
  type OffsetContext,
  type PartitionCommitCheck,
} from "./offset-requests.ts";
import { OffsetStore } from "./offsets.ts";
import { fireDeadlines, prepareRebalance, scheduleHeartbeat } from "./rebalance.ts";

export interface GroupCoordinatorOptions {
  config?: Partial<GroupCoordinatorConfig>;
  /** A fresh random UUID string per call: the tail of every member id handed out. */
  newUuid: () => string;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly newUuid: () => string;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly offsets = new OffsetStore();

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...defaultGroupCoordinatorConfig, ...options.config };
    this.newUuid = options.newUuid;
  }

  joinGroup(input: JoinGroupInput, nowMs: number): Answer<JoinGroupResponse> {
    const step = newStep(nowMs);
    this.join({ ...input, protocols: uniqueByName(input.protocols) }, step);
    return takeAnswer(step, "join", input.requestToken);
  }

  syncGroup(input: SyncGroupInput, nowMs: number): Answer<SyncGroupResponse> {
    const step = newStep(nowMs);
    const group = this.groups.get(input.groupId);
    if (input.groupId === "") answerSync(step, input.requestToken, "INVALID_GROUP_ID");
    else if (group === undefined) answerSync(step, input.requestToken, "UNKNOWN_MEMBER_ID");
    else syncGroup(group, input, step);
    return takeAnswer(step, "sync", input.requestToken);
  }

  heartbeat(input: HeartbeatInput, nowMs: number): { error: GroupErrorName } {
    if (input.groupId === "") return { error: "INVALID_GROUP_ID" };
    const group = this.groups.get(input.groupId);
    if (group === undefined) return { error: "UNKNOWN_MEMBER_ID" };
    return { error: heartbeat(group, input, newStep(nowMs)) };
  }

  leaveGroup(input: LeaveGroupInput, nowMs: number): Result<LeaveGroupResponse> {
    const step = newStep(nowMs);
    const group = this.groups.get(input.groupId);
    const response: LeaveGroupResponse =
      group === undefined
        ? { error: input.groupId === "" ? "INVALID_GROUP_ID" : "UNKNOWN_MEMBER_ID", members: [] }
        : leaveGroup(group, input, step, this.config);
    return { response, records: step.records, completions: step.completions };
  }

  commitOffsets(input: OffsetCommitInput, nowMs: number): Result<OffsetCommitResponse> {
    const step = newStep(nowMs);
    const response = commitOffsets(this.offsetContext(step), input);
    return { response, records: step.records, completions: step.completions };
  }

  /**
   * Commits offsets of a consumer (KIP-848) group, which its own coordinator has validated: they live in
   * the same store as every other group's, and no classic group is created for them.
   */
  storeOffsets(
    input: OffsetCommitInput,
    nowMs: number,
    partitionError?: PartitionCommitCheck,
  ): Result<OffsetCommitResponse> {
    const step = newStep(nowMs);
    const response = commitOffsets(this.offsetContext(step), input, { ownedElsewhere: true, partitionError });
    return { response, records: step.records, completions: step.completions };
  }

  /** OffsetDelete for a consumer group: offsets of the topics it subscribes to stay. */
  deleteOffsetsOfConsumerGroup(
    input: OffsetDeleteInput,
    subscribedTopics: ReadonlySet<string>,
    nowMs: number,
  ): Result<OffsetDeleteResponse> {
    const step = newStep(nowMs);
    const response = deleteUnsubscribedOffsets(this.offsetContext(step), input, subscribedTopics);
    return { response, records: step.records, completions: step.completions };
  }

  /** Deletes every committed offset of a group (a consumer group being deleted). */
  deleteAllOffsets(groupId: string, nowMs: number): StepOutput {
    const step = newStep(nowMs);
    deleteAllOffsets(this.offsetContext(step), groupId);
    return { records: step.records, completions: step.completions };
  }

  /** Deletes every group's offsets of partitions the metadata no longer has (a topic was deleted). */
  deletePartitionOffsets(deleted: readonly DeletedPartitions[], nowMs: number): StepOutput {
    const step = newStep(nowMs);
    deleteOffsetsOfPartitions(this.offsetContext(step), deleted);
    return { records: step.records, completions: step.completions };
  }

  /**
   * Gives up an Empty classic group's id to a consumer group, as Kafka's maybeDeleteEmptyClassicGroup
   * does: the group's tombstone is written, its offsets stay.
   */
  releaseEmptyGroup(groupId: string, nowMs: number): StepOutput {
    const step = newStep(nowMs);
    this.forgetEmptyGroup(groupId);
    step.records.push({ kind: "group-metadata", groupId, value: null });
    return { records: step.records, completions: step.completions };
  }

  /** Drops, writing nothing, a simple group that replayed offset commits rebuilt for a consumer group's id. */
  forgetEmptyGroup(groupId: string): void {
    const group = this.groups.get(groupId);
    assert(group !== undefined && group.state === "Empty", `group ${groupId} is not an Empty classic group`);
    this.groups.delete(groupId);
  }

  fetchOffsets(input: OffsetFetchInput): OffsetFetchResponse {
    return fetchOffsets(this.offsetContext(newStep(0)), input);
  }

  deleteOffsets(input: OffsetDeleteInput, nowMs: number): Result<OffsetDeleteResponse> {
    const step = newStep(nowMs);
    const response = deleteOffsets(this.offsetContext(step), input);
    return { response, records: step.records, completions: step.completions };
  }

  deleteGroups(
    groupIds: readonly string[],
    nowMs: number,
  ): Result<{ groupId: string; error: GroupErrorName }[]> {
    const step = newStep(nowMs);
    const context = this.offsetContext(step);
    const response = groupIds.map((groupId) => ({ groupId, error: deleteGroup(context, groupId) }));
    return { response, records: step.records, completions: step.completions };
  }

  /**
   * Runs offset retention (Kafka does so every offsets.retention.check.interval.ms); `keep` spares offsets the
   * caller knows to be in use (a consumer group's subscribed topics).
   */
  expireOffsets(nowMs: number, keep?: (groupId: string, topic: string) => boolean): StepOutput {
    const step = newStep(nowMs);
    expireOffsets(this.offsetContext(step), keep);
    return { records: step.records, completions: step.completions };
  }

  /** Fires every deadline that nowMs has reached: session expiries, ends of join phases, sync timeouts. */
  tick(nowMs: number): StepOutput {
    const step = newStep(nowMs);
    for (const group of [...this.groups.values()]) {
      const deadlineMs = group.nextDeadlineMs();
      if (deadlineMs !== null && deadlineMs <= nowMs) fireDeadlines(group, step, this.config);
    }
    return { records: step.records, completions: step.completions };
  }

  /** The earliest time tick() has something to do, or null. */
  nextDeadlineMs(): number | null {
    let next: number | null = null;
    for (const group of this.groups.values()) {
      const deadlineMs = group.nextDeadlineMs();
      if (deadlineMs !== null && (next === null || deadlineMs < next)) next = deadlineMs;
    }
    return next;
  }

  listGroups(filter: { states?: readonly string[]; types?: readonly string[] } = {}): ListedGroup[] {
    const states = new Set((filter.states ?? []).map((state) => state.toLowerCase()));
    const types = new Set((filter.types ?? []).map((type) => type.toLowerCase()));
    if (types.size > 0 && !types.has("classic")) return [];
    const listed: ListedGroup[] = [];
    for (const group of this.groups.values()) {
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
      listed.push({
        groupId: group.groupId,
        protocolType: group.protocolType ?? "",
        state: group.state,
        groupType: "classic",
      });
    }
    return listed;
  }

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => this.describe(groupId));
  }

  inspectGroup(groupId: string): GroupSnapshot | null {
    const group = this.groups.get(groupId);
    if (group === undefined) return null;
    return {
      groupId,
      state: group.state,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        sessionTimeoutMs: member.sessionTimeoutMs,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        protocols: member.protocols,
        assignment: member.assignment,
      })),
    };
  }

  /** Applies one record of the __consumer_offsets partition while loading it. */
  replay(record: GroupRecord): void {
    if (record.kind === "offset-commit") {
      const { groupId, topic, partition } = record.key;
      if (record.value === null) {
        this.offsets.delete(groupId, topic, partition);
        return;
      }
      this.offsets.put(groupId, topic, partition, record.value);
      // Offsets without group metadata belong to a simple group (a consumer outside group management).
      if (!this.groups.has(groupId)) this.groups.set(groupId, new ClassicGroup(groupId, null));
      return;
    }
    if (record.value === null) this.groups.delete(record.groupId);
    else this.groups.set(record.groupId, loadGroup(record.groupId, record.value));
  }

  /** After replay: loaded members get a fresh session, and groups above the size limit rebalance. */
  onLoadComplete(nowMs: number): StepOutput {
    const step = newStep(nowMs);
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) scheduleHeartbeat(member, step);
      if (group.state === "Stable" && group.members.size > this.config.groupMaxSize) {
        prepareRebalance(group, step, this.config);
      }
    }
    return { records: step.records, completions: step.completions };
  }

  private join(input: JoinGroupInput, step: Step): void {
    if (input.groupId === "") {
      answerJoin(step, input, joinError(input.memberId, "INVALID_GROUP_ID"));
      return;
    }
    const { sessionTimeoutMsMin, sessionTimeoutMsMax } = this.config;
    if (input.sessionTimeoutMs < sessionTimeoutMsMin || input.sessionTimeoutMs > sessionTimeoutMsMax) {
      answerJoin(step, input, joinError(input.memberId, "INVALID_SESSION_TIMEOUT"));
      return;
    }
    const isUnknownMember = input.memberId === "";
    let group = this.groups.get(input.groupId);
    const isNewGroup = group === undefined;
    if (group === undefined) {
      // A member id can only have come from this group: without the group it is unknown.
      if (!isUnknownMember) {
        answerJoin(step, input, joinError(input.memberId, "UNKNOWN_MEMBER_ID"));
        return;
      }
      group = new ClassicGroup(input.groupId, step.nowMs);
      this.groups.set(input.groupId, group);
    }
    const context: JoinContext = { step, config: this.config, newUuid: this.newUuid };
    if (!acceptsJoiningMember(group, input.memberId, this.config.groupMaxSize)) {
      group.remove(input.memberId);
      answerJoin(step, input, joinError("", "GROUP_MAX_SIZE_REACHED"));
    } else if (isUnknownMember) {
      joinNewMember(group, input, context);
    } else {
      joinExistingMember(group, input, context);
    }
    // Kafka records a group the moment it exists, so that a new coordinator knows of it too.
    if (isNewGroup && step.records.length === 0) {
      step.records.push({ kind: "group-metadata", groupId: group.groupId, value: emptyGroupValue(group) });
    }
  }

  private describe(groupId: string): DescribedGroup {
    const group = this.groups.get(groupId);
    if (group === undefined) return deadGroup(groupId);
    const stable = group.state === "Stable";
    return {
      groupId,
      error: "NONE",
      state: group.state,
      protocolType: group.protocolType ?? "",
      protocolName: stable ? (group.protocolName ?? "") : "",
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        metadata: stable ? group.metadataOf(member) : new Uint8Array(0),
        assignment: stable ? member.assignment : new Uint8Array(0),
      })),
    };
  }

  private offsetContext(step: Step): OffsetContext {
    return { groups: this.groups, offsets: this.offsets, config: this.config, step };
  }
}

function newStep(nowMs: number): Step {
  return { nowMs, records: [], completions: [] };
}

function answerSync(step: Step, requestToken: RequestToken, error: GroupErrorName): void {
  step.completions.push({ kind: "sync", requestToken, response: syncError(error) });
}

/** Splits the current request's own answer (if it has one yet) from the completions of parked requests. */
function takeAnswer<Kind extends "join" | "sync">(
  step: Step,
  kind: Kind,
  requestToken: RequestToken,
): Answer<Kind extends "join" ? JoinGroupResponse : SyncGroupResponse> {
  // The last match: an earlier completion with the same token would be a parked retry being let go.
  let index = -1;
  step.completions.forEach((completion, position) => {
    if (completion.kind === kind && completion.requestToken === requestToken) index = position;
  });
  const own = index === -1 ? null : step.completions.splice(index, 1)[0];
  const response = (own?.response ?? null) as
    | (Kind extends "join" ? JoinGroupResponse : SyncGroupResponse)
    | null;
  return { response, records: step.records, completions: step.completions };
}

function uniqueByName(protocols: readonly Protocol[]): Protocol[] {
  const seen = new Set<string>();
  return protocols.filter((protocol) => !seen.has(protocol.name) && seen.add(protocol.name));
}

function emptyGroupValue(group: ClassicGroup): GroupMetadataValue {
  return {
    protocolType: group.protocolType ?? "",
    generationId: group.generationId,
    protocolName: null,
    leader: null,
    currentStateTimestampMs: group.currentStateTimestampMs ?? -1,
    members: [],
  };
}

function loadGroup(groupId: string, value: GroupMetadataValue): ClassicGroup {
  const loadedAtMs = value.currentStateTimestampMs === -1 ? null : value.currentStateTimestampMs;
  const group = new ClassicGroup(groupId, loadedAtMs);
  const protocolType = value.protocolType === "" ? null : value.protocolType;
  for (const member of value.members) {
    group.add({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeoutMs:
        member.rebalanceTimeoutMs === -1 ? member.sessionTimeoutMs : member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
      protocolType: value.protocolType,
      protocols: [{ name: value.protocolName ?? "", metadata: member.subscription }],
      assignment: member.assignment,
      awaitingJoin: null,
      awaitingSync: null,
      isNew: false,
      heartbeatDeadlineMs: null,
    });
  }
  const state: GroupState = value.members.length > 0 ? "Stable" : "Empty";
  group.state = state;
  group.generationId = value.generationId;
  group.protocolType = protocolType;
  group.protocolName = value.protocolName;
  group.leaderId = value.leader;
  group.subscribedTopics = group.computeSubscribedTopics();
  group.currentStateTimestampMs = loadedAtMs;
  return group;
}
