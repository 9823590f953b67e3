// Moves one member's current assignment toward its target, as Kafka's CurrentAssignmentBuilder does. A
// member first gives up the partitions it loses (its epoch stays until it reports them gone), then takes
// the partitions it gains once their previous owners have released them. So no partition is ever owned by
// two members: a partition is either free, or listed in exactly one member's assigned or pending set.
// Each partition held keeps the epoch at which the member gained it (KIP-1251), for offset commits that
// arrive with an epoch the member has since left behind.

import {
  type Assignment,
  type AssignmentEpochs,
  carryAssignmentEpochs,
  emptyAssignment,
  filterAssignment,
  hasPartition,
  intersect,
  isEmptyAssignment,
  subtract,
  union,
} from "./assignment.ts";
import type { MemberState } from "./consumer-group-types.ts";

export interface MemberAssignment {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  /** What the member is told it owns. */
  assigned: Assignment;
  /** What the member still owns but must give up before it moves on. */
  pendingRevocation: Assignment;
  /** The epoch at which each partition of `assigned` and `pendingRevocation` was assigned to the member. */
  assignmentEpochs: AssignmentEpochs;
}

export interface ReconcileInput {
  current: MemberAssignment;
  targetEpoch: number;
  target: Assignment;
  /** The partitions the member reports owning; null when it did not say. */
  owned: Assignment | null;
  /** True when no other member holds the partition (assigned or pending revocation). */
  isFree: (topicId: string, partition: number) => boolean;
}

export function reconcile(input: ReconcileInput): MemberAssignment {
  const { current } = input;
  if (current.state === "UNREVOKED_PARTITIONS" && stillOwnsRevoked(current.pendingRevocation, input.owned)) {
    return current;
  }
  return nextAssignment(input, current.assigned);
}

function stillOwnsRevoked(pending: Assignment, owned: Assignment | null): boolean {
  if (owned === null) return true;
  return !isEmptyAssignment(intersect(pending, owned));
}

function nextAssignment(input: ReconcileInput, assigned: Assignment): MemberAssignment {
  const { current, target, targetEpoch } = input;
  const kept = intersect(assigned, target);
  const revoking = subtract(assigned, target);
  if (!isEmptyAssignment(revoking)) {
    return {
      ...current,
      state: "UNREVOKED_PARTITIONS",
      assigned: kept,
      pendingRevocation: revoking,
      assignmentEpochs: carryAssignmentEpochs(
        current.assignmentEpochs,
        [kept, revoking],
        current.memberEpoch,
      ),
    };
  }
  const gaining = subtract(target, assigned);
  const free = filterAssignment(gaining, input.isFree);
  const nextAssigned = union(kept, free);
  const bumped = {
    memberEpoch: targetEpoch,
    previousMemberEpoch:
      targetEpoch === current.memberEpoch ? current.previousMemberEpoch : current.memberEpoch,
    assigned: nextAssigned,
    pendingRevocation: emptyAssignment,
    assignmentEpochs: carryAssignmentEpochs(current.assignmentEpochs, [nextAssigned], targetEpoch),
  };
  const unreleased = filterAssignment(gaining, (t, p) => !hasPartition(free, t, p));
  return { ...bumped, state: isEmptyAssignment(unreleased) ? "STABLE" : "UNRELEASED_PARTITIONS" };
}
