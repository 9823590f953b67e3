// Proves that restating a __consumer_offsets partition's live records rebuilds what the whole log did: after
// joins, leaves, fencing, rejoins and topic growth in consumer groups, and commits and deletions of offsets,
// a coordinator replaying only the restated records describes every group alike and answers the same
// commit checks; random traffic on every kind of group (50 seeds) reloads alike from the restatement as from
// the whole log; and compaction is due only once the log is both sizeable and mostly old.

import { describe, expect, test } from "bun:test";
import { ConsumerGroupCoordinator } from "../../src/cluster/consumer-groups/index.ts";
import {
  compactionDue,
  compactionPolicyDefault,
  LatestRecords,
  recordKey,
} from "../../src/cluster/group-log-compaction.ts";
import {
  PartitionGroups,
  type PartitionRecord,
  type PartitionStep,
} from "../../src/cluster/partition-groups.ts";
import { seededRandom } from "../protocol/sample-values.ts";
import {
  Client,
  fullHeartbeatInput,
  groupId,
  Harness,
  settle,
} from "./consumer-groups/consumer-group-harness.ts";
import { joinGroupInput } from "./groups/group-harness.ts";

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

const topicLookup = (name: string) =>
  name === "orders" ? { topicId: "AAAAAAAAAAAAAAAAAAAAAQ", partitionCount: 4 } : undefined;
const groupIds = ["s0", "s1", "c0", "c1", "k0"];

/**
 * Random traffic on one partition's groups — offset commits and deletes, consumer-protocol joins, heartbeats
 * and leaves, classic joins, group deletions, session expiry and offset retention — returning every record.
 */
function traffic(seed: number, steps: number): PartitionRecord[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const groups = new PartitionGroups({
    newUuid: () => `u${Math.floor(next() * 1e9)}`,
    topics: topicLookup,
    classicConfig: { offsetsRetentionMs: 50_000 },
  });
  const records: PartitionRecord[] = [];
  const epochs = new Map<string, number>();
  let nowMs = 1_000;
  const keep = (step: PartitionStep) => records.push(...step.records);
  for (let index = 0; index < steps; index++) {
    const groupId = pick(groupIds);
    const roll = next();
    if (roll < 0.4) {
      const memberKey = `${groupId}/${pick(["m0", "m1"])}`;
      const epoch = epochs.get(memberKey) ?? -1;
      keep(
        groups.commitOffsets(
          {
            apiVersion: 9,
            groupId,
            generationId: groupId.startsWith("c") ? epoch : -1,
            memberId: groupId.startsWith("c") ? memberKey.split("/")[1]! : "",
            groupInstanceId: null,
            retentionTimeMs: -1,
            topics: [
              {
                name: pick(["orders", "audit"]),
                partitions: [
                  { partition: pick([0, 1, 2, 3]), offset: index, leaderEpoch: -1, metadata: null },
                ],
              },
            ],
          },
          nowMs,
        ),
      );
    } else if (roll < 0.65) {
      const memberId = pick(["m0", "m1"]);
      const memberKey = `${groupId}/${memberId}`;
      const leaving = next() < 0.2;
      const answer = groups.consumerGroupHeartbeat(
        fullHeartbeatInput({
          groupId,
          memberId,
          memberEpoch: leaving ? -1 : (epochs.get(memberKey) ?? 0),
          rackId: next() < 0.1 ? "rack" : null,
        }),
        nowMs,
      );
      keep(answer);
      if (leaving || answer.response.error !== "NONE") epochs.delete(memberKey);
      else epochs.set(memberKey, answer.response.memberEpoch);
    } else if (roll < 0.75) {
      keep(groups.joinGroup(joinGroupInput({ requestToken: index, apiVersion: 3, groupId }), nowMs));
    } else if (roll < 0.8) {
      keep(
        groups.deleteOffsets({ groupId, topics: [{ name: "orders", partitions: [pick([0, 1])] }] }, nowMs),
      );
    } else if (roll < 0.83) {
      keep(groups.deleteGroups([groupId], nowMs));
    } else if (roll < 0.86) {
      keep(groups.expireOffsets(nowMs));
    } else {
      nowMs += Math.floor(next() * 8_000);
      keep(groups.tick(nowMs));
    }
  }
  return records;
}

/**
 * What a reload shows of every group: offsets, both describes and the listing — each in a fixed order, since
 * the order of a listing, of a group's members or of an all-topics offset fetch is the order things were first
 * seen, which a restatement changes and Kafka does not define (the assignors sort members by id). A classic
 * group that is Empty with no protocol and no offset left (a simple group whose offsets were all deleted) is
 * taken as absent: nothing in the log keeps it, so a restatement drops it, as Kafka's compaction does, and the
 * next offset retention check removes it anyway.
 */
function reloadedView(records: readonly PartitionRecord[]) {
  const groups = new PartitionGroups({ newUuid: () => "unused", topics: topicLookup });
  for (const record of records) groups.replayRecord(record);
  const offsets = groupIds.map((groupId) => {
    const fetched = groups.fetchOffsets({ groupId, topics: null });
    const topics = fetched.topics
      .map((topic) => ({
        ...topic,
        partitions: [...topic.partitions].sort((a, b) => a.partition - b.partition),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { ...fetched, topics };
  });
  const hollow = new Set(
    groups
      .describeGroups(groupIds)
      .filter(
        (group, index) =>
          group.state === "Empty" && group.protocolType === "" && offsets[index]!.topics.length === 0,
      )
      .map((group) => group.groupId),
  );
  return {
    offsets,
    classic: groups
      .describeGroups(groupIds)
      .map((group) => (hollow.has(group.groupId) || group.state === "Dead" ? "absent" : group)),
    consumer: groups.consumerGroupDescribe(groupIds).map((group) => ({
      ...group,
      errorMessage:
        hollow.has(group.groupId) || group.errorMessage?.endsWith("not found.")
          ? "absent"
          : group.errorMessage,
      members: group.members.sort((a, b) => a.memberId.localeCompare(b.memberId)),
    })),
    listed: groups
      .listGroups()
      .filter((group) => !hollow.has(group.groupId) || group.groupType !== "classic")
      .sort((a, b) => a.groupId.localeCompare(b.groupId)),
  };
}

describe("restated records under random traffic", () => {
  test("replay to the same groups and offsets as the whole log, for 50 seeds", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const records = traffic(seed, 500);
      const compacted = restated(records);
      expect({ seed, view: reloadedView(compacted) }).toEqual({ seed, view: reloadedView(records) });
    }
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
