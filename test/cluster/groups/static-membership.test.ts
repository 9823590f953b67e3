// Proves static membership (group.instance.id) as Kafka has it: no member-id handshake, a restarted
// member takes a new member id and keeps its assignment without a rebalance when its protocols leave the
// group's selection unchanged, the old id is fenced, and an absent static member is not dropped at the
// end of a join phase.

import { describe, expect, test } from "bun:test";
import { bytes, completionFor, Harness, joinAnswerFor, protocols } from "./group-harness.ts";

/** A static member "a" (leader) and a dynamic follower, Stable at generation 2 with assignments. */
function staticGroup(harness: Harness) {
  const first = harness.join({ groupInstanceId: "a", clientId: "ca" });
  const staticId = first.response?.memberId as string;
  expect(first.response).toMatchObject({ error: "NONE", generationId: 1, leader: staticId });
  expect(staticId).toBe("a-uuid-1"); // instance id, not client id, prefixes a static member's id
  harness.sync({ memberId: staticId, groupInstanceId: "a", generationId: 1, assignments: [] });
  const follower = harness.joinWithHandshake({ clientId: "cb" });
  const rejoin = harness.join({ memberId: staticId, groupInstanceId: "a", clientId: "ca" });
  const followerId = "cb-uuid-2";
  expect(completionFor(rejoin.completions, follower.requestToken)?.response).toMatchObject({
    generationId: 2,
  });
  harness.sync({
    memberId: staticId,
    groupInstanceId: "a",
    generationId: 2,
    assignments: [
      { memberId: staticId, assignment: bytes("a-part") },
      { memberId: followerId, assignment: bytes("b-part") },
    ],
  });
  harness.sync({ memberId: followerId, generationId: 2 });
  expect(harness.state()).toBe("Stable");
  return { staticId, followerId };
}

describe("static membership", () => {
  test("a restarted static member gets a new id and its old assignment without a rebalance", () => {
    const harness = new Harness();
    const { staticId, followerId } = staticGroup(harness);
    const restarted = harness.join({ groupInstanceId: "a", clientId: "ca", apiVersion: 5 });
    const newId = restarted.response?.memberId as string;
    expect(newId).not.toBe(staticId);
    // JoinGroup before v9 names the leader as it was, so the restarted leader acts as a follower.
    expect(restarted.response).toMatchObject({
      error: "NONE",
      generationId: 2,
      leader: staticId,
      members: [],
    });
    expect(restarted.records).toHaveLength(1);
    expect(restarted.records[0]).toMatchObject({
      kind: "group-metadata",
      value: { leader: newId, generationId: 2 },
    });
    expect(harness.state()).toBe("Stable");

    const synced = harness.sync({ memberId: newId, groupInstanceId: "a", generationId: 2 });
    expect(synced.response).toMatchObject({ error: "NONE", assignment: bytes("a-part") });
    expect(harness.heartbeat(followerId, 2)).toBe("NONE");
    expect(harness.heartbeat(newId, 2, "a")).toBe("NONE");
  });

  test("the stale member id is fenced everywhere it is used with the instance id", () => {
    const harness = new Harness();
    const { staticId } = staticGroup(harness);
    harness.join({ groupInstanceId: "a", clientId: "ca" });
    expect(harness.heartbeat(staticId, 2, "a")).toBe("FENCED_INSTANCE_ID");
    expect(harness.sync({ memberId: staticId, groupInstanceId: "a", generationId: 2 }).response?.error).toBe(
      "FENCED_INSTANCE_ID",
    );
    expect(harness.join({ memberId: staticId, groupInstanceId: "a" }).response?.error).toBe(
      "FENCED_INSTANCE_ID",
    );
    expect(harness.leave([{ memberId: staticId, groupInstanceId: "a" }]).response.members[0]?.error).toBe(
      "FENCED_INSTANCE_ID",
    );
    const commit = harness.coordinator.commitOffsets(
      {
        apiVersion: 8,
        groupId: "g",
        generationId: 2,
        memberId: staticId,
        groupInstanceId: "a",
        retentionTimeMs: -1,
        topics: [{ name: "t", partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] }],
      },
      harness.nowMs,
    );
    expect(commit.response.topics[0]?.partitions[0]?.error).toBe("FENCED_INSTANCE_ID");
  });

  test("JoinGroup v9+ tells a restarted static leader to skip the assignment and gives it the members", () => {
    const harness = new Harness();
    staticGroup(harness);
    const restarted = harness.join({ groupInstanceId: "a", clientId: "ca", apiVersion: 9 });
    const newId = restarted.response?.memberId as string;
    expect(restarted.response).toMatchObject({ error: "NONE", leader: newId, skipAssignment: true });
    expect(restarted.response?.members.map((member) => member.memberId)).toEqual([newId, "cb-uuid-2"]);
  });

  test("a static member whose new protocols change the group's selection triggers a rebalance", () => {
    const harness = new Harness();
    const rangeFirst = protocols(["range", "sticky"]);
    const stickyFirst = protocols(["sticky", "range"]);
    const first = harness.join({
      groupInstanceId: "a",
      clientId: "ca",
      protocols: rangeFirst,
      apiVersion: 3,
    });
    const staticId = first.response?.memberId as string;
    harness.sync({ memberId: staticId, groupInstanceId: "a", generationId: 1 });
    const follower = harness.join({ clientId: "cb", protocols: stickyFirst, apiVersion: 3 });
    const rejoin = harness.join({
      memberId: staticId,
      groupInstanceId: "a",
      clientId: "ca",
      protocols: rangeFirst,
    });
    // One vote each: the tie goes to the protocol voted for first, the leader's "range".
    expect(rejoin.response).toMatchObject({ generationId: 2, protocolName: "range" });
    harness.sync({ memberId: staticId, groupInstanceId: "a", generationId: 2 });
    harness.sync({
      memberId: joinAnswerFor(rejoin.completions, follower.requestToken)?.memberId as string,
      generationId: 2,
    });
    expect(harness.state()).toBe("Stable");

    // Same protocols in the same order: no rebalance.
    const same = harness.join({ groupInstanceId: "a", clientId: "ca", protocols: rangeFirst });
    expect(same.response).toMatchObject({ error: "NONE", generationId: 2 });
    expect(harness.state()).toBe("Stable");
    // Now preferring "sticky", two votes to none: the selection would change, so the group rebalances.
    const changed = harness.join({ groupInstanceId: "a", clientId: "ca", protocols: stickyFirst });
    expect(changed.response).toBeNull();
    expect(changed.records).toEqual([]);
    expect(harness.state()).toBe("PreparingRebalance");
  });

  test("an admin removes a static member by instance id alone", () => {
    const harness = new Harness();
    const { staticId } = staticGroup(harness);
    const left = harness.leave([{ memberId: "", groupInstanceId: "a" }]);
    expect(left.response.members).toEqual([{ memberId: "", groupInstanceId: "a", error: "NONE" }]);
    expect(harness.coordinator.inspectGroup("g")?.members.map((member) => member.memberId)).not.toContain(
      staticId,
    );
    expect(harness.state()).toBe("PreparingRebalance");
  });

  test("a static member that does not rejoin is kept through the join phase; a dynamic one is dropped", () => {
    const harness = new Harness();
    const { staticId, followerId } = staticGroup(harness);
    // A third, dynamic member joins; only it rejoins (the others keep heartbeating but do not rejoin).
    const third = harness.joinWithHandshake({ clientId: "cc" });
    expect(third.response).toBeNull();
    const start = harness.nowMs;
    for (const elapsedMs of [8_000, 16_000, 24_000]) {
      harness.tick(start + elapsedMs);
      expect(harness.heartbeat(staticId, 2, "a")).toBe("REBALANCE_IN_PROGRESS");
      expect(harness.heartbeat(followerId, 2)).toBe("REBALANCE_IN_PROGRESS");
    }
    const done = harness.tick(start + 30_000);
    expect(completionFor(done.completions, third.requestToken)?.response).toMatchObject({
      error: "NONE",
      generationId: 3,
      leader: "cc-uuid-3",
    });
    const members = harness.coordinator.inspectGroup("g")?.members.map((member) => member.memberId);
    expect(members).toEqual([staticId, "cc-uuid-3"]);
  });
});
