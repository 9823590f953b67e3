// A set of topic partitions in one canonical form (topic id → sorted, distinct partition numbers, no empty
// topics), with the set operations reconciliation needs. Canonical form makes equality a plain comparison.
// Also the per-partition assignment epochs a member's held partitions carry (KIP-1251) and their record form.

import { assert } from "../../base/assert.ts";

export type Assignment = ReadonlyMap<string, readonly number[]>;

export interface TopicPartitions {
  topicId: string;
  partitions: number[];
}

/**
 * A CurrentMemberAssignment entry: Kafka's TopicPartitions with its tagged AssignmentEpochs (KIP-1251), the
 * epoch at which each partition was assigned, aligned with `partitions`; null in records written before it.
 */
export interface EpochedTopicPartitions extends TopicPartitions {
  assignmentEpochs: number[] | null;
}

export const emptyAssignment: Assignment = new Map();

/** Builds the canonical form from any list of (topic, partitions), merging duplicates. */
export function assignmentOf(entries: Iterable<readonly [string, Iterable<number>]>): Assignment {
  const sets = new Map<string, Set<number>>();
  for (const [topicId, partitions] of entries) {
    const set = sets.get(topicId) ?? new Set<number>();
    sets.set(topicId, set);
    for (const partition of partitions) set.add(partition);
  }
  const result = new Map<string, number[]>();
  for (const topicId of [...sets.keys()].sort()) {
    const partitions = [...(sets.get(topicId) ?? [])].sort((a, b) => a - b);
    if (partitions.length > 0) result.set(topicId, partitions);
  }
  return result;
}

export function fromTopicPartitions(list: readonly TopicPartitions[]): Assignment {
  return assignmentOf(list.map((entry) => [entry.topicId, entry.partitions] as const));
}

export function toTopicPartitions(assignment: Assignment): TopicPartitions[] {
  return [...assignment].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
}

export function partitionCount(assignment: Assignment): number {
  let count = 0;
  for (const partitions of assignment.values()) count += partitions.length;
  return count;
}

export function hasPartition(assignment: Assignment, topicId: string, partition: number): boolean {
  return assignment.get(topicId)?.includes(partition) ?? false;
}

/** Partitions of `a` that `keep(topicId, partition)` accepts. */
export function filterAssignment(
  a: Assignment,
  keep: (topicId: string, partition: number) => boolean,
): Assignment {
  return assignmentOf([...a].map(([topicId, ps]) => [topicId, ps.filter((p) => keep(topicId, p))] as const));
}

export function intersect(a: Assignment, b: Assignment): Assignment {
  return filterAssignment(a, (topicId, partition) => hasPartition(b, topicId, partition));
}

export function subtract(a: Assignment, b: Assignment): Assignment {
  return filterAssignment(a, (topicId, partition) => !hasPartition(b, topicId, partition));
}

export function union(a: Assignment, b: Assignment): Assignment {
  return assignmentOf([...a, ...b]);
}

export function isEmptyAssignment(a: Assignment): boolean {
  return a.size === 0;
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [topicId, partitions] of a) {
    const other = b.get(topicId);
    if (other === undefined || other.length !== partitions.length) return false;
    if (partitions.some((partition, i) => other[i] !== partition)) return false;
  }
  return true;
}

/**
 * KIP-1251: the member epoch at which each partition a member holds (assigned or pending revocation) was
 * assigned to it, keyed by partitionKey. A commit from an older epoch is still the member's own for a
 * partition it held since then.
 */
export type AssignmentEpochs = ReadonlyMap<string, number>;

export const noAssignmentEpochs: AssignmentEpochs = new Map();

export const partitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`;

/**
 * The epochs of `held` (every partition the member will hold): a partition it held before keeps its epoch,
 * one it gains takes `gainedEpoch`.
 */
export function carryAssignmentEpochs(
  previous: AssignmentEpochs,
  held: readonly Assignment[],
  gainedEpoch: number,
): AssignmentEpochs {
  const epochs = new Map<string, number>();
  for (const assignment of held) {
    for (const [topicId, partitions] of assignment) {
      for (const partition of partitions) {
        const key = partitionKey(topicId, partition);
        epochs.set(key, previous.get(key) ?? gainedEpoch);
      }
    }
  }
  return epochs;
}

/** `assignment` as record entries, each partition with its epoch from `epochs`. */
export function withAssignmentEpochs(
  assignment: Assignment,
  epochs: AssignmentEpochs,
): EpochedTopicPartitions[] {
  return [...assignment].map(([topicId, partitions]) => {
    const assignmentEpochs = partitions.map((partition) => {
      const epoch = epochs.get(partitionKey(topicId, partition));
      assert(epoch !== undefined, `partition ${topicId}-${partition} held without an assignment epoch`);
      return epoch;
    });
    return { topicId, partitions: [...partitions], assignmentEpochs };
  });
}

/**
 * The epochs a CurrentMemberAssignment record gives its partitions. Records written before KIP-1251 carry
 * none: their partitions take the member's epoch (at least 0), which accepts only commits of that epoch, as
 * before.
 */
export function assignmentEpochsOf(
  lists: readonly (readonly EpochedTopicPartitions[])[],
  memberEpoch: number,
): AssignmentEpochs {
  const fallback = Math.max(memberEpoch, 0);
  const epochs = new Map<string, number>();
  for (const list of lists) {
    for (const { topicId, partitions, assignmentEpochs } of list) {
      partitions.forEach((partition, index) => {
        epochs.set(partitionKey(topicId, partition), assignmentEpochs?.[index] ?? fallback);
      });
    }
  }
  return epochs;
}
