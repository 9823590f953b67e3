// Proves static membership (temporary leave keeps the partitions, the returning instance takes them over)
// and durability: replaying the emitted records into a fresh coordinator rebuilds identical groups.

import { describe, expect, test } from "bun:test";
import { ConsumerGroupCoordinator } from "../../../src/cluster/consumer-groups/index.ts";
import { Client, expectNoDoubleOwnership, groupId, Harness, settle } from "./consumer-group-harness.ts";

function twoStatic() {
  const harness = new Harness();
  harness.addTopic("orders", 4);
  const a = new Client(harness, "a1", { topics: ["orders"], instanceId: "host-a" });
  const b = new Client(harness, "b1", { topics: ["orders"], instanceId: "host-b" });
  a.join();
  b.join();
  settle([a, b]);
  return { harness, a, b };
}

describe("static membership", () => {
  test("a static member leaving with epoch -2 keeps its partitions and comes back under a new member id", () => {
    const { harness, a, b } = twoStatic();
    const owned = a.owned;
    const memberEpoch = a.memberEpoch;
    const epochBefore = harness.describe().groupEpoch;
    expect(a.heartbeat({ memberEpoch: -2 }).memberEpoch).toBe(-2);
    b.heartbeat();
    expect(b.ownedCount()).toBe(2); // nobody takes a's partitions while it is away
    const back = new Client(harness, "a2", { topics: ["orders"], instanceId: "host-a" });
    const response = back.join();
    expect(response.error).toBe("NONE");
    expect(response.assignment).toEqual(owned);
    expect(response.memberEpoch).toBe(memberEpoch);
    expect(harness.describe().groupEpoch).toBe(epochBefore);
    expect(
      harness
        .describe()
        .members.map((m) => m.memberId)
        .sort(),
    ).toEqual(["a2", "b1"]);
    expectNoDoubleOwnership([back, b]);
  });

  test("a second instance with the same instance id is refused while the first is active", () => {
    const { harness } = twoStatic();
    const twin = new Client(harness, "a9", { topics: ["orders"], instanceId: "host-a" });
    expect(twin.join().error).toBe("UNRELEASED_INSTANCE_ID");
    expect(
      new Client(harness, "b1", { topics: ["orders"], instanceId: "host-x" }).heartbeat({ memberEpoch: 2 })
        .error,
    ).toBe("FENCED_INSTANCE_ID");
  });

  test("a static member away longer than its session is removed for good", () => {
    const { harness, a, b } = twoStatic();
    a.heartbeat({ memberEpoch: -2 });
    harness.tick(30_000);
    b.heartbeat();
    harness.tick(15_000);
    expect(harness.describe().members.map((m) => m.memberId)).toEqual(["b1"]);
    settle([b]);
    expect(b.ownedCount()).toBe(4);
  });
});

describe("replay", () => {
  test("replaying the records after joins, revocations, leaves and expiry rebuilds the same groups", () => {
    const harness = new Harness();
    harness.addTopic("orders", 5);
    harness.addTopic("payments", 3);
    const clients = ["a", "b", "c"].map(
      (name) => new Client(harness, name, { topics: ["orders", "payments"] }),
    );
    for (const client of clients) client.join();
    const checkpoints: Array<{ recordCount: number; view: unknown }> = [];
    const checkpoint = () =>
      checkpoints.push({
        recordCount: harness.records.length,
        view: harness.coordinator.describe([groupId]),
      });
    clients[0]?.heartbeat(); // mid-revocation
    checkpoint();
    settle(clients);
    checkpoint();
    clients[2]?.heartbeat({ memberEpoch: -1 });
    checkpoint();
    harness.tick(45_001);
    expect(harness.describe().state).toBe("Empty");
    checkpoint();
    for (const { recordCount, view } of checkpoints) {
      const fresh = new ConsumerGroupCoordinator({
        newUuid: () => "x",
        topics: (name) => harness.topics.get(name),
      });
      for (const record of harness.records.slice(0, recordCount)) fresh.replay(record);
      expect(fresh.describe([groupId])).toEqual(view as ReturnType<typeof fresh.describe>);
    }
    const rebuilt = new ConsumerGroupCoordinator({
      newUuid: () => "x",
      topics: (name) => harness.topics.get(name),
    });
    for (const record of harness.records) rebuilt.replay(record);
    expect(rebuilt.describe([groupId])).toEqual(harness.coordinator.describe([groupId]));
  });

  test("a coordinator rebuilt mid-rebalance continues it, and sessions restart on load", () => {
    const harness = new Harness();
    harness.addTopic("orders", 6);
    const a = new Client(harness, "a", { topics: ["orders"] });
    const b = new Client(harness, "b", { topics: ["orders"] });
    a.join();
    b.join();
    a.heartbeat();
    const rebuilt = new ConsumerGroupCoordinator({
      newUuid: () => "x",
      topics: (name) => harness.topics.get(name),
    });
    for (const record of harness.records) rebuilt.replay(record);
    expect(rebuilt.describe([groupId])).toEqual(harness.coordinator.describe([groupId]));
    rebuilt.loaded(harness.nowMs);
    expect(rebuilt.nextDeadlineMs()).toBe(harness.nowMs + 45_000);
    const send = (client: Client) => {
      const { response } = rebuilt.heartbeat(
        {
          groupId,
          memberId: client.memberId,
          memberEpoch: client.memberEpoch,
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: -1,
          subscribedTopicNames: null,
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: client.owned,
          clientId: "c",
          clientHost: "h",
        },
        harness.nowMs,
      );
      expect(response.error).toBe("NONE");
      if (response.assignment !== null) client.owned = response.assignment;
      client.memberEpoch = response.memberEpoch;
    };
    send(a);
    send(b);
    expect(a.ownedCount()).toBe(3);
    expect(b.ownedCount()).toBe(3);
    expectNoDoubleOwnership([a, b]);
    expect(rebuilt.describe([groupId])[0]?.state).toBe("Stable");
  });

  test("a join writes member, topics, epoch, target and current assignment records in replayable order", () => {
    const harness = new Harness({ heartbeatIntervalMs: 2_000 });
    const topicId = harness.addTopic("orders", 2);
    const response = new Client(harness, "a", { topics: ["orders"] }).join();
    expect(response.heartbeatIntervalMs).toBe(2_000);
    expect(harness.records.map((r) => r.type)).toEqual([
      "MemberMetadata",
      "PartitionMetadata",
      "GroupMetadata",
      "TargetAssignmentMember",
      "TargetAssignmentMetadata",
      "CurrentMemberAssignment",
    ]);
    expect(harness.records[1]).toEqual({
      type: "PartitionMetadata",
      groupId,
      value: { topics: [{ topicName: "orders", topicId, partitionCount: 2 }] },
    });
    expect(harness.records[5]).toEqual({
      type: "CurrentMemberAssignment",
      groupId,
      memberId: "a",
      value: {
        memberEpoch: 1,
        previousMemberEpoch: 0,
        state: "STABLE",
        assignedPartitions: [{ topicId, partitions: [0, 1], assignmentEpochs: [1, 1] }],
        partitionsPendingRevocation: [],
      },
    });
  });

  test("describing an unknown group says so", () => {
    const harness = new Harness();
    expect(harness.coordinator.describe(["nope", ""]).map((g) => g.error)).toEqual([
      "GROUP_ID_NOT_FOUND",
      "INVALID_GROUP_ID",
    ]);
  });
});
