// One ConsumerGroupHeartbeat against one group: validate, find or create the member, record what changed
// (subscription, assignor, topics → new group epoch → new target assignment), reconcile the member toward
// its target, and answer with its epoch and, when it changed or the request was full, its assignment.

import { assert } from "../../base/assert.ts";
import {
  type Assignment,
  assignmentsEqual,
  emptyAssignment,
  fromTopicPartitions,
  intersect,
  noAssignmentEpochs,
  partitionCount,
  toTopicPartitions,
} from "./assignment.ts";
import type { ConsumerGroupMember } from "./consumer-group.ts";
import type { ConsumerGroupConfig } from "./consumer-group-config.ts";
import type {
  ConsumerGroupErrorName,
  ConsumerGroupHeartbeatInput,
  ConsumerGroupHeartbeatResponse,
  MemberMetadataValue,
} from "./consumer-group-types.ts";
import { joinEpoch, staticLeaveEpoch } from "./consumer-group-types.ts";
import {
  bumpGroupEpoch,
  type ChangeContext,
  emit,
  refreshSubscribedTopics,
  updateTargetAssignment,
  writeCurrentAssignment,
} from "./group-changes.ts";
import { reconcile } from "./reconcile.ts";

export class HeartbeatError extends Error {
  constructor(
    readonly errorName: ConsumerGroupErrorName,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Kafka's request checks (GroupCoordinatorService.throwIfConsumerGroupHeartbeatRequestIsInvalid), before any
 * state is looked at.
 */
export function validateHeartbeat(input: ConsumerGroupHeartbeatInput, config: ConsumerGroupConfig): void {
  const invalid = (message: string): never => {
    throw new HeartbeatError("INVALID_REQUEST", message);
  };
  if (input.groupId === "") invalid("GroupId can't be empty.");
  if (input.instanceId === "") invalid("InstanceId can't be empty.");
  if (input.rackId === "") invalid("RackId can't be empty.");
  if (input.subscribedTopicRegex !== null) invalid("SubscribedTopicRegex is not supported.");
  if (input.memberEpoch < staticLeaveEpoch) invalid(`MemberEpoch ${input.memberEpoch} is invalid.`);
  if (input.memberEpoch === joinEpoch) {
    if (input.rebalanceTimeoutMs === -1) invalid("RebalanceTimeoutMs must be provided in first request.");
    if (input.topicPartitions === null || input.topicPartitions.length > 0) {
      invalid("TopicPartitions must be empty when (re-)joining.");
    }
    if (input.subscribedTopicNames === null) invalid("SubscribedTopicNames must be set in first request.");
  } else if (input.memberId === "") {
    invalid("MemberId can't be empty.");
  }
  if (input.memberEpoch === staticLeaveEpoch && input.instanceId === null) {
    invalid("InstanceId can't be null when leaving temporarily.");
  }
  if (input.serverAssignor !== null && !config.assignors.some((name) => name === input.serverAssignor)) {
    throw new HeartbeatError(
      "UNSUPPORTED_ASSIGNOR",
      `ServerAssignor ${input.serverAssignor} is not supported.`,
    );
  }
}

export interface HeartbeatContext extends ChangeContext {
  newUuid: () => string;
}

export function heartbeatMember(
  ctx: HeartbeatContext,
  input: ConsumerGroupHeartbeatInput,
): ConsumerGroupHeartbeatResponse {
  const member = input.memberEpoch === joinEpoch ? joiningMember(ctx, input) : knownMember(ctx, input);
  const before = member.assigned;
  const metadataChanged = writeMemberMetadata(ctx, member, input);
  const topicsChanged = refreshSubscribedTopics(ctx);
  if (metadataChanged || topicsChanged) bumpGroupEpoch(ctx);
  updateTargetAssignment(ctx);
  const updated = reconcileMember(ctx, member.memberId, input);
  const isFull =
    input.memberEpoch === joinEpoch ||
    (input.rebalanceTimeoutMs !== -1 &&
      input.subscribedTopicNames !== null &&
      input.topicPartitions !== null);
  const changed = !assignmentsEqual(before, updated.assigned);
  return {
    error: "NONE",
    errorMessage: null,
    memberId: updated.memberId,
    memberEpoch: updated.memberEpoch,
    heartbeatIntervalMs: ctx.config.heartbeatIntervalMs,
    assignment: isFull || changed ? toTopicPartitions(updated.assigned) : null,
  };
}

/** memberEpoch 0: a new member, a member rejoining after being fenced, or a static member coming back. */
function joiningMember(ctx: HeartbeatContext, input: ConsumerGroupHeartbeatInput): ConsumerGroupMember {
  const { group } = ctx;
  const memberId = input.memberId === "" ? ctx.newUuid() : input.memberId;
  const previous = input.instanceId === null ? undefined : group.memberByInstanceId(input.instanceId);
  if (previous !== undefined && previous.memberId !== memberId)
    return replaceStaticMember(ctx, previous, memberId);
  const existing = group.members.get(memberId);
  if (existing !== undefined) {
    // A member rejoining with epoch 0 has dropped its partitions; they are free for others again.
    writeCurrentAssignment(ctx, memberId, {
      ...existing,
      memberEpoch: 0,
      previousMemberEpoch: 0,
      state: "STABLE",
      assigned: emptyAssignment,
      pendingRevocation: emptyAssignment,
      assignmentEpochs: noAssignmentEpochs,
    });
    return existing;
  }
  if (group.members.size >= ctx.config.groupMaxSize) {
    throw new HeartbeatError(
      "GROUP_MAX_SIZE_REACHED",
      `The group has reached its maximum size of ${ctx.config.groupMaxSize}.`,
    );
  }
  emit(ctx, {
    type: "MemberMetadata",
    groupId: group.groupId,
    memberId,
    value: metadataOf(input, undefined),
  });
  const created = group.members.get(memberId);
  assert(created !== undefined, "a MemberMetadata record creates its member");
  return created;
}

/** A static member back from a temporary leave takes over its predecessor's assignment and epoch. */
function replaceStaticMember(
  ctx: HeartbeatContext,
  previous: ConsumerGroupMember,
  memberId: string,
): ConsumerGroupMember {
  if (previous.memberEpoch !== staticLeaveEpoch) {
    throw new HeartbeatError("UNRELEASED_INSTANCE_ID", `Static member ${previous.instanceId} has not left.`);
  }
  const { groupId } = ctx.group;
  const target = ctx.group.targetAssignment.get(previous.memberId) ?? emptyAssignment;
  const kept = { ...previous, memberEpoch: previous.previousMemberEpoch };
  const metadata: MemberMetadataValue = { ...pickMetadata(previous) };
  emit(ctx, { type: "CurrentMemberAssignment", groupId, memberId: previous.memberId, value: null });
  emit(ctx, { type: "TargetAssignmentMember", groupId, memberId: previous.memberId, value: null });
  emit(ctx, { type: "MemberMetadata", groupId, memberId: previous.memberId, value: null });
  emit(ctx, { type: "MemberMetadata", groupId, memberId, value: metadata });
  emit(ctx, {
    type: "TargetAssignmentMember",
    groupId,
    memberId,
    value: { topicPartitions: toTopicPartitions(target) },
  });
  writeCurrentAssignment(ctx, memberId, kept);
  const member = ctx.group.members.get(memberId);
  assert(member !== undefined, "a MemberMetadata record creates its member");
  return member;
}

function knownMember(ctx: HeartbeatContext, input: ConsumerGroupHeartbeatInput): ConsumerGroupMember {
  const member = identifiedMember(ctx, input);
  checkEpoch(member, input);
  return member;
}

/**
 * The member a heartbeat or a leave names, if the group has it and it is the instance it claims to be;
 * UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID otherwise, as Kafka answers.
 */
export function identifiedMember(
  ctx: ChangeContext,
  input: Pick<ConsumerGroupHeartbeatInput, "memberId" | "instanceId">,
): ConsumerGroupMember {
  const member = ctx.group.members.get(input.memberId);
  if (member === undefined) {
    throw new HeartbeatError(
      "UNKNOWN_MEMBER_ID",
      `Member ${input.memberId} is not a member of ${ctx.group.groupId}.`,
    );
  }
  if (input.instanceId !== null && member.instanceId !== input.instanceId) {
    throw new HeartbeatError(
      "FENCED_INSTANCE_ID",
      `Member ${input.memberId} is not instance ${input.instanceId}.`,
    );
  }
  return member;
}

/** A member one epoch behind is accepted if it owns no more than it is assigned: the answer may have been lost. */
function checkEpoch(member: ConsumerGroupMember, input: ConsumerGroupHeartbeatInput): void {
  if (input.memberEpoch === member.memberEpoch) return;
  const owned = input.topicPartitions === null ? null : fromTopicPartitions(input.topicPartitions);
  const isSubset =
    owned !== null && partitionCount(intersect(owned, member.assigned)) === partitionCount(owned);
  if (input.memberEpoch < member.memberEpoch && input.memberEpoch === member.previousMemberEpoch && isSubset)
    return;
  throw new HeartbeatError(
    "FENCED_MEMBER_EPOCH",
    `The member epoch ${input.memberEpoch} does not match the expected ${member.memberEpoch}.`,
  );
}

function pickMetadata(member: MemberMetadataValue): MemberMetadataValue {
  const {
    instanceId,
    rackId,
    clientId,
    clientHost,
    subscribedTopicNames,
    serverAssignor,
    rebalanceTimeoutMs,
  } = member;
  return {
    instanceId,
    rackId,
    clientId,
    clientHost,
    subscribedTopicNames: [...subscribedTopicNames],
    serverAssignor,
    rebalanceTimeoutMs,
  };
}

/** The member's metadata after this request: null fields and -1 mean "unchanged". */
function metadataOf(
  input: ConsumerGroupHeartbeatInput,
  current: MemberMetadataValue | undefined,
): MemberMetadataValue {
  return {
    instanceId: input.instanceId ?? current?.instanceId ?? null,
    rackId: input.rackId ?? current?.rackId ?? null,
    clientId: input.clientId,
    clientHost: input.clientHost,
    subscribedTopicNames: [...(input.subscribedTopicNames ?? current?.subscribedTopicNames ?? [])].sort(),
    serverAssignor: input.serverAssignor ?? current?.serverAssignor ?? null,
    rebalanceTimeoutMs:
      input.rebalanceTimeoutMs === -1 ? (current?.rebalanceTimeoutMs ?? 0) : input.rebalanceTimeoutMs,
  };
}

/** Writes the member's metadata if it changed; true when the change needs a new target assignment. */
function writeMemberMetadata(
  ctx: HeartbeatContext,
  member: ConsumerGroupMember,
  input: ConsumerGroupHeartbeatInput,
): boolean {
  const current = pickMetadata(member);
  const next = metadataOf(input, current);
  const isNew = !ctx.group.targetAssignment.has(member.memberId);
  if (JSON.stringify(next) !== JSON.stringify(current)) {
    emit(ctx, { type: "MemberMetadata", groupId: ctx.group.groupId, memberId: member.memberId, value: next });
  }
  const subscriptionChanged =
    JSON.stringify(next.subscribedTopicNames) !== JSON.stringify(current.subscribedTopicNames);
  return isNew || subscriptionChanged || next.serverAssignor !== current.serverAssignor;
}

function reconcileMember(
  ctx: HeartbeatContext,
  memberId: string,
  input: ConsumerGroupHeartbeatInput,
): ConsumerGroupMember {
  const { group } = ctx;
  const member = group.members.get(memberId);
  assert(member !== undefined, "the member being reconciled exists");
  const next = reconcile({
    current: member,
    targetEpoch: group.assignmentEpoch,
    target: group.targetAssignment.get(memberId) ?? emptyAssignment,
    owned: input.topicPartitions === null ? null : fromTopicPartitions(input.topicPartitions),
    isFree: (topicId, partition) => {
      const holder = group.holderOf(topicId, partition);
      return holder === undefined || holder === memberId;
    },
  });
  if (!sameAssignmentState(member, next)) writeCurrentAssignment(ctx, memberId, next);
  member.sessionDeadlineMs = ctx.nowMs + ctx.config.sessionTimeoutMs;
  if (member.state !== "UNREVOKED_PARTITIONS") member.revocationDeadlineMs = null;
  else member.revocationDeadlineMs ??= ctx.nowMs + member.rebalanceTimeoutMs;
  return member;
}

function sameAssignmentState(
  a: ConsumerGroupMember,
  b: {
    memberEpoch: number;
    previousMemberEpoch: number;
    state: string;
    assigned: Assignment;
    pendingRevocation: Assignment;
  },
): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    assignmentsEqual(a.assigned, b.assigned) &&
    assignmentsEqual(a.pendingRevocation, b.pendingRevocation)
  );
}
