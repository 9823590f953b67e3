// Proves the rules between the classic and the consumer (KIP-848) protocol on one __consumer_offsets
// partition, as Kafka 4 applies them without online migration: who owns a group id, what each API answers
// for a group of the other kind, how an Empty group changes hands, how consumer group offsets are validated
// and stored, and that replaying the encoded records rebuilds both kinds of group and their offsets.

import { describe, expect, test } from "bun:test";
import type { OffsetCommitInput } from "../../src/cluster/groups/index.ts";
import {
  decodePartitionRecord,
  encodePartitionRecord,
  PartitionGroups,
  type PartitionRecord,
} from "../../src/cluster/partition-groups.ts";
import { fullHeartbeatInput } from "./consumer-groups/consumer-group-harness.ts";
import { joinGroupInput } from "./groups/group-harness.ts";

const topicId = new Uint8Array(16).fill(7).toBase64({ alphabet: "base64url", omitPadding: true });
const topics = (name: string) => (name === "orders" ? { topicId, partitionCount: 4 } : undefined);

class Partition {
  readonly records: PartitionRecord[] = [];
  nowMs = 10_000;
  groups = new PartitionGroups({ newUuid: () => crypto.randomUUID(), topics });

  keep<T extends { records: PartitionRecord[] }>(step: T): T {
    this.records.push(...step.records);
    return step;
  }

  consumerJoin(groupId: string, memberId: string) {
    return this.keep(
      this.groups.consumerGroupHeartbeat(
        fullHeartbeatInput({ groupId, memberId, memberEpoch: 0 }),
        this.nowMs,
      ),
    ).response;
  }

  classicJoin(groupId: string, memberId = "") {
    return this.keep(this.groups.joinGroup(joinGroupInput({ groupId, memberId }), this.nowMs)).response;
  }

  commit(input: Partial<OffsetCommitInput> & { groupId: string }) {
    const full: OffsetCommitInput = {
      apiVersion: 9,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        { name: "orders", partitions: [{ partition: 0, offset: 42, leaderEpoch: -1, metadata: null }] },
      ],
      ...input,
    };
    return this.keep(this.groups.commitOffsets(full, this.nowMs)).response.topics[0]?.partitions[0]?.error;
  }

  /** A fresh PartitionGroups fed the encoded records, as a new partition leader loads them. */
  reloaded(): PartitionGroups {
    const fresh = new PartitionGroups({ newUuid: () => crypto.randomUUID(), topics });
    for (const record of this.records) {
      const { key, value } = encodePartitionRecord(record);
      expect(fresh.replay(key, value)).toBe(true);
    }
    fresh.onLoadComplete(this.nowMs);
    return fresh;
  }
}

describe("classic requests to a consumer group", () => {
  test("JoinGroup gets INCONSISTENT_GROUP_PROTOCOL, SyncGroup, Heartbeat and LeaveGroup UNKNOWN_MEMBER_ID", () => {
    const partition = new Partition();
    expect(partition.consumerJoin("g", "m").error).toBe("NONE");
    expect(partition.classicJoin("g")?.error).toBe("INCONSISTENT_GROUP_PROTOCOL");
    const { groups, nowMs } = partition;
    const sync = groups.syncGroup(
      {
        requestToken: 2,
        groupId: "g",
        generationId: 1,
        memberId: "m",
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      },
      nowMs,
    );
    expect(sync.response?.error).toBe("UNKNOWN_MEMBER_ID");
    const beat = groups.heartbeat(
      { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null },
      nowMs,
    );
    expect(beat.response.error).toBe("UNKNOWN_MEMBER_ID");
    const leave = groups.leaveGroup(
      { groupId: "g", members: [{ memberId: "m", groupInstanceId: null }] },
      nowMs,
    );
    expect(leave.response.members.map((member) => member.error)).toEqual(["UNKNOWN_MEMBER_ID"]);
    expect(groups.consumerGroupDescribe(["g"])[0]?.members.map((member) => member.memberId)).toEqual(["m"]);
  });

  test("a JoinGroup takes over an Empty consumer group: its records are tombstoned, the id becomes classic", () => {
    const partition = new Partition();
    partition.consumerJoin("g", "m");
    partition.keep(
      partition.groups.consumerGroupHeartbeat(
        fullHeartbeatInput({ memberId: "m", memberEpoch: -1 }),
        partition.nowMs,
      ),
    );
    const before = partition.records.length;
    expect(partition.classicJoin("g", "")?.error).toBe("MEMBER_ID_REQUIRED");
    const written = partition.records.slice(before);
    expect(
      written.filter((record) => "type" in record && record.value === null).map((r) => "type" in r && r.type),
    ).toEqual(["TargetAssignmentMetadata", "PartitionMetadata", "GroupMetadata"]);
    expect(partition.groups.consumer.hasGroup("g")).toBe(false);
    expect(partition.groups.listGroups().map((group) => group.groupType)).toEqual(["classic"]);
    expect(partition.reloaded().consumer.hasGroup("g")).toBe(false);
  });
});

describe("ConsumerGroupHeartbeat to a classic group", () => {
  test("a classic group with members keeps its id: GROUP_ID_NOT_FOUND", () => {
    const partition = new Partition();
    const memberId = partition.classicJoin("classic")?.memberId ?? "";
    partition.classicJoin("classic", memberId);
    const response = partition.consumerJoin("classic", "m");
    expect(response.error).toBe("GROUP_ID_NOT_FOUND");
    expect(partition.groups.consumer.hasGroup("classic")).toBe(false);
  });

  test("an Empty classic group holding only offsets becomes a consumer group, and keeps its offsets", () => {
    const partition = new Partition();
    expect(partition.commit({ groupId: "g" })).toBe("NONE");
    expect(partition.groups.listGroups().map((group) => group.groupType)).toEqual(["classic"]);
    expect(partition.consumerJoin("g", "m").error).toBe("NONE");
    expect(partition.groups.listGroups()).toEqual([
      { groupId: "g", protocolType: "consumer", state: "Stable", groupType: "consumer" },
    ]);
    expect(
      partition.groups.fetchOffsets({ groupId: "g", topics: null }).topics[0]?.partitions[0]?.offset,
    ).toBe(42);
    const reloaded = partition.reloaded();
    expect(reloaded.listGroups().map((group) => group.groupType)).toEqual(["consumer"]);
    expect(reloaded.fetchOffsets({ groupId: "g", topics: null }).topics[0]?.partitions[0]?.offset).toBe(42);
  });

  test("a rejected heartbeat leaves the Empty classic group where it was", () => {
    const partition = new Partition();
    partition.commit({ groupId: "g" });
    const rejected = partition.groups.consumerGroupHeartbeat(
      fullHeartbeatInput({ subscribedTopicRegex: "ord.*" }),
      partition.nowMs,
    );
    expect(rejected.response.error).toBe("INVALID_REQUEST");
    expect(rejected.records).toEqual([]);
    expect(partition.groups.listGroups().map((group) => group.groupType)).toEqual(["classic"]);
  });
});

describe("offsets of a consumer group", () => {
  test("commits are validated by member id and epoch, and need OffsetCommit v9", () => {
    const partition = new Partition();
    const { memberEpoch } = partition.consumerJoin("g", "m");
    expect(memberEpoch).toBeGreaterThan(0);
    expect(partition.commit({ groupId: "g", memberId: "m", generationId: memberEpoch })).toBe("NONE");
    expect(partition.commit({ groupId: "g", memberId: "m", generationId: memberEpoch - 1 })).toBe(
      "STALE_MEMBER_EPOCH",
    );
    expect(partition.commit({ groupId: "g", memberId: "x", generationId: memberEpoch })).toBe(
      "UNKNOWN_MEMBER_ID",
    );
    expect(partition.commit({ groupId: "g", memberId: "m", generationId: memberEpoch, apiVersion: 8 })).toBe(
      "UNSUPPORTED_VERSION",
    );
    // Epoch -1 (admin, manual assignment) only while the group has no members.
    expect(partition.commit({ groupId: "g" })).toBe("UNKNOWN_MEMBER_ID");
    // The one accepted commit did not create a classic group of the same id.
    expect(partition.groups.classic.inspectGroup("g")).toBeNull();
  });

  test("a commit from a member's older epoch stores the partitions it kept and refuses the ones it lost", () => {
    const partition = new Partition();
    const first = partition.consumerJoin("g", "m").memberEpoch;
    partition.consumerJoin("g", "n");
    // m learns of n and is told to give up half its partitions; once it has, it moves to the new epoch.
    const heartbeat = () =>
      partition.keep(
        partition.groups.consumerGroupHeartbeat(fullHeartbeatInput({ memberId: "m", memberEpoch: first }), 0),
      ).response;
    expect(heartbeat().memberEpoch).toBe(first);
    const moved = heartbeat();
    expect(moved.memberEpoch).toBeGreaterThan(first);
    const kept = moved.assignment!.flatMap((entry) => entry.partitions);
    const lost = [0, 1, 2, 3].filter((p) => !kept.includes(p));
    expect(kept.length).toBeGreaterThan(0);
    expect(lost.length).toBeGreaterThan(0);
    // Commits m sent before it heard of the new epoch arrive now, with the old one.
    const offsets = [kept[0]!, lost[0]!].map((p) => ({
      partition: p,
      offset: 7,
      leaderEpoch: -1,
      metadata: "",
    }));
    const response = partition.keep(
      partition.groups.commitOffsets(
        {
          apiVersion: 9,
          groupId: "g",
          memberId: "m",
          generationId: first,
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [{ name: "orders", partitions: offsets }],
        },
        partition.nowMs,
      ),
    ).response;
    expect(response.topics[0]!.partitions).toEqual([
      { partition: kept[0]!, error: "NONE" },
      { partition: lost[0]!, error: "STALE_MEMBER_EPOCH" },
    ]);
    const fetched = partition.groups.fetchOffsets({ groupId: "g", topics: null });
    expect(fetched.topics[0]!.partitions.map((p) => [p.partition, p.offset])).toEqual([[kept[0]!, 7]]);
  });

  test("OffsetFetch v9 checks the member and its epoch when it names them", () => {
    const partition = new Partition();
    const { memberEpoch } = partition.consumerJoin("g", "m");
    partition.commit({ groupId: "g", memberId: "m", generationId: memberEpoch });
    const fetch = (memberId: string | null, epoch: number) =>
      partition.groups.fetchOffsets({ groupId: "g", topics: null, memberId, memberEpoch: epoch });
    expect(fetch("m", memberEpoch).topics[0]?.partitions[0]?.offset).toBe(42);
    expect(fetch(null, -1).topics[0]?.partitions[0]?.offset).toBe(42);
    expect(fetch("m", memberEpoch + 1).error).toBe("STALE_MEMBER_EPOCH");
    expect(fetch("nobody", memberEpoch).error).toBe("UNKNOWN_MEMBER_ID");
  });

  test("OffsetDelete keeps offsets of subscribed topics; DeleteGroups needs an Empty group and takes its offsets", () => {
    const partition = new Partition();
    const { memberEpoch } = partition.consumerJoin("g", "m");
    partition.commit({ groupId: "g", memberId: "m", generationId: memberEpoch });
    const deleted = partition.groups.deleteOffsets(
      { groupId: "g", topics: [{ name: "orders", partitions: [0] }] },
      0,
    );
    expect(deleted.response.topics[0]?.partitions[0]?.error).toBe("GROUP_SUBSCRIBED_TO_TOPIC");
    expect(partition.keep(partition.groups.deleteGroups(["g"], partition.nowMs)).response[0]?.error).toBe(
      "NON_EMPTY_GROUP",
    );
    partition.keep(
      partition.groups.consumerGroupHeartbeat(
        fullHeartbeatInput({ memberId: "m", memberEpoch: -1 }),
        partition.nowMs,
      ),
    );
    expect(partition.keep(partition.groups.deleteGroups(["g"], partition.nowMs)).response[0]?.error).toBe(
      "NONE",
    );
    expect(partition.groups.listGroups()).toEqual([]);
    expect(partition.groups.fetchOffsets({ groupId: "g", topics: null }).topics).toEqual([]);
    const reloaded = partition.reloaded();
    expect(reloaded.listGroups()).toEqual([]);
    expect(reloaded.fetchOffsets({ groupId: "g", topics: null }).topics).toEqual([]);
  });
});

describe("offsets of a deleted topic", () => {
  test("a consumer group's offsets go like a classic group's, and stay gone on replay", () => {
    const partition = new Partition();
    const { memberEpoch } = partition.consumerJoin("g", "m");
    partition.commit({ groupId: "g", memberId: "m", generationId: memberEpoch });
    partition.commit({ groupId: "simple" });
    const deleted = partition.keep(
      partition.groups.deletePartitionOffsets(
        [{ topic: "orders", partitions: [0, 1, 2, 3] }],
        partition.nowMs,
      ),
    );
    expect(deleted.records).toEqual([
      { kind: "offset-commit", key: { groupId: "g", topic: "orders", partition: 0 }, value: null },
      { kind: "offset-commit", key: { groupId: "simple", topic: "orders", partition: 0 }, value: null },
    ]);
    const reloaded = partition.reloaded();
    for (const groupId of ["g", "simple"])
      expect(reloaded.fetchOffsets({ groupId, topics: null }).topics).toEqual([]);
    expect(reloaded.consumerGroupDescribe(["g"])[0]?.members.map((member) => member.memberId)).toEqual(["m"]);
  });
});

describe("decoding records for replay", () => {
  test("a record without a key, of an unknown key type, or that does not decode is reported, not thrown", () => {
    const key = (...bytes: number[]) => new Uint8Array(bytes);
    expect(decodePartitionRecord(null, null)).toEqual({ ok: false, reason: "the record has no key" });
    // Key type 1 (an offset commit) for group "abc", then nothing where the topic should be.
    expect(decodePartitionRecord(key(0, 1, 0, 3, 97, 98, 99), null)).toEqual({
      ok: false,
      reason: "key.topic: needs 2 bytes, 0 remain",
    });
    expect(decodePartitionRecord(key(0, 42, 0, 0), null)).toEqual({
      ok: false,
      reason: "unknown key type 42",
    });
    const groups = new PartitionGroups({ newUuid: () => crypto.randomUUID(), topics });
    expect(groups.replay(key(0, 1, 0, 3, 97, 98, 99), null)).toBe(false);
    expect(groups.listGroups()).toEqual([]);
  });
});

describe("offset retention", () => {
  test("a consumer group keeps offsets of subscribed topics; the rest expire by commit time, all once it is empty", () => {
    const partition = new Partition();
    const { memberEpoch } = partition.consumerJoin("g", "m");
    partition.commit({ groupId: "g", memberId: "m", generationId: memberEpoch });
    partition.commit({
      groupId: "g",
      memberId: "m",
      generationId: memberEpoch,
      topics: [{ name: "audit", partitions: [{ partition: 0, offset: 5, leaderEpoch: -1, metadata: null }] }],
    });
    const retentionMs = partition.groups.classic.config.offsetsRetentionMs;
    const committedTopics = (groups: PartitionGroups) =>
      groups.fetchOffsets({ groupId: "g", topics: null }).topics.map((topic) => topic.name);
    partition.nowMs += retentionMs + 1;
    partition.consumerJoin("g", "m"); // heartbeat: the member stays
    partition.keep(partition.groups.expireOffsets(partition.nowMs));
    expect(committedTopics(partition.groups)).toEqual(["orders"]);
    expect(committedTopics(partition.reloaded())).toEqual(["orders"]);
    partition.keep(
      partition.groups.consumerGroupHeartbeat(
        fullHeartbeatInput({ memberId: "m", memberEpoch: -1 }),
        partition.nowMs,
      ),
    );
    partition.keep(partition.groups.expireOffsets(partition.nowMs));
    expect(committedTopics(partition.groups)).toEqual([]);
    expect(committedTopics(partition.reloaded())).toEqual([]);
  });
});

describe("both kinds side by side", () => {
  test("ListGroups filters by type and state; DescribeGroups calls a consumer group Dead", () => {
    const partition = new Partition();
    partition.consumerJoin("modern", "m");
    partition.commit({ groupId: "simple" });
    const ids = (filter: { states?: string[]; types?: string[] }) =>
      partition.groups.listGroups(filter).map((group) => group.groupId);
    expect(ids({})).toEqual(["simple", "modern"]);
    expect(ids({ types: ["consumer"] })).toEqual(["modern"]);
    expect(ids({ types: ["classic"] })).toEqual(["simple"]);
    expect(ids({ states: ["stable"] })).toEqual(["modern"]);
    expect(partition.groups.describeGroups(["modern"])[0]).toMatchObject({
      state: "Dead",
      error: "GROUP_ID_NOT_FOUND",
    });
    expect(partition.groups.consumerGroupDescribe(["simple"])[0]?.errorMessage).toBe(
      "Group simple is not a consumer group.",
    );
  });

  test("the tick fires at the consumer member's session deadline and its removal is recorded", () => {
    const partition = new Partition();
    partition.consumerJoin("g", "m");
    const deadline = partition.groups.nextDeadlineMs();
    expect(deadline).toBe(partition.nowMs + 45_000);
    expect(partition.keep(partition.groups.tick(deadline! - 1)).records).toEqual([]);
    expect(partition.keep(partition.groups.tick(deadline!)).records.length).toBeGreaterThan(0);
    expect(partition.groups.listGroups()[0]?.state).toBe("Empty");
    expect(partition.groups.nextDeadlineMs()).toBeNull();
    expect(partition.reloaded().listGroups()[0]?.state).toBe("Empty");
  });
});
