// Proves the records a coordinator emits are enough to rebuild it: replaying them (through their byte
// encoding) into a fresh coordinator gives the same groups and offsets, and the rebuilt groups carry on.

import { describe, expect, test } from "bun:test";
import type { GroupCoordinator } from "../../../src/cluster/groups/group-coordinator.ts";
import { decodeGroupRecord, encodeGroupRecord } from "../../../src/cluster/groups/group-records.ts";
import { bytes, Harness, protocols } from "./group-harness.ts";

/** What survives a restart: the persisted generation of each group and every committed offset. */
function durableView(coordinator: GroupCoordinator, groupIds: string[]) {
  return groupIds.map((groupId) => {
    const snapshot = coordinator.inspectGroup(groupId);
    return {
      snapshot: snapshot && {
        state: snapshot.state,
        generationId: snapshot.generationId,
        protocolType: snapshot.protocolType,
        protocolName: snapshot.protocolName,
        leaderId: snapshot.leaderId,
      },
      described: coordinator.describeGroups([groupId])[0],
      offsets: coordinator.fetchOffsets({ groupId, topics: null }),
    };
  });
}

function rebuild(harness: Harness): Harness {
  // A second coordinator draws different member ids, as a real random source would.
  const restored = new Harness({}, "restored");
  for (const record of harness.log) {
    const encoded = encodeGroupRecord(record);
    const decoded = decodeGroupRecord(encoded.key, encoded.value);
    if (decoded === null) throw new Error("record did not decode");
    restored.coordinator.replay(decoded);
  }
  restored.nowMs = harness.nowMs;
  restored.record(restored.coordinator.onLoadComplete(harness.nowMs));
  return restored;
}

describe("replay", () => {
  test("rebuilds equal groups and offsets from the emitted records", () => {
    const harness = new Harness();
    // Group "g": a static leader and a dynamic follower, Stable at generation 2, with offsets.
    const first = harness.join({
      groupInstanceId: "a",
      protocols: protocols(["range", "sticky"], ["t", "u"]),
    });
    const leader = first.response?.memberId as string;
    harness.sync({ memberId: leader, groupInstanceId: "a", generationId: 1 });
    harness.joinWithHandshake({ clientId: "f", protocols: protocols(["range"], ["t"]) });
    harness.join({
      memberId: leader,
      groupInstanceId: "a",
      protocols: protocols(["range", "sticky"], ["t", "u"]),
    });
    const follower = "f-uuid-2";
    harness.sync({
      memberId: leader,
      groupInstanceId: "a",
      generationId: 2,
      assignments: [
        { memberId: leader, assignment: bytes("t0,u0") },
        { memberId: follower, assignment: bytes("t1") },
      ],
    });
    const commit = (
      groupId: string,
      generationId: number,
      memberId: string,
      partition: number,
      offset: number,
    ) =>
      harness.record(
        harness.coordinator.commitOffsets(
          {
            apiVersion: 8,
            groupId,
            generationId,
            memberId,
            groupInstanceId: null,
            retentionTimeMs: -1,
            topics: [
              { name: "t", partitions: [{ partition, offset, leaderEpoch: 4, metadata: `at ${offset}` }] },
            ],
          },
          harness.nowMs,
        ),
      );
    commit("g", 2, follower, 1, 100);
    commit("g", 2, follower, 1, 150); // a later commit of the same partition wins
    commit("simple", -1, "", 0, 7);
    commit("gone", -1, "", 0, 1);
    harness.record(harness.coordinator.deleteGroups(["gone"], harness.nowMs));
    // Group "left": one member that joined and left, so it is Empty at generation 2.
    const lone = harness.join({ groupId: "left", apiVersion: 3 }).response?.memberId as string;
    harness.leave([{ memberId: lone }], "left");

    const groupIds = ["g", "simple", "gone", "left"];
    const restored = rebuild(harness);
    expect(durableView(restored.coordinator, groupIds)).toEqual(durableView(harness.coordinator, groupIds));
    expect(restored.coordinator.inspectGroup("g")).toMatchObject({
      state: "Stable",
      generationId: 2,
      leaderId: leader,
    });
    expect(
      restored.coordinator.fetchOffsets({ groupId: "g", topics: null }).topics[0]?.partitions[0]?.offset,
    ).toBe(150);
    expect(restored.coordinator.inspectGroup("gone")).toBeNull();
    expect(restored.coordinator.inspectGroup("left")).toMatchObject({ state: "Empty", generationId: 2 });
  });

  test("rebuilt members carry on at their generation, and a static member can still restart", () => {
    const harness = new Harness();
    const first = harness.join({ groupInstanceId: "a" });
    const leader = first.response?.memberId as string;
    harness.sync({
      memberId: leader,
      groupInstanceId: "a",
      generationId: 1,
      assignments: [{ memberId: leader, assignment: bytes("all") }],
    });

    const restored = rebuild(harness);
    expect(restored.heartbeat(leader, 1, "a")).toBe("NONE");
    const synced = restored.sync({ memberId: leader, groupInstanceId: "a", generationId: 1 });
    expect(synced.response).toMatchObject({ error: "NONE", assignment: bytes("all") });
    const restarted = restored.join({ groupInstanceId: "a" });
    expect(restarted.response).toMatchObject({ error: "NONE", generationId: 1 });
    expect(restored.heartbeat(leader, 1, "a")).toBe("FENCED_INSTANCE_ID");
  });

  test("a rebuilt member that never heartbeats expires one session after loading", () => {
    const harness = new Harness();
    const member = harness.join({ apiVersion: 3 }).response?.memberId as string;
    harness.sync({ memberId: member, generationId: 1 });
    const restored = rebuild(harness);
    const loadedAtMs = restored.nowMs;
    expect(restored.coordinator.nextDeadlineMs()).toBe(loadedAtMs + 10_000);
    restored.tick(loadedAtMs + 10_000);
    expect(restored.state()).toBe("Empty");
    expect(restored.coordinator.inspectGroup("g")?.generationId).toBe(2);
  });
});
