// Compaction of a __consumer_offsets partition, Chronik's stand-in for Kafka's log cleaner. Every record there
// is keyed state (an offset, a group, a member's assignment) and a later record of the same key replaces the
// earlier one, so the log only grows while the state it describes stays the same size. LatestRecords keeps
// the last record of every live key; once the log is much larger than that, the group service appends those
// records again and moves the log start to the first of them. Replaying from the new start then rebuilds the
// same groups and offsets as replaying the whole log did — and so does replaying the old records followed by
// the restated ones, which is what a crash before the move, or a replica that kept its old records, replays.

import { assert } from "../base/assert.ts";
import type { ConsumerGroupRecord } from "./consumer-groups/index.ts";
import type { PartitionRecord } from "./partition-groups.ts";

/**
 * The order a consumer group's records are restated in, after Kafka's ConsumerGroup.createConsumerGroupRecords:
 * a member's current assignment is replayed only onto a member that exists, so metadata comes first.
 */
const consumerRecordRank: Record<ConsumerGroupRecord["type"], number> = {
  PartitionMetadata: 0,
  GroupMetadata: 1,
  MemberMetadata: 2,
  TargetAssignmentMember: 3,
  TargetAssignmentMetadata: 4,
  CurrentMemberAssignment: 5,
};

/** A record's identity: two records with the same key describe the same thing, the later one wins. */
export function recordKey(record: PartitionRecord): string {
  if ("kind" in record) {
    if (record.kind === "group-metadata") return `group\0${record.groupId}`;
    const { groupId, topic, partition } = record.key;
    return `offset\0${groupId}\0${topic}\0${partition}`;
  }
  const memberId = "memberId" in record ? record.memberId : "";
  return `consumer\0${record.type}\0${record.groupId}\0${memberId}`;
}

export class LatestRecords {
  /** Live keys only: a tombstone removes its key, since nothing older of it will be left to delete. */
  private readonly byKey = new Map<string, PartitionRecord>();

  /** Kept in the order of their last writes, as a compacted log keeps them. */
  note(record: PartitionRecord): void {
    const key = recordKey(record);
    this.byKey.delete(key);
    if (record.value !== null) this.byKey.set(key, record);
  }

  /**
   * Every live record, in an order that replays to the same state: classic groups and offsets (each key
   * stands alone), then each consumer group's records in Kafka's creation order.
   */
  snapshot(): PartitionRecord[] {
    const classic: PartitionRecord[] = [];
    const consumer: ConsumerGroupRecord[] = [];
    for (const record of this.byKey.values()) {
      assert(record.value !== null, "only live records are kept");
      if ("kind" in record) classic.push(record);
      else consumer.push(record);
    }
    consumer.sort(
      (a, b) =>
        (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0) ||
        consumerRecordRank[a.type] - consumerRecordRank[b.type],
    );
    return [...classic, ...consumer];
  }
}

export interface CompactionPolicy {
  /** No compaction while a load would replay less than this. */
  replayBytesMin: number;
  /** Compact once a load would replay this many times what the last compaction restated. */
  growthFactor: number;
}

/**
 * Kafka cleans a __consumer_offsets log once half of it is dirty (min.cleanable.dirty.ratio 0.5): a factor of 2.
 * Rewriting the live state costs its size each time, so a small state waits until 16 MiB are to replay.
 */
export const compactionPolicyDefault: CompactionPolicy = {
  replayBytesMin: 16 * 1024 * 1024,
  growthFactor: 2,
};

export function compactionDue(replayBytes: number, restatedBytes: number, policy: CompactionPolicy): boolean {
  return replayBytes >= Math.max(policy.replayBytesMin, policy.growthFactor * restatedBytes);
}
