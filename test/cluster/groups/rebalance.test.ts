// Proves the classic rebalance protocol as a client sees it: the member-id handshake, join → sync →
// heartbeat, a second member forcing a new generation, session expiry, LeaveGroup, the initial rebalance
// delay, protocol selection, and the errors Kafka gives for each misstep.

import { describe, expect, test } from "bun:test";
import { bytes, completionFor, Harness, joinAnswerFor, protocols } from "./group-harness.ts";

/** One member through the handshake, join and sync: returns its member id at generation 1. */
function stableSingleMember(harness: Harness): string {
  const joined = harness.joinWithHandshake();
  const memberId = joined.response?.memberId as string;
  harness.sync({ memberId, generationId: 1, assignments: [{ memberId, assignment: bytes("all") }] });
  return memberId;
}

describe("a single member", () => {
  test("joins with MEMBER_ID_REQUIRED first, then syncs its own assignment and heartbeats", () => {
    const harness = new Harness();
    const first = harness.join();
    expect(first.response).toMatchObject({ error: "MEMBER_ID_REQUIRED", memberId: "client-uuid-1" });
    expect(first.records).toHaveLength(1); // the new group is recorded at once, as Kafka does
    expect(harness.state()).toBe("Empty");

    const joined = harness.join({ memberId: "client-uuid-1" });
    expect(joined.response).toMatchObject({
      error: "NONE",
      generationId: 1,
      protocolType: "consumer",
      protocolName: "range",
      leader: "client-uuid-1",
      memberId: "client-uuid-1",
    });
    expect(joined.response?.members.map((member) => member.memberId)).toEqual(["client-uuid-1"]);
    expect(harness.state()).toBe("CompletingRebalance");

    const synced = harness.sync({
      memberId: "client-uuid-1",
      generationId: 1,
      assignments: [{ memberId: "client-uuid-1", assignment: bytes("p0,p1") }],
    });
    expect(synced.response).toMatchObject({ error: "NONE", protocolType: "consumer", protocolName: "range" });
    expect(synced.response?.assignment).toEqual(bytes("p0,p1"));
    expect(synced.records.map((record) => record.kind)).toEqual(["group-metadata"]);
    expect(harness.state()).toBe("Stable");

    expect(harness.heartbeat("client-uuid-1", 1)).toBe("NONE");
    expect(harness.heartbeat("client-uuid-1", 0)).toBe("ILLEGAL_GENERATION");
    expect(harness.heartbeat("stranger", 1)).toBe("UNKNOWN_MEMBER_ID");
    expect(
      harness.coordinator.heartbeat(
        { groupId: "nope", memberId: "x", generationId: 1, groupInstanceId: null },
        0,
      ),
    ).toEqual({ error: "UNKNOWN_MEMBER_ID" });
  });

  test("JoinGroup v0-3 hands out the member id directly", () => {
    const harness = new Harness();
    const joined = harness.join({ apiVersion: 3 });
    expect(joined.response).toMatchObject({ error: "NONE", generationId: 1, memberId: "client-uuid-1" });
  });

  test("a rejoin with an unknown member id, or to a missing group, is UNKNOWN_MEMBER_ID", () => {
    const harness = new Harness();
    expect(harness.join({ memberId: "ghost" }).response?.error).toBe("UNKNOWN_MEMBER_ID");
    stableSingleMember(harness);
    expect(harness.join({ memberId: "ghost" }).response?.error).toBe("UNKNOWN_MEMBER_ID");
  });

  test("session timeouts outside the configured range and an empty group id are refused", () => {
    const harness = new Harness();
    expect(harness.join({ sessionTimeoutMs: 5_999 }).response?.error).toBe("INVALID_SESSION_TIMEOUT");
    expect(harness.join({ sessionTimeoutMs: 1_800_001 }).response?.error).toBe("INVALID_SESSION_TIMEOUT");
    expect(harness.join({ groupId: "" }).response?.error).toBe("INVALID_GROUP_ID");
    expect(harness.coordinator.listGroups()).toEqual([]);
  });
});

describe("what the group keeps", () => {
  test("copies of the protocol metadata and assignments it was given, not views into the request", () => {
    const harness = new Harness();
    // Decoded requests hold views into the socket read, a Buffer whose memory the group must not keep.
    const request = Buffer.from("sub1asg1");
    const joined = harness.join({
      apiVersion: 3,
      protocols: [{ name: "range", metadata: request.subarray(0, 4) }],
    });
    const memberId = joined.response!.memberId;
    harness.sync({
      memberId,
      generationId: 1,
      assignments: [{ memberId, assignment: request.subarray(4, 8) }],
    });
    request.fill(0x21);
    const [described] = harness.coordinator.describeGroups(["g"]);
    expect(described!.members[0]).toMatchObject({ metadata: bytes("sub1"), assignment: bytes("asg1") });
    expect(harness.sync({ memberId, generationId: 1 }).response?.assignment).toEqual(bytes("asg1"));
  });
});

describe("a second member", () => {
  test("forces a rebalance; both get the new generation and followers receive the leader's assignment", () => {
    const harness = new Harness();
    const leader = stableSingleMember(harness);

    const follower = harness.joinWithHandshake({ clientId: "other" });
    expect(follower.response).toBeNull(); // parked until the leader rejoins
    expect(harness.state()).toBe("PreparingRebalance");
    expect(harness.heartbeat(leader, 1)).toBe("REBALANCE_IN_PROGRESS");

    const leaderJoin = harness.join({ memberId: leader });
    expect(leaderJoin.response).toMatchObject({ error: "NONE", generationId: 2, leader });
    expect(leaderJoin.response?.members.map((member) => member.memberId)).toEqual([leader, "other-uuid-2"]);
    const followerAnswer = completionFor(leaderJoin.completions, follower.requestToken);
    expect(followerAnswer?.response).toMatchObject({
      error: "NONE",
      generationId: 2,
      leader,
      memberId: "other-uuid-2",
      members: [],
    });

    const followerSync = harness.sync({ memberId: "other-uuid-2", generationId: 2 });
    expect(followerSync.response).toBeNull(); // waits for the leader
    const leaderSync = harness.sync({
      memberId: leader,
      generationId: 2,
      assignments: [
        { memberId: leader, assignment: bytes("p0") },
        { memberId: "other-uuid-2", assignment: bytes("p1") },
      ],
    });
    expect(leaderSync.response?.assignment).toEqual(bytes("p0"));
    const delivered = completionFor(leaderSync.completions, followerSync.requestToken);
    expect(delivered?.kind).toBe("sync");
    expect(delivered?.response).toMatchObject({ error: "NONE", assignment: bytes("p1") });
    expect(harness.state()).toBe("Stable");

    // A follower rejoining with unchanged metadata while Stable just gets the current generation back.
    const again = harness.join({ memberId: "other-uuid-2", clientId: "other" });
    expect(again.response).toMatchObject({ error: "NONE", generationId: 2, members: [] });
    expect(harness.state()).toBe("Stable");
  });

  test("SyncGroup errors: unknown member, illegal generation, rebalance in progress, inconsistent protocol", () => {
    const harness = new Harness();
    const leader = stableSingleMember(harness);
    expect(harness.sync({ memberId: "ghost", generationId: 1 }).response?.error).toBe("UNKNOWN_MEMBER_ID");
    expect(harness.sync({ memberId: leader, generationId: 7 }).response?.error).toBe("ILLEGAL_GENERATION");
    expect(
      harness.sync({ memberId: leader, generationId: 1, protocolName: "roundrobin" }).response?.error,
    ).toBe("INCONSISTENT_GROUP_PROTOCOL");
    expect(harness.sync({ memberId: leader, generationId: 1, protocolType: "connect" }).response?.error).toBe(
      "INCONSISTENT_GROUP_PROTOCOL",
    );
    const stable = harness.sync({ memberId: leader, generationId: 1, protocolName: "range" });
    expect(stable.response).toMatchObject({ error: "NONE", assignment: bytes("all") });
    harness.joinWithHandshake({ clientId: "other" });
    expect(harness.sync({ memberId: leader, generationId: 1 }).response?.error).toBe("REBALANCE_IN_PROGRESS");
    expect(harness.sync({ memberId: leader, generationId: 1, groupId: "missing" }).response?.error).toBe(
      "UNKNOWN_MEMBER_ID",
    );
  });

  test("a different protocol type, or no protocol in common, is INCONSISTENT_GROUP_PROTOCOL", () => {
    const harness = new Harness();
    stableSingleMember(harness);
    expect(harness.join({ protocolType: "connect" }).response?.error).toBe("INCONSISTENT_GROUP_PROTOCOL");
    expect(harness.join({ protocols: protocols(["roundrobin"]) }).response?.error).toBe(
      "INCONSISTENT_GROUP_PROTOCOL",
    );
    expect(harness.join({ protocols: [], groupId: "fresh" }).response?.error).toBe(
      "INCONSISTENT_GROUP_PROTOCOL",
    );
  });

  test("the group refuses members beyond group.max.size", () => {
    const harness = new Harness({ groupMaxSize: 1 });
    stableSingleMember(harness);
    const refused = harness.join({ clientId: "other" });
    expect(refused.response).toMatchObject({ error: "GROUP_MAX_SIZE_REACHED", memberId: "" });
  });
});

describe("protocol selection", () => {
  test("picks the protocol all members support that most of them prefer", () => {
    const harness = new Harness({ initialRebalanceDelayMs: 1_000 });
    harness.join({ apiVersion: 3, protocols: protocols(["roundrobin", "range"]) });
    harness.join({ apiVersion: 3, protocols: protocols(["roundrobin", "range", "sticky"]) });
    harness.join({ apiVersion: 3, protocols: protocols(["range", "roundrobin"]) });
    const start = harness.nowMs;
    // Members kept arriving during the first delay, so the join phase runs one delay longer.
    expect(harness.tick(start + 1_000).completions).toEqual([]);
    const done = harness.tick(start + 2_000);
    expect(done.completions).toHaveLength(3);
    for (const completion of done.completions)
      expect(completion.response).toMatchObject({ protocolName: "roundrobin" });
    // The leader sees each member's metadata for the selected protocol only.
    const joinAnswers = done.completions.flatMap((completion) =>
      completion.kind === "join" ? [completion.response] : [],
    );
    const leaderAnswer = joinAnswers.find((answer) => answer.memberId === answer.leader);
    expect(leaderAnswer?.memberId).toBe("client-uuid-1");
    expect(leaderAnswer?.members).toHaveLength(3);
    expect(joinAnswers.filter((answer) => answer.members.length > 0)).toHaveLength(1);
  });
});

describe("the initial rebalance delay", () => {
  test("a new group waits for more members and extends the wait while they keep coming", () => {
    const harness = new Harness({ initialRebalanceDelayMs: 3_000 });
    const start = harness.nowMs;
    const first = harness.joinWithHandshake();
    expect(first.response).toBeNull();
    expect(harness.coordinator.nextDeadlineMs()).toBe(start + 3_000);
    harness.nowMs = start + 1_000;
    const second = harness.joinWithHandshake({ clientId: "other" });
    expect(second.response).toBeNull();
    expect(harness.tick(start + 2_999).completions).toEqual([]);
    // At the first deadline a member had arrived: wait one more delay.
    expect(harness.tick(start + 3_000).completions).toEqual([]);
    expect(harness.coordinator.nextDeadlineMs()).toBe(start + 6_000);
    const done = harness.tick(start + 6_000);
    expect(done.completions.map((completion) => completion.requestToken).sort()).toEqual(
      [first.requestToken, second.requestToken].sort(),
    );
    for (const completion of done.completions) expect(completion.response).toMatchObject({ generationId: 1 });
  });
});

describe("members that go away", () => {
  function twoMemberGroup(harness: Harness): { leader: string; follower: string } {
    const leader = stableSingleMember(harness);
    const follower = harness.joinWithHandshake({ clientId: "other" });
    harness.join({ memberId: leader });
    const followerId = "other-uuid-2";
    const parked = harness.sync({ memberId: followerId, generationId: 2 });
    harness.sync({
      memberId: leader,
      generationId: 2,
      assignments: [{ memberId: followerId, assignment: bytes("x") }],
    });
    expect(follower.requestToken).toBeLessThan(parked.requestToken);
    expect(harness.state()).toBe("Stable");
    return { leader, follower: followerId };
  }

  test("a member that stops heartbeating expires and the rest rebalance without it", () => {
    const harness = new Harness();
    const { leader, follower } = twoMemberGroup(harness);
    const start = harness.nowMs;
    harness.nowMs = start + 6_000;
    expect(harness.heartbeat(leader, 2)).toBe("NONE"); // leader's session now ends at start + 16s
    expect(harness.coordinator.nextDeadlineMs()).toBe(start + 10_000); // the follower's
    expect(harness.tick(start + 9_999).completions).toEqual([]);
    harness.tick(start + 10_000);
    expect(harness.state()).toBe("PreparingRebalance");
    expect(harness.heartbeat(follower, 2)).toBe("UNKNOWN_MEMBER_ID");
    expect(harness.heartbeat(leader, 2)).toBe("REBALANCE_IN_PROGRESS");
    const rejoined = harness.join({ memberId: leader });
    expect(rejoined.response).toMatchObject({ generationId: 3, leader });
    expect(rejoined.response?.members.map((member) => member.memberId)).toEqual([leader]);
  });

  test("members that do not rejoin before the rebalance timeout are dropped", () => {
    const harness = new Harness();
    const { leader, follower } = twoMemberGroup(harness);
    // The follower rejoins with new metadata; the leader keeps heartbeating but never rejoins.
    const parked = harness.join({
      memberId: follower,
      clientId: "other",
      protocols: protocols(["range"], ["b"]),
    });
    expect(parked.response).toBeNull();
    const start = harness.nowMs;
    for (let elapsedMs = 5_000; elapsedMs < 30_000; elapsedMs += 5_000) {
      harness.nowMs = start + elapsedMs;
      expect(harness.heartbeat(leader, 2)).toBe("REBALANCE_IN_PROGRESS");
      expect(harness.tick(harness.nowMs).completions).toEqual([]);
    }
    const done = harness.tick(start + 30_000);
    const answer = completionFor(done.completions, parked.requestToken);
    // The follower becomes leader of generation 3, alone.
    expect(answer?.response).toMatchObject({ error: "NONE", generationId: 3, leader: follower });
    expect(harness.heartbeat(leader, 3)).toBe("UNKNOWN_MEMBER_ID");
  });

  test("a member that never sends SyncGroup is removed at the rebalance timeout", () => {
    const harness = new Harness();
    const leader = stableSingleMember(harness);
    harness.joinWithHandshake({ clientId: "other" });
    harness.join({ memberId: leader });
    const start = harness.nowMs;
    harness.sync({ memberId: leader, generationId: 2, assignments: [] });
    expect(harness.state()).toBe("Stable");
    for (const elapsedMs of [8_000, 16_000, 24_000]) {
      // Both stay alive; the follower just never syncs.
      harness.tick(start + elapsedMs);
      expect(harness.heartbeat(leader, 2)).toBe("NONE");
      expect(harness.heartbeat("other-uuid-2", 2)).toBe("NONE");
    }
    expect(harness.state()).toBe("Stable");
    harness.tick(start + 30_000);
    expect(harness.state()).toBe("PreparingRebalance");
    expect(harness.coordinator.inspectGroup("g")?.members.map((member) => member.memberId)).toEqual([leader]);
  });

  test("LeaveGroup removes members, reports unknown ones, and rebalances the rest", () => {
    const harness = new Harness();
    const { leader, follower } = twoMemberGroup(harness);
    const left = harness.leave([
      { memberId: follower },
      { memberId: "ghost" },
      { memberId: "", groupInstanceId: "nobody" },
    ]);
    expect(left.response).toEqual({
      error: "NONE",
      members: [
        { memberId: follower, groupInstanceId: null, error: "NONE" },
        { memberId: "ghost", groupInstanceId: null, error: "UNKNOWN_MEMBER_ID" },
        { memberId: "", groupInstanceId: "nobody", error: "UNKNOWN_MEMBER_ID" },
      ],
    });
    expect(harness.state()).toBe("PreparingRebalance");
    expect(harness.join({ memberId: leader }).response).toMatchObject({ generationId: 3 });
    expect(harness.leave([{ memberId: "x" }], "missing").response.error).toBe("UNKNOWN_MEMBER_ID");
  });

  test("the last member leaving empties the group, which records its new generation", () => {
    const harness = new Harness();
    const leader = stableSingleMember(harness);
    const left = harness.leave([{ memberId: leader }]);
    expect(harness.state()).toBe("Empty");
    expect(left.records).toEqual([
      {
        kind: "group-metadata",
        groupId: "g",
        value: expect.objectContaining({ generationId: 2, members: [], protocolName: null, leader: null }),
      },
    ]);
  });

  test("a leaving member's parked JoinGroup is answered so the caller is never left holding it", () => {
    const harness = new Harness();
    const { leader, follower } = twoMemberGroup(harness);
    const parked = harness.join({ memberId: leader });
    expect(parked.response).toBeNull();
    const left = harness.leave([{ memberId: leader }]);
    expect(completionFor(left.completions, parked.requestToken)?.response).toMatchObject({
      error: "UNKNOWN_MEMBER_ID",
    });
    expect(harness.coordinator.inspectGroup("g")?.leaderId).toBe(follower);
  });
});

describe("timing corner cases", () => {
  test("a pending member id holds the join phase until it rejoins or its session runs out", () => {
    const harness = new Harness();
    const leader = stableSingleMember(harness);
    const pending = harness.join({ clientId: "other" });
    expect(pending.response?.error).toBe("MEMBER_ID_REQUIRED");
    expect(harness.state()).toBe("Stable"); // a pending id alone does not rebalance
    const start = harness.nowMs;
    const rejoin = harness.join({ memberId: leader }); // the leader rejoining does
    expect(rejoin.response).toBeNull();
    expect(harness.coordinator.nextDeadlineMs()).toBe(start + 10_000); // the pending id's session
    const done = harness.tick(start + 10_000);
    expect(completionFor(done.completions, rejoin.requestToken)?.response).toMatchObject({ generationId: 2 });
  });

  test("a new member parked in JoinGroup is let go after the new-member join timeout", () => {
    const harness = new Harness({ newMemberJoinTimeoutMs: 5_000 });
    const leader = stableSingleMember(harness);
    const start = harness.nowMs;
    const newcomer = harness.join({ clientId: "other", apiVersion: 3 });
    expect(newcomer.response).toBeNull();
    expect(harness.heartbeat(leader, 1)).toBe("REBALANCE_IN_PROGRESS");
    const expired = harness.tick(start + 5_000);
    expect(completionFor(expired.completions, newcomer.requestToken)?.response).toMatchObject({
      error: "UNKNOWN_MEMBER_ID",
    });
    expect(harness.coordinator.inspectGroup("g")?.members.map((member) => member.memberId)).toEqual([leader]);
  });

  test("a member that lost its JoinGroup response gets the same generation again", () => {
    const harness = new Harness();
    const joined = harness.join({ apiVersion: 3 });
    const memberId = joined.response?.memberId as string;
    expect(harness.state()).toBe("CompletingRebalance");
    const again = harness.join({ memberId, apiVersion: 3 });
    expect(again.response).toMatchObject({ error: "NONE", generationId: 1, leader: memberId });
    expect(again.response?.members).toHaveLength(1);
    expect(harness.state()).toBe("CompletingRebalance");
  });

  test("a retried JoinGroup replaces the parked one, which is let go", () => {
    const harness = new Harness();
    const leader = stableSingleMember(harness);
    const follower = harness.join({ clientId: "other", apiVersion: 3 });
    const rejoin = harness.join({ memberId: leader });
    const followerId = joinAnswerFor(rejoin.completions, follower.requestToken)?.memberId as string;
    harness.sync({ memberId: followerId, generationId: 2 });
    harness.sync({ memberId: leader, generationId: 2 });
    expect(harness.state()).toBe("Stable");

    const firstTry = harness.join({ memberId: leader });
    expect(firstTry.response).toBeNull(); // waits for the follower
    const retry = harness.join({ memberId: leader });
    expect(retry.response).toBeNull();
    expect(completionFor(retry.completions, firstTry.requestToken)?.response).toMatchObject({
      error: "UNKNOWN_MEMBER_ID",
    });
    const followerRejoin = harness.join({ memberId: followerId, clientId: "other", apiVersion: 3 });
    expect(followerRejoin.response).toMatchObject({ error: "NONE", generationId: 3 });
    expect(completionFor(followerRejoin.completions, retry.requestToken)?.response).toMatchObject({
      generationId: 3,
    });
  });

  test("in a rebalance, group.max.size counts members that rejoined: late rejoiners are turned away", () => {
    const harness = new Harness({ groupMaxSize: 2 });
    const leader = stableSingleMember(harness);
    const second = harness.join({ clientId: "second", apiVersion: 3 });
    const third = harness.join({ clientId: "third", apiVersion: 3 });
    expect(third.response).toBeNull(); // one awaiting member so far, so there was room
    expect(harness.join({ clientId: "fourth", apiVersion: 3 }).response?.error).toBe(
      "GROUP_MAX_SIZE_REACHED",
    );
    expect(harness.join({ memberId: leader }).response).toMatchObject({
      error: "GROUP_MAX_SIZE_REACHED",
      memberId: "",
    });
    const done = harness.tick(harness.nowMs + 30_000);
    expect(completionFor(done.completions, second.requestToken)?.response).toMatchObject({ generationId: 2 });
    expect(completionFor(done.completions, third.requestToken)?.response).toMatchObject({ generationId: 2 });
    expect(harness.coordinator.inspectGroup("g")?.members).toHaveLength(2);
  });
});
