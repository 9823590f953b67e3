// A set of topic partitions in one canonical form (topic id → sorted, distinct partition numbers, no empty
// topics), with the set operations reconciliation needs. Canonical form makes equality a plain comparison.

export type Assignment = ReadonlyMap<string, readonly number[]>;

export interface TopicPartitions {
  topicId: string;
  partitions: number[];
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
