// Proves KIP-848 reconciliation end to end: joins, revoke-before-assign, leaves, session and revocation
// timeouts (the group's own, where its configs set them), epoch fencing and request validation, never letting
// two members own one partition.

import { describe, expect, test } from "bun:test";
import { ConsumerGroupCoordinator } from "../../../src/cluster/consumer-groups/index.ts";
import { Client, expectNoDoubleOwnership, Harness, settle } from "./consumer-group-harness.ts";

function setup() {
  const harness = new Harness();
  const topicId = harness.addTopic("orders", 6);
  return { harness, topicId };
}

describe("consumer group heartbeat", () => {
  test("a lone member joins and gets every partition at the new epoch", () => {
    const { harness, topicId } = setup();
    const a = new Client(harness, "a", { topics: ["orders"] });
    const response = a.join();
    expect(response.error).toBe("NONE");
    expect(response.memberEpoch).toBe(1);
    expect(response.heartbeatIntervalMs).toBe(5_000);
    expect(response.assignment).toEqual([{ topicId, partitions: [0, 1, 2, 3, 4, 5] }]);
    const group = harness.describe();
    expect(group.state).toBe("Stable");
    expect(group.groupEpoch).toBe(1);
    expect(group.assignmentEpoch).toBe(1);
    expect(group.assignorName).toBe("uniform");
    // A plain heartbeat changes nothing and carries no assignment.
    const again = a.heartbeat({ topicPartitions: null });
    expect(again.assignment).toBeNull();
    expect(again.memberEpoch).toBe(1);
  });

  test("a member joining without an id gets one from the coordinator", () => {
    const { harness } = setup();
    const a = new Client(harness, "", { topics: ["orders"] });
    expect(a.join().memberId).toBe("uuid-1");
    expect(harness.describe().members.map((m) => m.memberId)).toEqual(["uuid-1"]);
  });

  test("a second member gets half only after the first revoked it", () => {
    const { harness, topicId } = setup();
    const a = new Client(harness, "a", { topics: ["orders"] });
    const b = new Client(harness, "b", { topics: ["orders"] });
    a.join();
    const joined = b.join();
    // b is in the epoch-2 target but a still owns everything: b gets nothing yet.
    expect(joined.memberEpoch).toBe(2);
    expect(joined.assignment).toEqual([]);
    expect(harness.describe().state).toBe("Reconciling");
    // a is told to drop half, and keeps its epoch until it has.
    const revoke = a.heartbeat();
    expect(revoke.memberEpoch).toBe(1);
    expect(revoke.assignment).toEqual([{ topicId, partitions: [0, 1, 2] }]);
    expectNoDoubleOwnership([a, b]);
    // b still waits: a has not yet reported the revocation.
    expect(b.heartbeat().assignment).toBeNull();
    // a acknowledges by reporting what it owns now, and moves to epoch 2.
    expect(a.heartbeat().memberEpoch).toBe(2);
    const gained = b.heartbeat();
    expect(gained.assignment).toEqual([{ topicId, partitions: [3, 4, 5] }]);
    expectNoDoubleOwnership([a, b]);
    expect(harness.describe().state).toBe("Stable");
  });

  test("a leaving member's partitions go to the others", () => {
    const { harness } = setup();
    const clients = ["a", "b", "c"].map((name) => new Client(harness, name, { topics: ["orders"] }));
    for (const client of clients) client.join();
    settle(clients);
    expect(clients.map((c) => c.ownedCount())).toEqual([2, 2, 2]);
    const [a, b, c] = clients as [Client, Client, Client];
    const left = c.heartbeat({ memberEpoch: -1 });
    expect(left.error).toBe("NONE");
    expect(left.memberEpoch).toBe(-1);
    settle([a, b]);
    expect(a.ownedCount() + b.ownedCount()).toBe(6);
    expect([a.ownedCount(), b.ownedCount()]).toEqual([3, 3]);
    expect(harness.describe().members.map((m) => m.memberId)).toEqual(["a", "b"]);
    // The departed member is unknown now.
    expect(c.heartbeat({ memberEpoch: 5 }).error).toBe("UNKNOWN_MEMBER_ID");
  });

  test("a member silent for the session timeout is removed and its partitions reassigned", () => {
    const { harness } = setup();
    const a = new Client(harness, "a", { topics: ["orders"] });
    const b = new Client(harness, "b", { topics: ["orders"] });
    a.join();
    b.join();
    settle([a, b]);
    harness.tick(40_000);
    a.heartbeat();
    expect(harness.coordinator.nextDeadlineMs()).toBe(harness.nowMs + 5_000);
    harness.tick(5_000); // b has now been silent 45 s; a only 5 s.
    expect(harness.describe().members.map((m) => m.memberId)).toEqual(["a"]);
    a.heartbeat();
    expect(a.ownedCount()).toBe(6);
    expect(b.heartbeat().error).toBe("UNKNOWN_MEMBER_ID");
  });

  test("a group's own configs set its session timeout and heartbeat interval, from the next heartbeat on", () => {
    const own = new Map<string, { sessionTimeoutMs?: number; heartbeatIntervalMs?: number }>([
      ["g", { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 2_000 }],
    ]);
    const harness = new Harness({}, (groupId) => own.get(groupId) ?? {});
    harness.addTopic("orders", 6);
    const a = new Client(harness, "a", { topics: ["orders"] });
    const b = new Client(harness, "b", { topics: ["orders"] });
    expect(a.join().heartbeatIntervalMs).toBe(2_000);
    b.join();
    settle([a, b]);
    harness.tick(9_000);
    a.heartbeat();
    harness.tick(1_000); // b has been silent 10 s: the group's session timeout, not the broker's 45 s.
    expect(harness.describe().members.map((m) => m.memberId)).toEqual(["a"]);
    own.delete("g");
    expect(a.heartbeat().heartbeatIntervalMs).toBe(5_000);
    expect(harness.coordinator.nextDeadlineMs()).toBe(harness.nowMs + 45_000);
  });

  test("a member that does not revoke within its rebalance timeout is removed", () => {
    const { harness } = setup();
    const a = new Client(harness, "a", { topics: ["orders"], rebalanceTimeoutMs: 10_000 });
    const b = new Client(harness, "b", { topics: ["orders"] });
    a.join();
    b.join();
    a.heartbeat({ topicPartitions: null }); // told to revoke, but never reports having done it
    harness.tick(9_999);
    a.heartbeat({ topicPartitions: null });
    expect(harness.describe().members).toHaveLength(2);
    harness.tick(1);
    expect(harness.describe().members.map((m) => m.memberId)).toEqual(["b"]);
    expect(b.heartbeat().assignment?.[0]?.partitions).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("stale and future epochs are fenced; one epoch behind is tolerated with a subset of the assignment", () => {
    const { harness } = setup();
    const a = new Client(harness, "a", { topics: ["orders"] });
    const b = new Client(harness, "b", { topics: ["orders"] });
    a.join();
    b.join();
    settle([a, b]);
    expect(a.memberEpoch).toBe(2);
    expect(a.heartbeat({ memberEpoch: 3 }).error).toBe("FENCED_MEMBER_EPOCH");
    // Epoch 1 with only its current partitions: the epoch-2 answer may have been lost.
    expect(a.heartbeat({ memberEpoch: 1 }).error).toBe("NONE");
    // Epoch 1 claiming a partition it no longer has is a zombie.
    const claim = [{ topicId: "id-orders", partitions: [0, 1, 2, 3, 4, 5] }];
    expect(a.heartbeat({ memberEpoch: 1, topicPartitions: claim }).error).toBe("FENCED_MEMBER_EPOCH");
    expect(harness.describe().members.find((m) => m.memberId === "a")?.memberEpoch).toBe(2);
  });

  test("a fenced member rejoins with epoch 0 under its id and gets its partitions back", () => {
    const { harness } = setup();
    const a = new Client(harness, "a", { topics: ["orders"] });
    a.join();
    const epoch = harness.describe().groupEpoch;
    const rejoined = a.join();
    expect(rejoined.error).toBe("NONE");
    expect(rejoined.assignment?.[0]?.partitions).toEqual([0, 1, 2, 3, 4, 5]);
    expect(harness.describe().groupEpoch).toBe(epoch);
  });

  test("subscription changes and new partitions bump the group epoch and reassign", () => {
    const { harness } = setup();
    const paymentsId = harness.addTopic("payments", 2);
    const a = new Client(harness, "a", { topics: ["orders"] });
    a.join();
    const changed = a.heartbeat({ subscribedTopicNames: ["orders", "payments"] });
    expect(changed.memberEpoch).toBe(2);
    expect(changed.assignment?.find((t) => t.topicId === paymentsId)?.partitions).toEqual([0, 1]);
    harness.addTopic("payments", 4);
    const grown = a.heartbeat();
    expect(grown.memberEpoch).toBe(3);
    expect(grown.assignment?.find((t) => t.topicId === paymentsId)?.partitions).toEqual([0, 1, 2, 3]);
  });

  test("invalid requests are rejected without records", () => {
    const { harness } = setup();
    const cases = [
      [
        { groupId: "", subscribedTopicNames: [], rebalanceTimeoutMs: 1, topicPartitions: [] },
        "INVALID_REQUEST",
      ],
      [
        { instanceId: "", subscribedTopicNames: [], rebalanceTimeoutMs: 1, topicPartitions: [] },
        "INVALID_REQUEST",
      ],
      [{ subscribedTopicNames: [], topicPartitions: [] }, "INVALID_REQUEST"],
      [{ rebalanceTimeoutMs: 1, topicPartitions: [] }, "INVALID_REQUEST"],
      [
        { subscribedTopicNames: [], rebalanceTimeoutMs: 1, topicPartitions: [], subscribedTopicRegex: "o.*" },
        "INVALID_REQUEST",
      ],
      [
        { subscribedTopicNames: [], rebalanceTimeoutMs: 1, topicPartitions: [], serverAssignor: "sticky" },
        "UNSUPPORTED_ASSIGNOR",
      ],
      [{ memberEpoch: 3 }, "INVALID_REQUEST"],
      [{ memberId: "x", memberEpoch: 3 }, "GROUP_ID_NOT_FOUND"],
      [{ memberId: "x", memberEpoch: -1 }, "GROUP_ID_NOT_FOUND"],
      [{ memberId: "x", memberEpoch: -2 }, "INVALID_REQUEST"],
    ] as const;
    for (const [input, error] of cases) expect(harness.send(input).error).toBe(error);
    expect(harness.records).toEqual([]);
  });

  test("the group refuses members beyond its maximum size", () => {
    const harness = new Harness({ groupMaxSize: 1 });
    harness.addTopic("orders", 1);
    new Client(harness, "a", { topics: ["orders"] }).join();
    expect(new Client(harness, "b", { topics: ["orders"] }).join().error).toBe("GROUP_MAX_SIZE_REACHED");
  });

  test("an offset commit carries the member's epoch: a newer one, or another member's, is refused", () => {
    const { harness } = setup();
    const a = new Client(harness, "a", { topics: ["orders"] });
    a.join();
    const { coordinator } = harness;
    expect(coordinator.validateOffsetCommit("other", "a", 1)).toBeNull();
    expect(coordinator.validateOffsetCommit("g", "a", a.memberEpoch)).toBe("NONE");
    expect(coordinator.validateOffsetCommit("g", "a", a.memberEpoch + 1)).toBe("STALE_MEMBER_EPOCH");
    expect(coordinator.validateOffsetCommit("g", "x", a.memberEpoch)).toBe("UNKNOWN_MEMBER_ID");
    expect(coordinator.validateOffsetCommit("g", "", -1)).toBe("UNKNOWN_MEMBER_ID");
    expect(coordinator.validateOffsetCommit("g", "a", a.memberEpoch, 8)).toBe("UNSUPPORTED_VERSION");
    a.heartbeat({ memberEpoch: -1 });
    expect(coordinator.validateOffsetCommit("g", "", -1)).toBe("NONE");
  });

  test("a commit from an older epoch counts for partitions held since that epoch (KIP-1251), also after replay", () => {
    const { harness } = setup();
    const a = new Client(harness, "a", { topics: ["orders"] });
    a.join();
    const firstEpoch = a.memberEpoch;
    const b = new Client(harness, "b", { topics: ["orders"] });
    b.join();
    settle([a, b]);
    expect(a.memberEpoch).toBeGreaterThan(firstEpoch);
    const kept = a.owned[0]!.partitions;
    const lost = b.owned[0]!.partitions;
    expect(kept.length).toBe(3);
    expect(lost.length).toBe(3);
    const verdicts = (coordinator: typeof harness.coordinator, member: string, epoch: number) => {
      const check = coordinator.validateOffsetCommit("g", member, epoch);
      if (typeof check !== "function") throw new Error(`expected a per-partition check, got ${check}`);
      return [0, 1, 2, 3, 4, 5].map((partition) => check("orders", partition));
    };
    const expected = [0, 1, 2, 3, 4, 5].map((partition) =>
      kept.includes(partition) ? "NONE" : "STALE_MEMBER_EPOCH",
    );
    // a's commits sent before its epoch moved on: fine for the partitions it kept, not for those now b's.
    expect(verdicts(harness.coordinator, "a", firstEpoch)).toEqual(expected);
    // b gained its partitions at its current epoch: an older epoch of b's never held them.
    expect(verdicts(harness.coordinator, "b", b.memberEpoch - 1)).toEqual(
      [0, 1, 2, 3, 4, 5].map(() => "STALE_MEMBER_EPOCH"),
    );
    const unknownTopic = harness.coordinator.validateOffsetCommit("g", "a", firstEpoch);
    expect(typeof unknownTopic === "function" && unknownTopic("nope", kept[0]!)).toBe("STALE_MEMBER_EPOCH");
    // The epochs are in the records: a coordinator rebuilt from them answers the same.
    const rebuilt = new ConsumerGroupCoordinator({
      newUuid: () => "x",
      topics: (n) => harness.topics.get(n),
    });
    for (const record of harness.records) rebuilt.replay(record);
    expect(verdicts(rebuilt, "a", firstEpoch)).toEqual(expected);
  });

  test("the group uses the assignor its members ask for", () => {
    const { harness } = setup();
    const a = new Client(harness, "a", { topics: ["orders"], assignor: "range" });
    a.join();
    expect(harness.describe().assignorName).toBe("range");
  });
});
