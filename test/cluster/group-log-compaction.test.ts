// Proves that restating a __consumer_offsets partition's live records rebuilds what the whole log did: after
// joins, leaves, fencing, rejoins and topic growth in consumer groups, and commits and deletions of offsets,
// a coordinator replaying only the restated records describes every group alike and answers the same
// commit checks; and that compaction is due only once the log is both sizeable and mostly old.

import { describe, expect, test } from "bun:test";
import { ConsumerGroupCoordinator } from "../../src/cluster/consumer-groups/index.ts";
import {
  compactionDue,
  compactionPolicyDefault,
  LatestRecords,
  recordKey,
} from "../../src/cluster/group-log-compaction.ts";
import type { PartitionRecord } from "../../src/cluster/partition-groups.ts";
import { Client, groupId, Harness, settle } from "./consumer-groups/consumer-group-harness.ts";

function restated(records: readonly PartitionRecord[]): PartitionRecord[] {
  const latest = new LatestRecords();
  for (const record of records) latest.note(record);
  return latest.snapshot();
}

function rebuilt(harness: Harness, records: readonly PartitionRecord[]): ConsumerGroupCoordinator {
  const coordinator = new ConsumerGroupCoordinator({
    newUuid: () => "unused",
    topics: (name) => harness.topics.get(name),
  });
  for (const record of records) {
    if (!("kind" in record)) coordinator.replay(record);
  }
  return coordinator;
}

/** Everything a reload must keep of a group: its description and each member's commit checks. */
function observed(coordinator: ConsumerGroupCoordinator, harness: Harness) {
  const [group] = coordinator.describe([groupId]);
  const checks = group!.members.map((member) => {
    const check = coordinator.validateOffsetCommit(groupId, member.memberId, member.memberEpoch - 1);
    const verdicts = [0, 1, 2, 3, 4, 5, 6, 7].map((partition) =>
      typeof check === "function" ? check("orders", partition) : check,
    );
    return [member.memberId, verdicts];
  });
  return { group, checks, topics: harness.topics.size };
}

describe("restated group records", () => {
  test("replay to the same consumer groups as the whole log, after much churn", () => {
    const harness = new Harness();
    harness.addTopic("orders", 6);
    const clients = ["a", "b", "c", "d"].map((name) => new Client(harness, name, { topics: ["orders"] }));
    for (const client of clients.slice(0, 3)) client.join();
    settle(clients.slice(0, 3));
    clients[1]!.heartbeat({ memberEpoch: -1 });
    clients[3]!.join();
    settle([clients[0]!, clients[2]!, clients[3]!]);
    // The topic grows: a new group epoch and a new assignment for everyone.
    harness.topics.set("orders", { topicId: harness.topics.get("orders")!.topicId, partitionCount: 8 });
    clients[0]!.heartbeat();
    settle([clients[0]!, clients[2]!, clients[3]!]);
    // A member whose session runs out is removed; b comes back under its old id.
    harness.tick(60_000);
    clients[1]!.join();
    for (const client of clients) client.heartbeat();
    settle(clients.filter((client) => client.last?.error === "NONE"));

    const all = harness.records as PartitionRecord[];
    const compacted = restated(all);
    expect(compacted.length).toBeLessThan(all.length);
    expect(observed(rebuilt(harness, compacted), harness)).toEqual(observed(rebuilt(harness, all), harness));
    expect(observed(rebuilt(harness, all), harness)).toEqual(observed(harness.coordinator, harness));
  });

  test("keep the last offset of every partition, and drop deleted ones and tombstones", () => {
    const commit = (group: string, partition: number, offset: number | null): PartitionRecord => ({
      kind: "offset-commit",
      key: { groupId: group, topic: "t", partition },
      value:
        offset === null
          ? null
          : { offset, leaderEpoch: -1, metadata: "", commitTimestampMs: offset, expireTimestampMs: -1 },
    });
    const records = [
      commit("g", 0, 1),
      commit("h", 0, 5),
      commit("g", 1, 2),
      commit("g", 0, 3),
      commit("g", 1, null),
      commit("g", 0, 4),
    ];
    expect(restated(records)).toEqual([commit("h", 0, 5), commit("g", 0, 4)]);
    // One key per thing described: a group's metadata is not an offset of it.
    const group: PartitionRecord = { kind: "group-metadata", groupId: "g", value: null };
    expect(new Set([recordKey(group), recordKey(commit("g", 0, 1))]).size).toBe(2);
  });

  test("restate a consumer group with its members' metadata ahead of their assignments", () => {
    const harness = new Harness();
    harness.addTopic("orders", 2);
    const a = new Client(harness, "a", { topics: ["orders"] });
    a.join();
    // A metadata change after the assignment: the log has the assignment first, the restatement last.
    a.heartbeat({ rackId: "rack-1" });
    const types = restated(harness.records).map((record) => ("type" in record ? record.type : record.kind));
    expect(types).toEqual([
      "PartitionMetadata",
      "GroupMetadata",
      "MemberMetadata",
      "TargetAssignmentMember",
      "TargetAssignmentMetadata",
      "CurrentMemberAssignment",
    ]);
  });
});

describe("when a compaction is due", () => {
  test("once a load would replay 16 MiB, and at least twice what the last one restated", () => {
    const policy = compactionPolicyDefault;
    const mib = 1024 * 1024;
    expect(compactionDue(15 * mib, 0, policy)).toBe(false);
    expect(compactionDue(16 * mib, 0, policy)).toBe(true);
    expect(compactionDue(16 * mib, 10 * mib, policy)).toBe(false);
    expect(compactionDue(20 * mib, 10 * mib, policy)).toBe(true);
  });
});
