// Proves ConsumerGroupHeartbeat and ConsumerGroupDescribe on the wire, and the answers the other group APIs give
// for a group of the other protocol, as Kafka 4 gives them: JoinGroup INCONSISTENT_GROUP_PROTOCOL, Heartbeat
// UNKNOWN_MEMBER_ID, a consumer heartbeat to a live classic group GROUP_ID_NOT_FOUND, OffsetCommit and OffsetFetch
// checked by member epoch, ListGroups with group types; and NOT_COORDINATOR where the partition is led elsewhere.
// The broker runs in-process over in-memory replicas; requests are sent as exact frames.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { groupHandlers, metadataHandlers } from "../../src/broker/handlers/index.ts";
import { type GroupService, offsetsTopicName } from "../../src/cluster/group-service.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createApiVersionsRequest } from "../../src/protocol/messages/api-versions.ts";
import { createConsumerGroupDescribeRequest } from "../../src/protocol/messages/consumer-group-describe.ts";
import { createConsumerGroupHeartbeatRequest } from "../../src/protocol/messages/consumer-group-heartbeat.ts";
import { createDescribeGroupsRequest } from "../../src/protocol/messages/describe-groups.ts";
import { createHeartbeatRequest } from "../../src/protocol/messages/heartbeat.ts";
import { createJoinGroupRequest } from "../../src/protocol/messages/join-group.ts";
import { createListGroupsRequest } from "../../src/protocol/messages/list-groups.ts";
import { createOffsetCommitRequest } from "../../src/protocol/messages/offset-commit.ts";
import { createOffsetFetchRequest } from "../../src/protocol/messages/offset-fetch.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { addTopic } from "../support/in-memory-metadata.ts";
import {
  type BrokerTime,
  type InProcessBroker,
  realTime,
  startInProcessBroker,
  type TestContext,
} from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { newGroupService, testOffsetsPartitions } from "../support/test-group-service.ts";

const offsetsPartitions = testOffsetsPartitions;
let server: InProcessBroker;
let context: TestContext;
let client: RawKafkaClient;
let ordersId: string;

function groupService(options: {
  leads: boolean;
  sessionTimeoutMs?: number;
  on?: TestContext;
  time?: BrokerTime;
}) {
  return newGroupService(options.on ?? context, options.time ?? realTime, {
    leads: options.leads,
    consumerConfig: { sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000 },
    config: { initialRebalanceDelayMs: 0 },
  });
}

function createTopic(name: string, partitionCount: number, on = context): string {
  return addTopic(on, name, { partitions: partitionCount });
}

beforeAll(async () => {
  server = await startInProcessBroker((brokerContext) => {
    context = brokerContext;
    return [
      ...metadataHandlers(brokerContext),
      ...groupHandlers({
        context: brokerContext,
        groups: groupService({ leads: true }),
      }),
    ];
  });
  createTopic(offsetsTopicName, offsetsPartitions);
  ordersId = createTopic("orders", 4);
  client = await RawKafkaClient.connect(server.port);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

function heartbeat(groupId: string, fields: Partial<ReturnType<typeof createConsumerGroupHeartbeatRequest>>) {
  return client.request(ApiKey.ConsumerGroupHeartbeat, 1, {
    ...createConsumerGroupHeartbeatRequest(),
    groupId,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["orders"],
    topicPartitions: [],
    ...fields,
  });
}

function commit(groupId: string, apiVersion: number, memberId: string, epoch: number) {
  return client.request(ApiKey.OffsetCommit, apiVersion, {
    ...createOffsetCommitRequest(),
    groupId,
    memberId,
    generationIdOrMemberEpoch: epoch,
    topics: [
      {
        name: "orders",
        partitions: [
          {
            partitionIndex: 1,
            committedOffset: 17n,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: null,
            unknownTaggedFields: [],
          },
        ],
        unknownTaggedFields: [],
      },
    ],
  });
}

async function join(groupId: string) {
  const memberId = crypto.randomUUID();
  const response = await heartbeat(groupId, { memberId, memberEpoch: 0 });
  expect(response.errorCode).toBe(0);
  return { memberId, memberEpoch: response.memberEpoch, response };
}

describe("ConsumerGroupHeartbeat and ConsumerGroupDescribe", () => {
  test("ApiVersions advertises both APIs", async () => {
    const versions = await client.request(ApiKey.ApiVersions, 3, createApiVersionsRequest());
    const served = versions.apiKeys.filter((api) => api.apiKey === 68 || api.apiKey === 69);
    expect(served.map((api) => [api.apiKey, api.minVersion, api.maxVersion])).toEqual([
      [68, 0, 1],
      [69, 0, 0],
    ]);
  });

  test("two members split a topic by topic id, and Describe shows both with their assignments", async () => {
    const first = await join("split");
    expect(first.response.assignment?.topicPartitions).toEqual([
      { topicId: ordersId, partitions: [0, 1, 2, 3], unknownTaggedFields: [] },
    ]);
    const second = await join("split");
    // The first member must give two partitions up before the second may have them.
    const revoke = await heartbeat("split", {
      memberId: first.memberId,
      memberEpoch: first.memberEpoch,
      topicPartitions: [{ topicId: ordersId, partitions: [0, 1, 2, 3], unknownTaggedFields: [] }],
    });
    const kept = revoke.assignment?.topicPartitions[0]?.partitions ?? [];
    expect(kept).toHaveLength(2);
    await heartbeat("split", {
      memberId: first.memberId,
      memberEpoch: revoke.memberEpoch,
      topicPartitions: [{ topicId: ordersId, partitions: kept, unknownTaggedFields: [] }],
    });
    const gained = await heartbeat("split", {
      memberId: second.memberId,
      memberEpoch: second.memberEpoch,
    });
    const got = gained.assignment?.topicPartitions[0]?.partitions ?? [];
    expect([...kept, ...got].sort()).toEqual([0, 1, 2, 3]);
    const described = await client.request(ApiKey.ConsumerGroupDescribe, 0, {
      ...createConsumerGroupDescribeRequest(),
      groupIds: ["split", "nothing-here"],
    });
    const [group, missing] = described.groups;
    expect(group?.errorCode).toBe(0);
    expect(group?.groupState).toBe("Stable");
    expect(group?.assignorName).toBe("uniform");
    expect(group?.members.map((member) => member.memberId).sort()).toEqual(
      [first.memberId, second.memberId].sort(),
    );
    expect(group?.members.every((m) => m.assignment.topicPartitions[0]?.topicName === "orders")).toBe(true);
    expect(missing).toMatchObject({
      errorCode: ErrorCode.GroupIdNotFound,
      errorMessage: "Group nothing-here not found.",
    });
  });

  test("from v1 a member must bring its own id; v0 lets the coordinator pick one", async () => {
    const refused = await heartbeat("ids", { memberId: "", memberEpoch: 0 });
    expect([refused.errorCode, refused.errorMessage]).toEqual([
      ErrorCode.InvalidRequest,
      "MemberId can't be empty.",
    ]);
    const picked = await client.request(ApiKey.ConsumerGroupHeartbeat, 0, {
      ...createConsumerGroupHeartbeatRequest(),
      groupId: "ids",
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["orders"],
      topicPartitions: [],
    });
    expect(picked.errorCode).toBe(0);
    expect(picked.memberId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("a leave with epoch -1 empties the group", async () => {
    const member = await join("leaving");
    const left = await heartbeat("leaving", { memberId: member.memberId, memberEpoch: -1 });
    expect([left.errorCode, left.memberEpoch]).toEqual([0, -1]);
    const described = await client.request(ApiKey.ConsumerGroupDescribe, 0, {
      ...createConsumerGroupDescribeRequest(),
      groupIds: ["leaving"],
    });
    expect(described.groups[0]?.groupState).toBe("Empty");
  });
});

describe("a group id owned by the other protocol", () => {
  test("classic JoinGroup and Heartbeat to a consumer group are refused as Kafka refuses them", async () => {
    const member = await join("modern");
    const joined = await client.request(ApiKey.JoinGroup, 9, {
      ...createJoinGroupRequest(),
      groupId: "modern",
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(0), unknownTaggedFields: [] }],
    });
    expect(joined.errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
    const beat = await client.request(ApiKey.Heartbeat, 4, {
      ...createHeartbeatRequest(),
      groupId: "modern",
      memberId: member.memberId,
      generationId: member.memberEpoch,
    });
    expect(beat.errorCode).toBe(ErrorCode.UnknownMemberId);
    const described = await client.request(ApiKey.DescribeGroups, 5, {
      ...createDescribeGroupsRequest(),
      groups: ["modern"],
    });
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupState: "Dead" });
  });

  test("ConsumerGroupHeartbeat to a classic group with members gets GROUP_ID_NOT_FOUND", async () => {
    const classicJoin = () =>
      client.request(ApiKey.JoinGroup, 3, {
        ...createJoinGroupRequest(),
        groupId: "old-school",
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: new Uint8Array(0), unknownTaggedFields: [] }],
      });
    // JoinGroup v3 adds the member at once; the join phase ends when every known member has joined.
    expect((await classicJoin()).errorCode).toBe(0);
    const refused = await heartbeat("old-school", { memberId: crypto.randomUUID(), memberEpoch: 0 });
    expect(refused.errorCode).toBe(ErrorCode.GroupIdNotFound);
    expect(refused.errorMessage).toBe("Group old-school is not a consumer group.");
  });

  test("ListGroups v5 lists both kinds with their types and filters by type", async () => {
    await join("listed-modern");
    const list = (typesFilter: string[]) =>
      client.request(ApiKey.ListGroups, 5, { ...createListGroupsRequest(), typesFilter });
    const all = await list([]);
    const byId = new Map(all.groups.map((group) => [group.groupId, group]));
    expect(byId.get("listed-modern")).toMatchObject({ groupType: "consumer", protocolType: "consumer" });
    expect(byId.get("old-school")).toMatchObject({ groupType: "classic" });
    const consumers = await list(["consumer"]);
    expect(consumers.groups.every((group) => group.groupType === "consumer")).toBe(true);
    expect(consumers.groups.map((group) => group.groupId)).toContain("listed-modern");
  });
});

describe("offsets of a consumer group", () => {
  test("OffsetCommit is checked by member epoch and needs v9; OffsetFetch v9 checks the named member", async () => {
    const member = await join("committing");
    const partitionError = (response: Awaited<ReturnType<typeof commit>>) =>
      response.topics[0]?.partitions[0]?.errorCode;
    expect(partitionError(await commit("committing", 9, member.memberId, member.memberEpoch))).toBe(0);
    expect(partitionError(await commit("committing", 9, member.memberId, member.memberEpoch + 5))).toBe(
      ErrorCode.StaleMemberEpoch,
    );
    expect(partitionError(await commit("committing", 8, member.memberId, member.memberEpoch))).toBe(
      ErrorCode.UnsupportedVersion,
    );
    const fetch = (memberId: string | null, memberEpoch: number) =>
      client.request(ApiKey.OffsetFetch, 9, {
        ...createOffsetFetchRequest(),
        groups: [{ groupId: "committing", memberId, memberEpoch, topics: null, unknownTaggedFields: [] }],
      });
    const fetched = await fetch(member.memberId, member.memberEpoch);
    expect(fetched.groups[0]?.errorCode).toBe(0);
    expect(fetched.groups[0]?.topics[0]?.partitions[0]).toMatchObject({
      partitionIndex: 1,
      committedOffset: 17n,
    });
    expect((await fetch(member.memberId, member.memberEpoch + 1)).groups[0]?.errorCode).toBe(
      ErrorCode.StaleMemberEpoch,
    );
    expect((await fetch(null, -1)).groups[0]?.errorCode).toBe(0);
  });
});

test("a broker not leading the group's partition answers NOT_COORDINATOR, JoinGroup at every version", async () => {
  const elsewhere = await startInProcessBroker((brokerContext) => [
    ...groupHandlers({
      context: brokerContext,
      groups: groupService({ leads: false }),
    }),
  ]);
  const other = await RawKafkaClient.connect(elsewhere.port);
  try {
    const beat = await other.request(ApiKey.ConsumerGroupHeartbeat, 0, {
      ...createConsumerGroupHeartbeatRequest(),
      groupId: "g",
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["orders"],
      topicPartitions: [],
    });
    expect(beat.errorCode).toBe(ErrorCode.NotCoordinator);
    const described = await other.request(ApiKey.ConsumerGroupDescribe, 0, {
      ...createConsumerGroupDescribeRequest(),
      groupIds: ["g"],
    });
    expect(described.groups[0]?.errorCode).toBe(ErrorCode.NotCoordinator);
    // Before v7 the protocol name cannot be null: the refusal carries "" (Kafka's JoinGroupResponse does the same).
    for (const version of [0, 6, 7, 9]) {
      const joined = await other.request(ApiKey.JoinGroup, version, {
        ...createJoinGroupRequest(),
        groupId: "g",
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: new Uint8Array(0), unknownTaggedFields: [] }],
      });
      expect(joined.errorCode).toBe(ErrorCode.NotCoordinator);
      expect(joined.protocolName).toBe(version < 7 ? "" : null);
    }
  } finally {
    other.close();
    await elsewhere.stop();
  }
});

test("the tick timer removes a silent member at its session deadline and persists it", async () => {
  let service: GroupService | undefined;
  const clock = new ManualClock();
  const time = { clock, scheduler: clock };
  const broker = await startInProcessBroker((brokerContext) => {
    service = groupService({ leads: true, sessionTimeoutMs: 300, on: brokerContext, time });
    return groupHandlers({
      context: brokerContext,
      groups: service,
    });
  }, time);
  createTopic(offsetsTopicName, offsetsPartitions, broker.context);
  createTopic("orders", 2, broker.context);
  const raw = await RawKafkaClient.connect(broker.port);
  try {
    const joined = await raw.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      ...createConsumerGroupHeartbeatRequest(),
      groupId: "silent",
      memberId: crypto.randomUUID(),
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["orders"],
      topicPartitions: [],
    });
    expect(joined.errorCode).toBe(0);
    const describe = async () =>
      (
        await raw.request(ApiKey.ConsumerGroupDescribe, 0, {
          ...createConsumerGroupDescribeRequest(),
          groupIds: ["silent"],
        })
      ).groups[0];
    expect((await describe())?.members).toHaveLength(1);
    clock.advance(299);
    expect((await describe())?.members).toHaveLength(1);
    clock.advance(1);
    expect(await describe()).toMatchObject({ groupState: "Empty", members: [] });
    // A coordinator rebuilt from the partition sees the removal too: the tick's records were appended.
    const reloaded = groupService({ leads: true, on: broker.context, time });
    const found = reloaded.lookup("silent");
    if (!found.ok) throw new Error(found.error);
    expect(found.coordinator.consumerGroupDescribe(["silent"])[0]).toMatchObject({
      state: "Empty",
      members: [],
    });
    reloaded.close();
  } finally {
    raw.close();
    service?.close();
    await broker.stop();
  }
});
