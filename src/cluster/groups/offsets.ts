// Committed offsets of every group on this coordinator: group → topic → partition → offset with its
// metadata and commit time. Plain storage; who may commit and when offsets expire is decided by the caller.

import type { OffsetCommitValue } from "./group-records.ts";

export type CommittedOffset = OffsetCommitValue;

export interface OffsetEntry {
  topic: string;
  partition: number;
  committed: CommittedOffset;
}

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  put(groupId: string, topic: string, partition: number, committed: CommittedOffset): void {
    let topics = this.byGroup.get(groupId);
    if (topics === undefined) {
      topics = new Map();
      this.byGroup.set(groupId, topics);
    }
    let partitions = topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(topic, partitions);
    }
    partitions.set(partition, committed);
  }

  /** True when there was an offset to delete. */
  delete(groupId: string, topic: string, partition: number): boolean {
    const topics = this.byGroup.get(groupId);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return false;
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(groupId);
    return true;
  }

  hasOffsets(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  /** Every committed offset of the group, topics and partitions in commit order. */
  entries(groupId: string): OffsetEntry[] {
    const entries: OffsetEntry[] = [];
    for (const [topic, partitions] of this.byGroup.get(groupId) ?? []) {
      for (const [partition, committed] of partitions) entries.push({ topic, partition, committed });
    }
    return entries;
  }

  groupIds(): IterableIterator<string> {
    return this.byGroup.keys();
  }
}
