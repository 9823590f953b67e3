// The "uniform" assignor: spreads every subscribed partition over its subscribers so that no single move
// of a partition to another subscriber would narrow the gap between them by two or more, and keeps each
// member's current partitions where it can. With identical subscriptions the counts differ by at most one
// and only partitions of overloaded members move. Kafka's UniformAssignor optimises heterogeneous
// subscriptions further; this greedy version is balanced for the homogeneous case and sticky always.

import { assert } from "../../base/assert.ts";
import { type Assignment, assignmentOf } from "./assignment.ts";
import type { AssignorInput, AssignorMember } from "./assignor.ts";

interface Owned {
  /** Partitions per member in the order they were taken; moves take the most recently taken. */
  partitions: Map<string, Array<readonly [string, number]>>;
  ownerOf: Map<string, string>;
}

const keyOf = (topicId: string, partition: number): string => `${topicId}:${partition}`;

export function uniformAssign(input: AssignorInput): Map<string, Assignment> {
  const members = [...input.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  const owned: Owned = { partitions: new Map(), ownerOf: new Map() };
  for (const member of members) owned.partitions.set(member.memberId, []);
  const subscribers = subscribersByTopic(members, input.partitionCounts);
  keepCurrent(members, input.partitionCounts, owned);
  assignUnowned(subscribers, input.partitionCounts, owned);
  balance(subscribers, owned, countMoveMax(input.partitionCounts));
  const result = new Map<string, Assignment>();
  for (const [memberId, partitions] of owned.partitions) {
    result.set(
      memberId,
      assignmentOf(partitions.map(([topicId, partition]) => [topicId, [partition]] as const)),
    );
  }
  return result;
}

function subscribersByTopic(
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, string[]> {
  const subscribers = new Map<string, string[]>();
  for (const topicId of [...partitionCounts.keys()].sort()) {
    const ids = members.filter((m) => m.subscribedTopicIds.includes(topicId)).map((m) => m.memberId);
    if (ids.length > 0) subscribers.set(topicId, ids);
  }
  return subscribers;
}

function take(owned: Owned, memberId: string, topicId: string, partition: number): void {
  owned.partitions.get(memberId)?.push([topicId, partition]);
  owned.ownerOf.set(keyOf(topicId, partition), memberId);
}

function keepCurrent(
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
  owned: Owned,
): void {
  for (const member of members) {
    for (const [topicId, partitions] of member.currentAssignment) {
      if (!member.subscribedTopicIds.includes(topicId)) continue;
      const count = partitionCounts.get(topicId) ?? 0;
      for (const partition of partitions) {
        if (partition < count && !owned.ownerOf.has(keyOf(topicId, partition))) {
          take(owned, member.memberId, topicId, partition);
        }
      }
    }
  }
}

function sizeOf(owned: Owned, memberId: string): number {
  return owned.partitions.get(memberId)?.length ?? 0;
}

function leastLoaded(owned: Owned, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const id of candidates) if (best === undefined || sizeOf(owned, id) < sizeOf(owned, best)) best = id;
  return best;
}

function assignUnowned(
  subscribers: ReadonlyMap<string, string[]>,
  partitionCounts: ReadonlyMap<string, number>,
  owned: Owned,
): void {
  for (const [topicId, ids] of subscribers) {
    const count = partitionCounts.get(topicId) ?? 0;
    for (let partition = 0; partition < count; partition++) {
      if (owned.ownerOf.has(keyOf(topicId, partition))) continue;
      const target = leastLoaded(owned, ids);
      if (target !== undefined) take(owned, target, topicId, partition);
    }
  }
}

/** Each move lowers the sum of squared counts by at least two, so the total partitions squared bounds it. */
function countMoveMax(partitionCounts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const count of partitionCounts.values()) total += count;
  return total * total + 1;
}

function balance(subscribers: ReadonlyMap<string, string[]>, owned: Owned, movesMax: number): void {
  for (let moves = 0; moves < movesMax; moves++) {
    if (!moveOne(subscribers, owned)) return;
  }
  assert(false, "uniform assignor: balancing did not converge");
}

/** Moves one partition from the most loaded member that can give one away; false when none can. */
function moveOne(subscribers: ReadonlyMap<string, string[]>, owned: Owned): boolean {
  const donors = [...owned.partitions.keys()].sort((a, b) => sizeOf(owned, b) - sizeOf(owned, a));
  const sizeMin = sizeOf(owned, donors[donors.length - 1] ?? "");
  for (const donor of donors) {
    const partitions = owned.partitions.get(donor) ?? [];
    // Donors come largest first: once one is within one of the smallest, no later one can give.
    if (partitions.length - 2 < sizeMin) return false;
    for (let i = partitions.length - 1; i >= 0; i--) {
      const entry = partitions[i];
      if (entry === undefined) continue;
      const receiver = leastLoaded(owned, subscribers.get(entry[0]) ?? []);
      if (receiver === undefined || sizeOf(owned, receiver) > partitions.length - 2) continue;
      partitions.splice(i, 1);
      take(owned, receiver, entry[0], entry[1]);
      return true;
    }
  }
  return false;
}
