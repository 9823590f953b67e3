// Proves committed offsets follow Kafka's rules: who may commit (group members at their generation, simple
// consumers to Empty groups), fetch of listed and all partitions, OffsetDelete and DeleteGroups limits,
// offsets of deleted partitions, offset retention, and the ListGroups/DescribeGroups views.

import { describe, expect, test } from "bun:test";
import type { OffsetCommitInput } from "../../../src/cluster/groups/group-types.ts";
import { kafkaErrors } from "../../../src/protocol/error-codes.ts";
import { bytes, Harness, protocols } from "./group-harness.ts";

const dayMs = 24 * 60 * 60 * 1000;

function commitInput(overrides: Partial<OffsetCommitInput> = {}): OffsetCommitInput {
  return {
    apiVersion: 8,
    groupId: "g",
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: "t",
        partitions: [
          { partition: 0, offset: 10, leaderEpoch: 3, metadata: "m0" },
          { partition: 1, offset: 20, leaderEpoch: -1, metadata: null },
        ],
      },
    ],
    ...overrides,
  };
}

function commit(harness: Harness, overrides: Partial<OffsetCommitInput> = {}) {
  const result = harness.coordinator.commitOffsets(commitInput(overrides), harness.nowMs);
  harness.record(result);
  return result;
}

const errorsOf = (result: ReturnType<typeof commit>) =>
  result.response.topics.flatMap((topic) => topic.partitions.map((partition) => partition.error));

function stableMember(harness: Harness, topics = ["t"]): string {
  const joined = harness.join({ apiVersion: 3, protocols: protocols(["range"], topics) });
  const memberId = joined.response?.memberId as string;
  harness.sync({ memberId, generationId: 1, assignments: [{ memberId, assignment: bytes("x") }] });
  return memberId;
}

describe("OffsetCommit and OffsetFetch", () => {
  test("a simple consumer commits to a group that does not exist yet, and fetches its offsets back", () => {
    const harness = new Harness();
    const result = commit(harness);
    expect(errorsOf(result)).toEqual(["NONE", "NONE"]);
    expect(result.records).toHaveLength(2);
    expect(result.records[0]).toMatchObject({
      kind: "offset-commit",
      key: { groupId: "g", topic: "t", partition: 0 },
      value: {
        offset: 10,
        leaderEpoch: 3,
        metadata: "m0",
        commitTimestampMs: harness.nowMs,
        expireTimestampMs: -1,
      },
    });
    expect(harness.state()).toBe("Empty");

    const listed = harness.coordinator.fetchOffsets({
      groupId: "g",
      topics: [{ name: "t", partitions: [0, 1, 2] }],
    });
    expect(listed.topics[0]?.partitions).toEqual([
      { partition: 0, offset: 10, leaderEpoch: 3, metadata: "m0", error: "NONE" },
      { partition: 1, offset: 20, leaderEpoch: -1, metadata: "", error: "NONE" },
      { partition: 2, offset: -1, leaderEpoch: -1, metadata: "", error: "NONE" },
    ]);
    const all = harness.coordinator.fetchOffsets({ groupId: "g", topics: null });
    expect(all.topics.map((topic) => [topic.name, topic.partitions.map((p) => p.offset)])).toEqual([
      ["t", [10, 20]],
    ]);
    expect(harness.coordinator.fetchOffsets({ groupId: "other", topics: null }).topics).toEqual([]);
  });

  test("a group member commits at its generation; other generations, members and states are refused", () => {
    const harness = new Harness();
    const memberId = stableMember(harness);
    expect(errorsOf(commit(harness, { generationId: 1, memberId }))).toEqual(["NONE", "NONE"]);
    expect(errorsOf(commit(harness, { generationId: 0, memberId }))).toEqual([
      "ILLEGAL_GENERATION",
      "ILLEGAL_GENERATION",
    ]);
    expect(errorsOf(commit(harness, { generationId: 1, memberId: "ghost" }))[0]).toBe("UNKNOWN_MEMBER_ID");
    // A simple consumer may not commit while members consume through the group.
    expect(errorsOf(commit(harness))[0]).toBe("UNKNOWN_MEMBER_ID");
    // During the rebalance the old generation can still commit; after the join, until the sync, not.
    harness.join({ apiVersion: 3, clientId: "other" });
    expect(errorsOf(commit(harness, { generationId: 1, memberId }))[0]).toBe("NONE");
    harness.join({ apiVersion: 3, memberId });
    expect(harness.state()).toBe("CompletingRebalance");
    expect(errorsOf(commit(harness, { generationId: 2, memberId }))[0]).toBe("REBALANCE_IN_PROGRESS");
  });

  test("a commit with a generation to a missing group: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND after", () => {
    const harness = new Harness();
    expect(errorsOf(commit(harness, { generationId: 1, memberId: "m" }))[0]).toBe("ILLEGAL_GENERATION");
    expect(errorsOf(commit(harness, { generationId: 1, memberId: "m", apiVersion: 9 }))[0]).toBe(
      "GROUP_ID_NOT_FOUND",
    );
    expect(harness.coordinator.listGroups()).toEqual([]);
  });

  test("metadata beyond offset.metadata.max.bytes is refused for that partition only", () => {
    const harness = new Harness({ offsetMetadataBytesMax: 4 });
    const result = commit(harness, {
      topics: [
        {
          name: "t",
          partitions: [
            { partition: 0, offset: 1, leaderEpoch: -1, metadata: "12345" },
            { partition: 1, offset: 2, leaderEpoch: -1, metadata: "1234" },
          ],
        },
      ],
    });
    expect(errorsOf(result)).toEqual(["OFFSET_METADATA_TOO_LARGE", "NONE"]);
    expect(result.records).toHaveLength(1);
  });
});

describe("OffsetDelete and DeleteGroups", () => {
  test("a live consumer group may delete offsets of topics it does not subscribe to, only", () => {
    const harness = new Harness();
    const memberId = stableMember(harness, ["t"]);
    commit(harness, { generationId: 1, memberId });
    commit(harness, {
      generationId: 1,
      memberId,
      topics: [{ name: "old", partitions: [{ partition: 0, offset: 5, leaderEpoch: -1, metadata: "" }] }],
    });
    const deleted = harness.coordinator.deleteOffsets(
      {
        groupId: "g",
        topics: [
          { name: "t", partitions: [0] },
          { name: "old", partitions: [0] },
        ],
      },
      harness.nowMs,
    );
    expect(deleted.response).toEqual({
      error: "NONE",
      topics: [
        { name: "t", partitions: [{ partition: 0, error: "GROUP_SUBSCRIBED_TO_TOPIC" }] },
        { name: "old", partitions: [{ partition: 0, error: "NONE" }] },
      ],
    });
    expect(deleted.records).toEqual([
      { kind: "offset-commit", key: { groupId: "g", topic: "old", partition: 0 }, value: null },
    ]);
    expect(
      harness.coordinator.fetchOffsets({ groupId: "g", topics: [{ name: "old", partitions: [0] }] }).topics[0]
        ?.partitions[0]?.offset,
    ).toBe(-1);
    expect(harness.coordinator.deleteOffsets({ groupId: "missing", topics: [] }, 0).response.error).toBe(
      "GROUP_ID_NOT_FOUND",
    );
  });

  test("a live group of another protocol type refuses OffsetDelete with NON_EMPTY_GROUP", () => {
    const harness = new Harness();
    harness.join({ apiVersion: 3, protocolType: "connect" });
    const result = harness.coordinator.deleteOffsets(
      { groupId: "g", topics: [{ name: "t", partitions: [0] }] },
      0,
    );
    expect(result.response.error).toBe("NON_EMPTY_GROUP");
  });

  test("DeleteGroups refuses a non-empty group and deletes an empty one with its offsets", () => {
    const harness = new Harness();
    const memberId = stableMember(harness);
    commit(harness, { generationId: 1, memberId });
    const refused = harness.coordinator.deleteGroups(["g", "missing", ""], harness.nowMs);
    expect(refused.response).toEqual([
      { groupId: "g", error: "NON_EMPTY_GROUP" },
      { groupId: "missing", error: "GROUP_ID_NOT_FOUND" },
      { groupId: "", error: "INVALID_GROUP_ID" },
    ]);
    expect(refused.records).toEqual([]);
    harness.leave([{ memberId }]);
    const deleted = harness.coordinator.deleteGroups(["g"], harness.nowMs);
    expect(deleted.response).toEqual([{ groupId: "g", error: "NONE" }]);
    expect(deleted.records.map((record) => [record.kind, record.value])).toEqual([
      ["offset-commit", null],
      ["offset-commit", null],
      ["group-metadata", null],
    ]);
    expect(harness.coordinator.inspectGroup("g")).toBeNull();
    expect(harness.coordinator.fetchOffsets({ groupId: "g", topics: null }).topics).toEqual([]);
  });
});

describe("offsets of deleted partitions", () => {
  test("every group's offsets of the deleted partitions get tombstones, subscribed or not; the rest stay", () => {
    const harness = new Harness();
    const memberId = stableMember(harness, ["t"]);
    commit(harness, { generationId: 1, memberId });
    commit(harness, {
      groupId: "simple",
      topics: [
        { name: "t", partitions: [{ partition: 1, offset: 7, leaderEpoch: -1, metadata: null }] },
        { name: "other", partitions: [{ partition: 0, offset: 9, leaderEpoch: -1, metadata: null }] },
      ],
    });
    const deleted = harness.coordinator.deletePartitionOffsets(
      [
        { topic: "t", partitions: [1, 2] },
        { topic: "never-committed", partitions: [0] },
      ],
      harness.nowMs,
    );
    expect(deleted.records).toEqual([
      { kind: "offset-commit", key: { groupId: "g", topic: "t", partition: 1 }, value: null },
      { kind: "offset-commit", key: { groupId: "simple", topic: "t", partition: 1 }, value: null },
    ]);
    const offsetsOf = (groupId: string) =>
      harness.coordinator
        .fetchOffsets({ groupId, topics: null })
        .topics.map((topic) => [topic.name, topic.partitions.map((partition) => partition.offset)]);
    expect(offsetsOf("g")).toEqual([["t", [10]]]);
    expect(offsetsOf("simple")).toEqual([["other", [9]]]);
    expect(harness.state("g")).toBe("Stable");
  });
});

describe("offset retention", () => {
  test("an Empty group's offsets expire offsets.retention.ms after it became Empty, and the group goes", () => {
    const harness = new Harness({ offsetsRetentionMs: 7 * dayMs });
    const memberId = stableMember(harness);
    commit(harness, { generationId: 1, memberId });
    harness.nowMs += dayMs; // the member consumes a day longer, then leaves
    harness.leave([{ memberId }]);
    const emptySinceMs = harness.nowMs;
    expect(harness.coordinator.expireOffsets(emptySinceMs + 7 * dayMs - 1).records).toEqual([]);
    const expired = harness.coordinator.expireOffsets(emptySinceMs + 7 * dayMs);
    expect(expired.records.map((record) => [record.kind, record.value])).toEqual([
      ["offset-commit", null],
      ["offset-commit", null],
      ["group-metadata", null],
    ]);
    expect(harness.coordinator.listGroups()).toEqual([]);
  });

  test("a simple consumer's offsets expire per commit; a Stable group keeps its subscribed topics' offsets", () => {
    const harness = new Harness({ offsetsRetentionMs: dayMs });
    commit(harness, { groupId: "simple" });
    const memberId = stableMember(harness, ["t"]);
    commit(harness, { generationId: 1, memberId });
    const start = harness.nowMs;
    harness.nowMs = start + dayMs / 2;
    commit(harness, {
      groupId: "simple",
      topics: [{ name: "t", partitions: [{ partition: 1, offset: 99, leaderEpoch: -1, metadata: "" }] }],
    });
    expect(harness.heartbeat(memberId, 1)).toBe("NONE");
    const expired = harness.coordinator.expireOffsets(start + dayMs);
    expect(expired.records).toEqual([
      { kind: "offset-commit", key: { groupId: "simple", topic: "t", partition: 0 }, value: null },
    ]);
    expect(
      harness.coordinator.fetchOffsets({ groupId: "g", topics: null }).topics[0]?.partitions,
    ).toHaveLength(2);
  });

  test("an Empty group without offsets goes at the next expiry, unless a member id handed out awaits its rejoin", () => {
    const harness = new Harness();
    const handshake = harness.join();
    expect(handshake.response?.error).toBe("MEMBER_ID_REQUIRED");
    harness.join({ groupId: "idle", apiVersion: 3 });
    harness.leave([{ memberId: "client-uuid-2" }], "idle");
    const expired = harness.coordinator.expireOffsets(harness.nowMs);
    expect(expired.records).toEqual([{ kind: "group-metadata", groupId: "idle", value: null }]);
    expect(harness.join({ memberId: handshake.response?.memberId as string }).response?.error).toBe("NONE");
  });

  test("an offset committed with its own retention (v2-4) expires at its expire timestamp", () => {
    const harness = new Harness({ offsetsRetentionMs: 7 * dayMs });
    commit(harness, { retentionTimeMs: 1_000 });
    expect(harness.coordinator.expireOffsets(harness.nowMs + 999).records).toEqual([]);
    expect(harness.coordinator.expireOffsets(harness.nowMs + 1_000).records).toHaveLength(3);
  });
});

describe("ListGroups and DescribeGroups", () => {
  test("list with state and type filters; describe shows metadata and assignments only when Stable", () => {
    const harness = new Harness();
    const memberId = stableMember(harness);
    commit(harness, { groupId: "simple" });
    expect(
      harness.coordinator.listGroups().map((group) => [group.groupId, group.state, group.protocolType]),
    ).toEqual([
      ["g", "Stable", "consumer"],
      ["simple", "Empty", ""],
    ]);
    expect(harness.coordinator.listGroups({ states: ["stable"] }).map((group) => group.groupId)).toEqual([
      "g",
    ]);
    expect(harness.coordinator.listGroups({ types: ["consumer"] })).toEqual([]);
    expect(harness.coordinator.listGroups({ types: ["Classic"] })).toHaveLength(2);

    const [stable, missing] = harness.coordinator.describeGroups(["g", "missing"]);
    expect(stable).toMatchObject({
      error: "NONE",
      state: "Stable",
      protocolType: "consumer",
      protocolName: "range",
    });
    expect(stable?.members[0]).toMatchObject({ memberId, clientId: "client", assignment: bytes("x") });
    expect(stable?.members[0]?.metadata.length).toBeGreaterThan(0);
    expect(missing).toMatchObject({ error: "GROUP_ID_NOT_FOUND", state: "Dead", members: [] });

    harness.join({ apiVersion: 3, clientId: "other" });
    const [rebalancing] = harness.coordinator.describeGroups(["g"]);
    expect(rebalancing).toMatchObject({ state: "PreparingRebalance", protocolName: "" });
    expect(rebalancing?.members.map((member) => member.assignment.length)).toEqual([0, 0]);
  });

  test("every error name the coordinator uses is one of Kafka's", () => {
    const names = new Set(kafkaErrors.map((error) => error.name));
    const used = [
      "NONE",
      "COORDINATOR_NOT_AVAILABLE",
      "INVALID_GROUP_ID",
      "INVALID_SESSION_TIMEOUT",
      "UNKNOWN_MEMBER_ID",
      "MEMBER_ID_REQUIRED",
      "FENCED_INSTANCE_ID",
      "ILLEGAL_GENERATION",
      "INCONSISTENT_GROUP_PROTOCOL",
      "REBALANCE_IN_PROGRESS",
      "GROUP_MAX_SIZE_REACHED",
      "OFFSET_METADATA_TOO_LARGE",
      "GROUP_ID_NOT_FOUND",
      "NON_EMPTY_GROUP",
      "GROUP_SUBSCRIBED_TO_TOPIC",
    ];
    for (const name of used) expect(names.has(name)).toBe(true);
  });
});
