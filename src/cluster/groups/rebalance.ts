// The rebalance protocol of a classic group, after Kafka's GroupMetadataManager: prepare a rebalance, end
// the join phase (when every member has rejoined, or at the deadline), hand out the leader's assignment,
// and the timed events — session expiry, the end of the join phase, members that never sent SyncGroup.
// Pure: every deadline is a number on the group, fired by fireDeadlines(group, step) when step.nowMs passes.

import { type ClassicGroup, emptyAssignment, type GroupMember, joinError, type Step } from "./group.ts";
import type { GroupCoordinatorConfig } from "./group-config.ts";
import type { GroupErrorName } from "./group-types.ts";

export function groupMetadataRecord(group: ClassicGroup, step: Step): void {
  step.records.push({ kind: "group-metadata", groupId: group.groupId, value: group.metadataValue() });
}

export function scheduleHeartbeat(
  member: GroupMember,
  step: Step,
  timeoutMs = member.sessionTimeoutMs,
): void {
  member.heartbeatDeadlineMs = step.nowMs + timeoutMs;
}

export function prepareRebalance(group: ClassicGroup, step: Step, config: GroupCoordinatorConfig): void {
  // Members waiting for an assignment of the generation being abandoned must rejoin.
  if (group.state === "CompletingRebalance")
    resetAndPropagateAssignment(group, "REBALANCE_IN_PROGRESS", step);
  group.pendingSyncMembers.clear();
  group.syncDeadlineMs = null;
  const isInitialRebalance = group.state === "Empty";
  group.transitionTo("PreparingRebalance", step.nowMs);
  if (isInitialRebalance) {
    // A new group waits a little for more members, so that they all land in its first generation.
    const delayMs = config.initialRebalanceDelayMs;
    const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
    group.initialDelay = { delayMs, remainingMs };
    group.newMemberAdded = false;
    group.joinDeadlineMs = step.nowMs + delayMs;
    // With no delay configured the timer would fire at once: end the join phase now.
    if (delayMs === 0) endJoinPhase(group, step);
    return;
  }
  group.initialDelay = null;
  if (group.hasAllMembersJoined()) completeJoin(group, step);
  else group.joinDeadlineMs = step.nowMs + group.rebalanceTimeoutMs();
}

export function maybePrepareRebalanceOrCompleteJoin(
  group: ClassicGroup,
  step: Step,
  config: GroupCoordinatorConfig,
): void {
  if (group.canRebalance()) prepareRebalance(group, step, config);
  else maybeCompleteJoinPhase(group, step);
}

/** Ends the join phase early when every member has rejoined — except in a new group's initial delay. */
export function maybeCompleteJoinPhase(group: ClassicGroup, step: Step): void {
  if (group.state !== "PreparingRebalance") return;
  if (group.previousState === "Empty") return;
  if (!group.hasAllMembersJoined()) return;
  completeJoin(group, step);
}

/**
 * Ends the join phase: dynamic members that did not rejoin are dropped, the generation advances, and every
 * parked JoinGroup is answered (the leader with all members' metadata). An emptied group records itself.
 */
export function completeJoin(group: ClassicGroup, step: Step): void {
  group.joinDeadlineMs = null;
  group.initialDelay = null;
  for (const member of [...group.members.values()]) {
    if (member.awaitingJoin === null && member.groupInstanceId === null) group.remove(member.memberId);
  }
  if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
    // Nobody rejoined: wait another rebalance timeout for the session timeouts to clear the members out.
    group.joinDeadlineMs = step.nowMs + group.rebalanceTimeoutMs();
    return;
  }
  group.initNextGeneration(step.nowMs);
  if (group.state === "Empty") {
    groupMetadataRecord(group, step);
    return;
  }
  for (const member of group.members.values()) {
    group.completeJoin(member, group.joinAnswer(member, { skipAssignment: false }), step);
    scheduleHeartbeat(member, step);
    member.isNew = false;
    group.pendingSyncMembers.add(member.memberId);
  }
  group.syncDeadlineMs = step.nowMs + group.rebalanceTimeoutMs();
}

/** Answers every parked SyncGroup with its member's assignment, or with `error` and no assignment. */
export function propagateAssignment(group: ClassicGroup, error: GroupErrorName, step: Step): void {
  for (const member of group.members.values()) {
    const answered = group.completeSync(
      member,
      {
        error,
        protocolType: error === "NONE" ? group.protocolType : null,
        protocolName: error === "NONE" ? group.protocolName : null,
        assignment: member.assignment,
      },
      step,
    );
    // A session that ran out while the member waited for its assignment starts afresh now.
    if (answered) scheduleHeartbeat(member, step);
  }
}

export function resetAndPropagateAssignment(group: ClassicGroup, error: GroupErrorName, step: Step): void {
  for (const member of group.members.values()) member.assignment = emptyAssignment;
  propagateAssignment(group, error, step);
}

/** Removes a member whose session ended or who left, then moves the rebalance along. */
export function removeMemberAndUpdateGroup(
  group: ClassicGroup,
  member: GroupMember,
  step: Step,
  config: GroupCoordinatorConfig,
): void {
  // A member parked in JoinGroup is told to rejoin from scratch if it is still alive.
  group.completeJoin(member, joinError("", "UNKNOWN_MEMBER_ID"), step);
  group.completeSync(member, { ...syncUnknownMember }, step);
  group.remove(member.memberId);
  if (group.state === "Stable" || group.state === "CompletingRebalance") {
    maybePrepareRebalanceOrCompleteJoin(group, step, config);
  } else if (group.state === "PreparingRebalance" && group.hasAllMembersJoined()) {
    completeJoin(group, step);
  }
}

const syncUnknownMember = {
  error: "UNKNOWN_MEMBER_ID" as const,
  protocolType: null,
  protocolName: null,
  assignment: emptyAssignment,
};

/** Fires every deadline of the group that step.nowMs has reached: pending ids, sessions, join, sync. */
export function fireDeadlines(group: ClassicGroup, step: Step, config: GroupCoordinatorConfig): void {
  expirePendingMembers(group, step);
  expireHeartbeats(group, step, config);
  if (group.joinDeadlineMs !== null && group.joinDeadlineMs <= step.nowMs) endJoinPhase(group, step);
  if (group.syncDeadlineMs !== null && group.syncDeadlineMs <= step.nowMs)
    expirePendingSync(group, step, config);
}

function expirePendingMembers(group: ClassicGroup, step: Step): void {
  for (const [memberId, deadlineMs] of [...group.pendingMembers]) {
    if (deadlineMs > step.nowMs) continue;
    group.remove(memberId);
    if (group.state === "PreparingRebalance" && group.hasAllMembersJoined()) completeJoin(group, step);
  }
}

function expireHeartbeats(group: ClassicGroup, step: Step, config: GroupCoordinatorConfig): void {
  for (const member of [...group.members.values()]) {
    if (member.heartbeatDeadlineMs === null || member.heartbeatDeadlineMs > step.nowMs) continue;
    if (!group.members.has(member.memberId)) continue;
    member.heartbeatDeadlineMs = null;
    // A known member parked in JoinGroup or SyncGroup is alive by definition; its session restarts when
    // the rebalance answers it. A new member has no such excuse.
    const satisfied = !member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null);
    if (!satisfied) removeMemberAndUpdateGroup(group, member, step, config);
  }
}

function endJoinPhase(group: ClassicGroup, step: Step): void {
  const initialDelay = group.initialDelay;
  if (initialDelay !== null && group.newMemberAdded && initialDelay.remainingMs !== 0) {
    // Members are still arriving at a new group: wait one more delay, within the rebalance timeout.
    group.newMemberAdded = false;
    const delayMs = Math.min(initialDelay.delayMs, initialDelay.remainingMs);
    group.initialDelay = {
      delayMs,
      remainingMs: Math.max(initialDelay.remainingMs - initialDelay.delayMs, 0),
    };
    group.joinDeadlineMs = step.nowMs + delayMs;
    return;
  }
  completeJoin(group, step);
}

function expirePendingSync(group: ClassicGroup, step: Step, config: GroupCoordinatorConfig): void {
  group.syncDeadlineMs = null;
  if (group.state !== "CompletingRebalance" && group.state !== "Stable") return;
  if (group.pendingSyncMembers.size === 0) return;
  for (const memberId of [...group.pendingSyncMembers]) {
    const member = group.members.get(memberId);
    if (member === undefined) continue;
    group.completeSync(member, { ...syncUnknownMember }, step);
    member.heartbeatDeadlineMs = null;
    group.remove(memberId);
  }
  prepareRebalance(group, step, config);
}
