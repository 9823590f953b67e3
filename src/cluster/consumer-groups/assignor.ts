// What a server-side assignor sees and returns: pure functions from the members' subscriptions and the
// topics' partition counts to a target assignment for every member.

import type { Assignment } from "./assignment.ts";

export interface AssignorMember {
  memberId: string;
  /** Topic ids (already resolved from names by the coordinator); unknown topics are absent. */
  subscribedTopicIds: readonly string[];
  /** The member's previous target assignment, which a sticky assignor tries to keep. */
  currentAssignment: Assignment;
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** Partition count of every topic some member subscribes to. */
  partitionCounts: ReadonlyMap<string, number>;
}

/** Returns an entry (possibly empty) for every member; each partition goes to at most one member. */
export type Assignor = (input: AssignorInput) => Map<string, Assignment>;

export type AssignorName = "uniform" | "range";
