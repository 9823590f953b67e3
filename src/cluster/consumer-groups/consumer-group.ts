// One consumer (KIP-848) group: its epochs, members, target assignment and who holds which partition.
// Every durable change goes through apply(record), both live and on replay, so replaying the records a
// coordinator emitted rebuilds exactly the same group. Deadlines are volatile and not in any record.

import { assert } from "../../base/assert.ts";
import {
  type Assignment,
  assignmentEpochsOf,
  emptyAssignment,
  fromTopicPartitions,
  noAssignmentEpochs,
  partitionKey,
} from "./assignment.ts";
import type {
  ConsumerGroupRecord,
  ConsumerGroupState,
  MemberMetadataValue,
  SubscribedTopic,
} from "./consumer-group-types.ts";
import type { MemberAssignment } from "./reconcile.ts";

export interface ConsumerGroupMember extends MemberMetadataValue, MemberAssignment {
  memberId: string;
  /** Volatile: when the member is removed unless it heartbeats again. */
  sessionDeadlineMs: number;
  /** Volatile: when a member still revoking partitions is removed; null when it is not revoking. */
  revocationDeadlineMs: number | null;
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly targetAssignment = new Map<string, Assignment>();
  /** The subscribed topics as last recorded: a change in them bumps the group epoch. */
  subscribedTopics: SubscribedTopic[] = [];
  /** Partition → the member holding it (assigned or pending revocation). */
  private readonly holders = new Map<string, string>();

  constructor(readonly groupId: string) {}

  state(): ConsumerGroupState {
    if (this.members.size === 0) return "Empty";
    if (this.groupEpoch > this.assignmentEpoch) return "Assigning";
    for (const member of this.members.values()) {
      if (member.state !== "STABLE" || member.memberEpoch !== this.assignmentEpoch) return "Reconciling";
    }
    return "Stable";
  }

  holderOf(topicId: string, partition: number): string | undefined {
    return this.holders.get(partitionKey(topicId, partition));
  }

  memberByInstanceId(instanceId: string): ConsumerGroupMember | undefined {
    for (const member of this.members.values()) if (member.instanceId === instanceId) return member;
    return undefined;
  }

  /** Applies one record; live changes call this too, so the live state is the replayed state. */
  apply(record: ConsumerGroupRecord): void {
    assert(record.groupId === this.groupId, "record for another group");
    switch (record.type) {
      case "GroupMetadata":
        this.groupEpoch = record.value?.epoch ?? 0;
        return;
      case "PartitionMetadata":
        this.subscribedTopics = record.value?.topics ?? [];
        return;
      case "TargetAssignmentMetadata":
        this.assignmentEpoch = record.value?.assignmentEpoch ?? 0;
        return;
      case "TargetAssignmentMember":
        if (record.value === null) this.targetAssignment.delete(record.memberId);
        else this.targetAssignment.set(record.memberId, fromTopicPartitions(record.value.topicPartitions));
        return;
      case "MemberMetadata":
        this.applyMemberMetadata(record.memberId, record.value);
        return;
      case "CurrentMemberAssignment":
        this.applyCurrentAssignment(record.memberId, record.value);
        return;
    }
  }

  private applyMemberMetadata(memberId: string, value: MemberMetadataValue | null): void {
    const existing = this.members.get(memberId);
    if (value === null) {
      if (existing !== undefined) this.release(existing);
      this.members.delete(memberId);
      return;
    }
    const base = existing ?? newMember(memberId);
    this.members.set(memberId, { ...base, ...value, subscribedTopicNames: [...value.subscribedTopicNames] });
  }

  private applyCurrentAssignment(
    memberId: string,
    value: Extract<ConsumerGroupRecord, { type: "CurrentMemberAssignment" }>["value"],
  ): void {
    const member = this.members.get(memberId);
    if (member === undefined) return;
    this.release(member);
    member.memberEpoch = value?.memberEpoch ?? 0;
    member.previousMemberEpoch = value?.previousMemberEpoch ?? 0;
    member.state = value?.state ?? "STABLE";
    member.assigned = fromTopicPartitions(value?.assignedPartitions ?? []);
    member.pendingRevocation = fromTopicPartitions(value?.partitionsPendingRevocation ?? []);
    member.assignmentEpochs = assignmentEpochsOf(
      [value?.assignedPartitions ?? [], value?.partitionsPendingRevocation ?? []],
      member.memberEpoch,
    );
    this.hold(member);
  }

  private hold(member: ConsumerGroupMember): void {
    for (const held of [member.assigned, member.pendingRevocation]) {
      for (const [topicId, partitions] of held) {
        for (const partition of partitions) {
          const holder = this.holders.get(partitionKey(topicId, partition));
          assert(holder === undefined, `partition ${topicId}-${partition} held by ${holder} already`);
          this.holders.set(partitionKey(topicId, partition), member.memberId);
        }
      }
    }
  }

  private release(member: ConsumerGroupMember): void {
    for (const held of [member.assigned, member.pendingRevocation]) {
      for (const [topicId, partitions] of held) {
        for (const partition of partitions) {
          assert(
            this.holders.get(partitionKey(topicId, partition)) === member.memberId,
            "holder map out of sync",
          );
          this.holders.delete(partitionKey(topicId, partition));
        }
      }
    }
  }
}

function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: "",
    clientHost: "",
    subscribedTopicNames: [],
    serverAssignor: null,
    rebalanceTimeoutMs: 0,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: "STABLE",
    assigned: emptyAssignment,
    pendingRevocation: emptyAssignment,
    assignmentEpochs: noAssignmentEpochs,
    sessionDeadlineMs: Number.POSITIVE_INFINITY,
    revocationDeadlineMs: null,
  };
}
