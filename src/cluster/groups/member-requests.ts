// SyncGroup, Heartbeat and LeaveGroup for a classic group, after Kafka's GroupMetadataManager
// (classicGroupSync, classicGroupHeartbeat, classicGroupLeave). The group exists; the coordinator answers
// for missing groups before calling in here.

import { copyBytes } from "../../base/bytes.ts";
import { type ClassicGroup, emptyAssignment, joinError, type Step, syncError } from "./group.ts";
import type { GroupCoordinatorConfig } from "./group-config.ts";
import type {
  GroupErrorName,
  HeartbeatInput,
  LeaveGroupInput,
  LeaveGroupResponse,
  SyncGroupInput,
} from "./group-types.ts";
import {
  groupMetadataRecord,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  propagateAssignment,
  scheduleHeartbeat,
} from "./rebalance.ts";

function answerSync(step: Step, input: SyncGroupInput, error: GroupErrorName): void {
  step.completions.push({ kind: "sync", requestToken: input.requestToken, response: syncError(error) });
}

function protocolInconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}

function validateSync(group: ClassicGroup, input: SyncGroupInput): GroupErrorName | null {
  const invalid = group.validateMember(input.memberId, input.groupInstanceId);
  if (invalid !== null) return invalid;
  if (input.generationId !== group.generationId) return "ILLEGAL_GENERATION";
  if (
    protocolInconsistent(input.protocolType, group.protocolType) ||
    protocolInconsistent(input.protocolName, group.protocolName)
  ) {
    return "INCONSISTENT_GROUP_PROTOCOL";
  }
  return group.state === "PreparingRebalance" ? "REBALANCE_IN_PROGRESS" : null;
}

export function syncGroup(group: ClassicGroup, input: SyncGroupInput, step: Step): void {
  const error = validateSync(group, input);
  if (error !== null) {
    answerSync(step, input, error);
    return;
  }
  const member = group.member(input.memberId);
  group.pendingSyncMembers.delete(member.memberId);
  if (group.pendingSyncMembers.size === 0) group.syncDeadlineMs = null;
  if (group.state === "Stable") {
    step.completions.push({
      kind: "sync",
      requestToken: input.requestToken,
      response: {
        error: "NONE",
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      },
    });
    return;
  }
  // CompletingRebalance: wait for the leader's assignment (a retried SyncGroup replaces the parked one).
  group.completeSync(member, syncError("UNKNOWN_MEMBER_ID"), step);
  member.awaitingSync = input.requestToken;
  if (!group.isLeader(member.memberId)) return;
  // Copied: the group keeps them, and the input's may be views into the request's socket read.
  const assigned = new Map(input.assignments.map((entry) => [entry.memberId, copyBytes(entry.assignment)]));
  for (const each of group.members.values()) each.assignment = assigned.get(each.memberId) ?? emptyAssignment;
  groupMetadataRecord(group, step);
  propagateAssignment(group, "NONE", step);
  group.transitionTo("Stable", step.nowMs);
}

export function heartbeat(group: ClassicGroup, input: HeartbeatInput, step: Step): GroupErrorName {
  const invalid = group.validateMember(input.memberId, input.groupInstanceId);
  if (invalid !== null) return invalid;
  if (input.generationId !== group.generationId) return "ILLEGAL_GENERATION";
  const member = group.member(input.memberId);
  scheduleHeartbeat(member, step);
  // Empty cannot happen here (an Empty group has no members to validate).
  return group.state === "PreparingRebalance" ? "REBALANCE_IN_PROGRESS" : "NONE";
}

export function leaveGroup(
  group: ClassicGroup,
  input: LeaveGroupInput,
  step: Step,
  config: GroupCoordinatorConfig,
): LeaveGroupResponse {
  const members = input.members.map((identity) => ({
    memberId: identity.memberId,
    groupInstanceId: identity.groupInstanceId,
    error: leaveOne(group, identity, step),
  }));
  if (members.some((member) => member.error === "NONE")) {
    if (group.state === "Stable" || group.state === "CompletingRebalance") {
      maybePrepareRebalanceOrCompleteJoin(group, step, config);
    } else if (group.state === "PreparingRebalance") {
      maybeCompleteJoinPhase(group, step);
    }
  }
  return { error: "NONE", members };
}

function leaveOne(
  group: ClassicGroup,
  identity: { memberId: string; groupInstanceId: string | null },
  step: Step,
): GroupErrorName {
  // An administrator may remove a static member by its instance id alone (kafka-consumer-groups).
  if (identity.memberId === "") {
    const memberId =
      identity.groupInstanceId === null ? undefined : group.staticMembers.get(identity.groupInstanceId);
    if (memberId === undefined) return "UNKNOWN_MEMBER_ID";
    removeLeavingMember(group, memberId, step);
    return "NONE";
  }
  if (group.pendingMembers.has(identity.memberId)) {
    group.remove(identity.memberId);
    return "NONE";
  }
  const invalid = group.validateMember(identity.memberId, identity.groupInstanceId);
  if (invalid !== null) return invalid;
  removeLeavingMember(group, identity.memberId, step);
  return "NONE";
}

function removeLeavingMember(group: ClassicGroup, memberId: string, step: Step): void {
  const member = group.member(memberId);
  group.completeJoin(member, joinError("", "UNKNOWN_MEMBER_ID"), step);
  group.completeSync(member, syncError("UNKNOWN_MEMBER_ID"), step);
  member.heartbeatDeadlineMs = null;
  group.remove(memberId);
}
