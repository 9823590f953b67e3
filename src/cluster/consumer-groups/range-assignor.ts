// The "range" assignor: per topic, its subscribers in member-id order each take a contiguous range of
// partitions, the first (partitions mod subscribers) one more. Co-partitioned topics thus land together.
// Unlike Kafka 4's server-side RangeAssignor it is not sticky: ranges follow member-id order only.

import { type Assignment, assignmentOf } from "./assignment.ts";
import type { AssignorInput } from "./assignor.ts";

export function rangeAssign(input: AssignorInput): Map<string, Assignment> {
  const members = [...input.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  const taken = new Map<string, Array<readonly [string, number[]]>>();
  for (const member of members) taken.set(member.memberId, []);
  for (const topicId of [...input.partitionCounts.keys()].sort()) {
    const count = input.partitionCounts.get(topicId) ?? 0;
    const subscribers = members.filter((m) => m.subscribedTopicIds.includes(topicId));
    const quota = Math.floor(count / Math.max(1, subscribers.length));
    const extra = count % Math.max(1, subscribers.length);
    let next = 0;
    subscribers.forEach((member, index) => {
      const size = quota + (index < extra ? 1 : 0);
      const range = Array.from({ length: size }, (_, i) => next + i);
      next += size;
      taken.get(member.memberId)?.push([topicId, range]);
    });
  }
  const result = new Map<string, Assignment>();
  for (const [memberId, entries] of taken) result.set(memberId, assignmentOf(entries));
  return result;
}
