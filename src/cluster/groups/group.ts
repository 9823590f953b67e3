// One classic consumer group: its state, generation, selected protocol, leader and members, with the small
// transitions Kafka's ClassicGroup makes (add, remove, replace a static member, select the protocol, start
// the next generation). Rebalance orchestration lives in rebalance.ts; this file only keeps the group
// consistent. Parked JoinGroup/SyncGroup requests are held as caller tokens and answered into a Step.

import { assert } from "../../base/assert.ts";
import { consumerProtocolType, subscribedTopicsOf } from "./consumer-protocol.ts";
import type { GroupMetadataValue, GroupRecord } from "./group-records.ts";
import type {
  Completion,
  GroupErrorName,
  GroupState,
  JoinGroupMember,
  JoinGroupResponse,
  Protocol,
  RequestToken,
  SyncGroupResponse,
} from "./group-types.ts";

/** The work of one coordinator call: the time it runs at, and what it produces. */
export interface Step {
  nowMs: number;
  records: GroupRecord[];
  completions: Completion[];
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Uint8Array;
  awaitingJoin: RequestToken | null;
  awaitingSync: RequestToken | null;
  /** Joined in this rebalance without a member id yet: its session cannot be kept alive by waiting. */
  isNew: boolean;
  /** The member is removed when this passes without a heartbeat; null while no expiry is scheduled. */
  heartbeatDeadlineMs: number | null;
}

export const emptyAssignment = new Uint8Array(0);

const validPreviousStates: Record<GroupState, readonly GroupState[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

export class ClassicGroup {
  readonly groupId: string;
  state: GroupState = "Empty";
  previousState: GroupState | null = null;
  /** When the group entered its state; null when unknown (replayed from an old record). */
  currentStateTimestampMs: number | null;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order: the first member is the leader's successor when the leader leaves. */
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, → the time they expire unless the member rejoins. */
  readonly pendingMembers = new Map<string, number>();
  /** Members that have not yet sent SyncGroup for this generation. */
  readonly pendingSyncMembers = new Set<string>();
  /** Protocol name → how many members support it. */
  private readonly supportedProtocols = new Map<string, number>();
  /** Topics the members subscribe to (consumer protocol only); null when unknown. */
  subscribedTopics: Set<string> | null = null;

  /** When the join phase ends (rebalance timeout, or the initial delay of a new group). */
  joinDeadlineMs: number | null = null;
  /** Set while the join phase is the initial delay of a new group: the delays still to come. */
  initialDelay: { delayMs: number; remainingMs: number } | null = null;
  /** A member joined during the initial delay, which extends it. */
  newMemberAdded = false;
  /** When members that have not sent SyncGroup are removed. */
  syncDeadlineMs: number | null = null;

  constructor(groupId: string, nowMs: number | null) {
    this.groupId = groupId;
    this.currentStateTimestampMs = nowMs;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    assert(
      validPreviousStates[state].includes(this.state),
      `group ${this.groupId}: ${this.state} → ${state}`,
    );
    this.previousState = this.state;
    this.state = state;
    this.currentStateTimestampMs = nowMs;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  canRebalance(): boolean {
    return this.state === "Stable" || this.state === "CompletingRebalance" || this.state === "Empty";
  }

  member(memberId: string): GroupMember {
    const member = this.members.get(memberId);
    assert(member !== undefined, `group ${this.groupId} has no member ${memberId}`);
    return member;
  }

  add(member: GroupMember): void {
    assert(!this.members.has(member.memberId), `member ${member.memberId} added twice`);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, "member protocol type differs from the group's");
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    this.pendingMembers.delete(member.memberId);
    this.countProtocols(member.protocols, 1);
  }

  /** Removes a member (or a pending member id); the caller answers its parked requests first. */
  remove(memberId: string): void {
    this.pendingMembers.delete(memberId);
    const member = this.members.get(memberId);
    if (member === undefined) return;
    assert(
      member.awaitingJoin === null && member.awaitingSync === null,
      "removed member has parked requests",
    );
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    this.countProtocols(member.protocols, -1);
    if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
  }

  updateMember(
    member: GroupMember,
    update: { protocols: Protocol[]; rebalanceTimeoutMs: number; sessionTimeoutMs: number },
  ): void {
    this.countProtocols(member.protocols, -1);
    member.protocols = update.protocols;
    member.rebalanceTimeoutMs = update.rebalanceTimeoutMs;
    member.sessionTimeoutMs = update.sessionTimeoutMs;
    this.countProtocols(update.protocols, 1);
  }

  /**
   * A static member came back with a new member id: the old id's parked requests are fenced, and the new
   * id takes over the old one's place, assignment and leadership.
   */
  replaceStaticMember(
    groupInstanceId: string,
    oldMemberId: string,
    newMemberId: string,
    step: Step,
  ): GroupMember {
    const old = this.member(oldMemberId);
    this.completeJoin(old, joinError(oldMemberId, "FENCED_INSTANCE_ID"), step);
    this.completeSync(old, syncError("FENCED_INSTANCE_ID"), step);
    const replacement: GroupMember = { ...old, memberId: newMemberId };
    // Keep the join order: rebuild the map with the new id in the old one's place.
    const entries = [...this.members.entries()].map(([id, member]): [string, GroupMember] =>
      id === oldMemberId ? [newMemberId, replacement] : [id, member],
    );
    this.members.clear();
    for (const [id, member] of entries) this.members.set(id, member);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return replacement;
  }

  /** UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID when the ids do not name a current member, else null. */
  validateMember(memberId: string, groupInstanceId: string | null): GroupErrorName | null {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return "UNKNOWN_MEMBER_ID";
      return existing === memberId ? null : "FENCED_INSTANCE_ID";
    }
    return this.members.has(memberId) ? null : "UNKNOWN_MEMBER_ID";
  }

  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.state === "Empty") return protocolType !== "" && protocols.length > 0;
    return (
      this.protocolType === protocolType &&
      protocols.some((protocol) => this.supportedProtocols.get(protocol.name) === this.members.size)
    );
  }

  /**
   * The protocol every member supports that most members prefer: each member votes for the first of its
   * own protocols that all support. Ties go to the protocol that got its first vote earliest in join
   * order (Kafka leaves ties to HashMap order).
   */
  selectProtocol(): string {
    assert(this.members.size > 0, "cannot select a protocol for an empty group");
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const vote = member.protocols.find(
        (protocol) => this.supportedProtocols.get(protocol.name) === this.members.size,
      );
      assert(vote !== undefined, `member ${member.memberId} supports none of the group's protocols`);
      votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
    }
    let selected = "";
    let selectedVotes = 0;
    for (const [name, count] of votes) {
      if (count > selectedVotes) [selected, selectedVotes] = [name, count];
    }
    return selected;
  }

  awaitingJoinCount(): number {
    let count = 0;
    for (const member of this.members.values()) if (member.awaitingJoin !== null) count++;
    return count;
  }

  hasAllMembersJoined(): boolean {
    return this.awaitingJoinCount() === this.members.size && this.pendingMembers.size === 0;
  }

  /** Keeps the leader if it rejoined, else picks a member that did; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.member(this.leaderId).awaitingJoin !== null) return true;
    for (const member of this.members.values()) {
      if (member.awaitingJoin !== null) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  initNextGeneration(nowMs: number): void {
    this.generationId++;
    this.protocolName = this.members.size > 0 ? this.selectProtocol() : null;
    this.subscribedTopics = this.computeSubscribedTopics();
    this.transitionTo(this.members.size > 0 ? "CompletingRebalance" : "Empty", nowMs);
    this.pendingSyncMembers.clear();
  }

  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== consumerProtocolType || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const member of this.members.values()) {
      const subscribed = subscribedTopicsOf(this.metadataOf(member));
      if (subscribed === null) return null;
      for (const topic of subscribed) topics.add(topic);
    }
    return topics;
  }

  metadataOf(member: GroupMember): Uint8Array {
    assert(this.protocolName !== null, "no protocol selected");
    const protocol = member.protocols.find((candidate) => candidate.name === this.protocolName);
    assert(protocol !== undefined, `member ${member.memberId} does not support ${this.protocolName}`);
    return protocol.metadata;
  }

  /** What the leader receives in its JoinGroup response. */
  joinMembers(): JoinGroupMember[] {
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: this.metadataOf(member),
    }));
  }

  /** A JoinGroup answer with the current generation (members only for the leader, unless told otherwise). */
  joinAnswer(
    member: GroupMember,
    options: { skipAssignment: boolean; leader?: string | null; withMembers?: boolean },
  ): JoinGroupResponse {
    const withMembers = options.withMembers ?? this.isLeader(member.memberId);
    return {
      error: "NONE",
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: (options.leader === undefined ? this.leaderId : options.leader) ?? "",
      skipAssignment: options.skipAssignment,
      memberId: member.memberId,
      members: withMembers ? this.joinMembers() : [],
    };
  }

  completeJoin(member: GroupMember, response: JoinGroupResponse, step: Step): boolean {
    if (member.awaitingJoin === null) return false;
    step.completions.push({ kind: "join", requestToken: member.awaitingJoin, response });
    member.awaitingJoin = null;
    return true;
  }

  completeSync(member: GroupMember, response: SyncGroupResponse, step: Step): boolean {
    if (member.awaitingSync === null) return false;
    step.completions.push({ kind: "sync", requestToken: member.awaitingSync, response });
    member.awaitingSync = null;
    return true;
  }

  /** The GroupMetadataValue that makes this generation survive a restart. */
  metadataValue(): GroupMetadataValue {
    return {
      protocolType: this.protocolType ?? "",
      generationId: this.generationId,
      protocolName: this.protocolName,
      leader: this.leaderId,
      currentStateTimestampMs: this.currentStateTimestampMs ?? -1,
      members: [...this.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        sessionTimeoutMs: member.sessionTimeoutMs,
        subscription: this.metadataOf(member),
        assignment: member.assignment,
      })),
    };
  }

  /** The longest rebalance timeout of the members: how long the join phase may wait for them. */
  rebalanceTimeoutMs(): number {
    let timeoutMs = 0;
    for (const member of this.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    return timeoutMs;
  }

  nextDeadlineMs(): number | null {
    let next: number | null = null;
    const consider = (deadlineMs: number | null) => {
      if (deadlineMs !== null && (next === null || deadlineMs < next)) next = deadlineMs;
    };
    consider(this.joinDeadlineMs);
    consider(this.syncDeadlineMs);
    for (const deadlineMs of this.pendingMembers.values()) consider(deadlineMs);
    for (const member of this.members.values()) consider(member.heartbeatDeadlineMs);
    return next;
  }

  private countProtocols(protocols: readonly Protocol[], delta: 1 | -1): void {
    for (const protocol of protocols) {
      const count = (this.supportedProtocols.get(protocol.name) ?? 0) + delta;
      assert(count >= 0, `protocol ${protocol.name} count below zero`);
      if (count === 0) this.supportedProtocols.delete(protocol.name);
      else this.supportedProtocols.set(protocol.name, count);
    }
  }
}

export function joinError(memberId: string, error: GroupErrorName): JoinGroupResponse {
  return {
    error,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(error: GroupErrorName): SyncGroupResponse {
  return { error, protocolType: null, protocolName: null, assignment: emptyAssignment };
}
