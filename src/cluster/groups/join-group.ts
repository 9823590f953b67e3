// JoinGroup for a classic group, after Kafka's GroupMetadataManager.classicGroupJoin: the member-id
// handshake (v4+), static members replacing their old member id, protocol checks, the group size limit,
// and the rebalance a join starts or completes. A JoinGroup that must wait stays parked on its member as
// the caller's request token and is answered by a later step.

import { assert } from "../../base/assert.ts";
import { copyBytes } from "../../base/bytes.ts";
import { type ClassicGroup, type GroupMember, joinError, type Step } from "./group.ts";
import type { GroupCoordinatorConfig } from "./group-config.ts";
import type { GroupErrorName, JoinGroupInput, JoinGroupResponse, Protocol } from "./group-types.ts";
import {
  groupMetadataRecord,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  prepareRebalance,
  scheduleHeartbeat,
} from "./rebalance.ts";

export interface JoinContext {
  step: Step;
  config: GroupCoordinatorConfig;
  /** Draws the random part of a new member id. */
  newUuid: () => string;
}

/** First JoinGroup version whose members must rejoin with a member id handed out by the coordinator. */
const memberIdRequiredVersionMin = 4;
/** First JoinGroup version that lets a rejoining static leader skip computing an assignment (KIP-814). */
const skipAssignmentVersionMin = 9;

export function answerJoin(step: Step, input: JoinGroupInput, response: JoinGroupResponse): void {
  step.completions.push({ kind: "join", requestToken: input.requestToken, response });
}

/** Whether the group may take this member (Kafka's acceptJoiningMember). */
export function acceptsJoiningMember(group: ClassicGroup, memberId: string, groupMaxSize: number): boolean {
  switch (group.state) {
    case "Empty":
    case "Dead":
      return true;
    case "PreparingRebalance":
      // Counting members awaiting join (not all members) lets the last rejoiners be the ones turned away.
      return (
        (group.members.get(memberId)?.awaitingJoin ?? null) !== null ||
        group.awaitingJoinCount() < groupMaxSize
      );
    case "CompletingRebalance":
    case "Stable":
      return group.members.has(memberId) || group.members.size < groupMaxSize;
  }
}

export function joinNewMember(group: ClassicGroup, input: JoinGroupInput, context: JoinContext): void {
  const { step } = context;
  if (!group.supportsProtocols(input.protocolType, input.protocols)) {
    answerJoin(step, input, joinError("", "INCONSISTENT_GROUP_PROTOCOL"));
    return;
  }
  const newMemberId = `${input.groupInstanceId ?? input.clientId}-${context.newUuid()}`;
  assert(!group.members.has(newMemberId) && !group.pendingMembers.has(newMemberId), "member id drawn twice");
  if (input.groupInstanceId !== null) {
    const existingMemberId = group.staticMembers.get(input.groupInstanceId);
    if (existingMemberId !== undefined) {
      updateStaticMember(group, input, { oldMemberId: existingMemberId, newMemberId }, context);
    } else {
      addMember(group, input, newMemberId, context);
    }
    return;
  }
  if (input.apiVersion >= memberIdRequiredVersionMin) {
    // The member must come back with this id: a client that dies now leaves only a pending id behind.
    group.pendingMembers.set(newMemberId, step.nowMs + input.sessionTimeoutMs);
    answerJoin(step, input, joinError(newMemberId, "MEMBER_ID_REQUIRED"));
    return;
  }
  addMember(group, input, newMemberId, context);
}

export function joinExistingMember(group: ClassicGroup, input: JoinGroupInput, context: JoinContext): void {
  const { step } = context;
  const memberId = input.memberId;
  if (!group.supportsProtocols(input.protocolType, input.protocols)) {
    answerJoin(step, input, joinError(memberId, "INCONSISTENT_GROUP_PROTOCOL"));
    return;
  }
  if (group.pendingMembers.has(memberId) && input.groupInstanceId === null) {
    addMember(group, input, memberId, context);
    return;
  }
  const invalid: GroupErrorName | null = group.validateMember(memberId, input.groupInstanceId);
  if (invalid !== null) {
    answerJoin(step, input, joinError(memberId, invalid));
    return;
  }
  const member = group.member(memberId);
  const unchanged = protocolsEqual(member.protocols, input.protocols);
  if (group.state === "PreparingRebalance") {
    updateMember(group, member, input, context);
  } else if (group.state === "CompletingRebalance") {
    // Same metadata: the member most likely lost its JoinGroup response; give it the generation again.
    if (unchanged) answerJoin(step, input, group.joinAnswer(member, { skipAssignment: false }));
    else updateMember(group, member, input, context);
  } else if (group.state === "Stable") {
    // A rejoining leader always rebalances: that is how it reacts to changes outside member metadata.
    if (group.isLeader(memberId) || !unchanged) updateMember(group, member, input, context);
    else answerJoin(step, input, group.joinAnswer(member, { skipAssignment: false }));
  } else {
    answerJoin(step, input, joinError(memberId, "UNKNOWN_MEMBER_ID"));
  }
}

function newMember(input: JoinGroupInput, memberId: string): GroupMember {
  return {
    memberId,
    groupInstanceId: input.groupInstanceId,
    clientId: input.clientId,
    clientHost: input.clientHost,
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    sessionTimeoutMs: input.sessionTimeoutMs,
    protocolType: input.protocolType,
    protocols: ownedProtocols(input.protocols),
    assignment: new Uint8Array(0),
    awaitingJoin: input.requestToken,
    awaitingSync: null,
    isNew: true,
    heartbeatDeadlineMs: null,
  };
}

function addMember(group: ClassicGroup, input: JoinGroupInput, memberId: string, context: JoinContext): void {
  const member = newMember(input, memberId);
  if (group.state === "PreparingRebalance" && group.previousState === "Empty") group.newMemberAdded = true;
  group.add(member);
  // A new member cannot heartbeat while its JoinGroup is parked; a bounded wait keeps defunct ones out.
  scheduleHeartbeat(member, context.step, context.config.newMemberJoinTimeoutMs);
  maybePrepareRebalanceOrCompleteJoin(group, context.step, context.config);
}

function updateMember(
  group: ClassicGroup,
  member: GroupMember,
  input: JoinGroupInput,
  context: JoinContext,
): void {
  group.updateMember(member, {
    protocols: ownedProtocols(input.protocols),
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    sessionTimeoutMs: input.sessionTimeoutMs,
  });
  park(group, member, input, context.step);
  maybePrepareRebalanceOrCompleteJoin(group, context.step, context.config);
}

/** Parks the JoinGroup on the member; an earlier one still parked (a retry) is let go. */
function park(group: ClassicGroup, member: GroupMember, input: JoinGroupInput, step: Step): void {
  group.completeJoin(member, joinError(member.memberId, "UNKNOWN_MEMBER_ID"), step);
  member.awaitingJoin = input.requestToken;
}

/**
 * A static member rejoined without its member id (typically a restart): it takes a new id in the old one's
 * place. In a Stable group whose selected protocol stays the same it keeps its assignment and no rebalance
 * happens — only the new member id is recorded.
 */
function updateStaticMember(
  group: ClassicGroup,
  input: JoinGroupInput,
  ids: { oldMemberId: string; newMemberId: string },
  context: JoinContext,
): void {
  const { step, config } = context;
  const leaderBefore = group.leaderId;
  assert(input.groupInstanceId !== null, "static member without an instance id");
  const member = group.replaceStaticMember(input.groupInstanceId, ids.oldMemberId, ids.newMemberId, step);
  scheduleHeartbeat(member, step);
  group.updateMember(member, {
    protocols: ownedProtocols(input.protocols),
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    sessionTimeoutMs: input.sessionTimeoutMs,
  });
  member.awaitingJoin = input.requestToken;
  if (group.state === "Stable") {
    if (group.protocolName !== group.selectProtocol()) {
      maybePrepareRebalanceOrCompleteJoin(group, step, config);
      return;
    }
    groupMetadataRecord(group, step);
    const isLeader = group.isLeader(member.memberId);
    const answer =
      input.apiVersion >= skipAssignmentVersionMin
        ? group.joinAnswer(member, { skipAssignment: isLeader })
        : // Before KIP-814 Kafka names the leader as it was before the replacement, and sends no members,
          // so a restarted static leader acts as a follower and keeps the current assignment.
          group.joinAnswer(member, { skipAssignment: false, leader: leaderBefore, withMembers: false });
    group.completeJoin(member, answer, step);
  } else if (group.state === "CompletingRebalance") {
    // The leader may already be assigning to the old member id: start over so the new id gets a share.
    prepareRebalance(group, step, config);
  } else {
    assert(group.state === "PreparingRebalance", `static member replaced in state ${group.state}`);
    maybeCompleteJoinPhase(group, step);
  }
}

/**
 * The protocols as the group keeps them, for as long as the member lives: each metadata copied, since the
 * input's may be a view into the request's socket read (a Buffer, which the group would otherwise pin).
 */
function ownedProtocols(protocols: readonly Protocol[]): Protocol[] {
  return protocols.map((protocol) => ({ name: protocol.name, metadata: copyBytes(protocol.metadata) }));
}

export function protocolsEqual(left: readonly Protocol[], right: readonly Protocol[]): boolean {
  if (left.length !== right.length) return false;
  return left.every((protocol, index) => {
    const other = right[index];
    return (
      other !== undefined && protocol.name === other.name && bytesEqual(protocol.metadata, other.metadata)
    );
  });
}

function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}
