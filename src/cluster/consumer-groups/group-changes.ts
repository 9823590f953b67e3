// The durable changes a request makes to a consumer group, each emitted as a record and applied through
// the group (so live state equals replayed state): epoch bumps, subscription refresh, target assignment,
// member updates and removal.

import {
  type Assignment,
  assignmentsEqual,
  emptyAssignment,
  toTopicPartitions,
  withAssignmentEpochs,
} from "./assignment.ts";
import type { Assignor, AssignorName } from "./assignor.ts";
import type { ConsumerGroup, ConsumerGroupMember } from "./consumer-group.ts";
import type { ConsumerGroupConfig } from "./consumer-group-config.ts";
import type { ConsumerGroupRecord, SubscribedTopic, TopicLookup } from "./consumer-group-types.ts";
import { rangeAssign } from "./range-assignor.ts";
import type { MemberAssignment } from "./reconcile.ts";
import { uniformAssign } from "./uniform-assignor.ts";

export interface ChangeContext {
  group: ConsumerGroup;
  config: ConsumerGroupConfig;
  topics: TopicLookup;
  nowMs: number;
  records: ConsumerGroupRecord[];
}

const assignors: Record<AssignorName, Assignor> = { uniform: uniformAssign, range: rangeAssign };

export function emit(ctx: ChangeContext, record: ConsumerGroupRecord): void {
  ctx.group.apply(record);
  ctx.records.push(record);
}

export function bumpGroupEpoch(ctx: ChangeContext): void {
  const { group } = ctx;
  emit(ctx, { type: "GroupMetadata", groupId: group.groupId, value: { epoch: group.groupEpoch + 1 } });
}

export function writeCurrentAssignment(ctx: ChangeContext, memberId: string, next: MemberAssignment): void {
  emit(ctx, {
    type: "CurrentMemberAssignment",
    groupId: ctx.group.groupId,
    memberId,
    value: {
      memberEpoch: next.memberEpoch,
      previousMemberEpoch: next.previousMemberEpoch,
      state: next.state,
      assignedPartitions: withAssignmentEpochs(next.assigned, next.assignmentEpochs),
      partitionsPendingRevocation: withAssignmentEpochs(next.pendingRevocation, next.assignmentEpochs),
    },
  });
}

/** Re-resolves every subscribed topic name; a change (new topic, more partitions) bumps the epoch. */
export function refreshSubscribedTopics(ctx: ChangeContext): boolean {
  const names = new Set<string>();
  for (const member of ctx.group.members.values())
    for (const name of member.subscribedTopicNames) names.add(name);
  const topics: SubscribedTopic[] = [];
  for (const topicName of [...names].sort()) {
    const topic = ctx.topics(topicName);
    if (topic !== undefined) topics.push({ topicName, ...topic });
  }
  if (JSON.stringify(topics) === JSON.stringify(ctx.group.subscribedTopics)) return false;
  emit(ctx, { type: "PartitionMetadata", groupId: ctx.group.groupId, value: { topics } });
  return true;
}

/** The assignor most members prefer, ties broken by the configured order; the first one by default. */
export function groupAssignor(group: ConsumerGroup, config: ConsumerGroupConfig): AssignorName {
  const votes = new Map<string, number>();
  for (const member of group.members.values()) {
    if (member.serverAssignor !== null)
      votes.set(member.serverAssignor, (votes.get(member.serverAssignor) ?? 0) + 1);
  }
  let best = config.assignors[0] ?? "uniform";
  let bestVotes = 0;
  for (const name of config.assignors) {
    const count = votes.get(name) ?? 0;
    if (count > bestVotes) [best, bestVotes] = [name, count];
  }
  return best;
}

/** Recomputes the target assignment when the group epoch moved past it. */
export function updateTargetAssignment(ctx: ChangeContext): void {
  const { group } = ctx;
  if (group.groupEpoch <= group.assignmentEpoch) return;
  const topicIds = new Map(group.subscribedTopics.map((t) => [t.topicName, t.topicId] as const));
  const members = [...group.members.values()].map((member) => ({
    memberId: member.memberId,
    subscribedTopicIds: member.subscribedTopicNames.flatMap((name) => topicIds.get(name) ?? []),
    currentAssignment: group.targetAssignment.get(member.memberId) ?? emptyAssignment,
  }));
  const partitionCounts = new Map(group.subscribedTopics.map((t) => [t.topicId, t.partitionCount] as const));
  const target = assignors[groupAssignor(group, ctx.config)]({ members, partitionCounts });
  for (const [memberId, assignment] of target) writeTarget(ctx, memberId, assignment);
  for (const memberId of [...group.targetAssignment.keys()]) {
    if (!target.has(memberId))
      emit(ctx, { type: "TargetAssignmentMember", groupId: group.groupId, memberId, value: null });
  }
  emit(ctx, {
    type: "TargetAssignmentMetadata",
    groupId: group.groupId,
    value: { assignmentEpoch: group.groupEpoch },
  });
}

function writeTarget(ctx: ChangeContext, memberId: string, assignment: Assignment): void {
  const previous = ctx.group.targetAssignment.get(memberId);
  if (previous !== undefined && assignmentsEqual(previous, assignment)) return;
  const value = { topicPartitions: toTopicPartitions(assignment) };
  emit(ctx, { type: "TargetAssignmentMember", groupId: ctx.group.groupId, memberId, value });
}

/** Removes a member for good (leave, session or revocation timeout) and rebalances the rest. */
export function removeMember(ctx: ChangeContext, member: ConsumerGroupMember): void {
  const { groupId } = ctx.group;
  const { memberId } = member;
  emit(ctx, { type: "CurrentMemberAssignment", groupId, memberId, value: null });
  emit(ctx, { type: "TargetAssignmentMember", groupId, memberId, value: null });
  emit(ctx, { type: "MemberMetadata", groupId, memberId, value: null });
  refreshSubscribedTopics(ctx);
  bumpGroupEpoch(ctx);
  updateTargetAssignment(ctx);
}
