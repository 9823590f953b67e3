// Proves authorized operations are answered where a client asks for them, as Kafka without an authorizer answers:
// every operation of the resource type (7 for the cluster in DescribeCluster and Metadata v8–10, 5 for a group in
// DescribeGroups and ConsumerGroupDescribe), Kafka's "not requested" marker otherwise; and that
// @platformatic/kafka reads them over the wire. The broker runs in-process over in-memory replicas.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AclOperations, Admin, Connection, describeClusterV1 } from "@platformatic/kafka";
import { silentLogger } from "../../src/base/logger.ts";
import { authorizedOperationsNotRequested } from "../../src/broker/broker-context.ts";
import { groupHandlers, metadataHandlers } from "../../src/broker/handlers/index.ts";
import { GroupService, offsetsTopicName } from "../../src/cluster/group-service.ts";
import { zeroUuid } from "../../src/protocol/codec-runtime.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createConsumerGroupDescribeRequest } from "../../src/protocol/messages/consumer-group-describe.ts";
import { createConsumerGroupHeartbeatRequest } from "../../src/protocol/messages/consumer-group-heartbeat.ts";
import { createDescribeClusterRequest } from "../../src/protocol/messages/describe-cluster.ts";
import { createDescribeGroupsRequest } from "../../src/protocol/messages/describe-groups.ts";
import { createJoinGroupRequest } from "../../src/protocol/messages/join-group.ts";
import { createMetadataRequest } from "../../src/protocol/messages/metadata.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { addTopic } from "../support/in-memory-metadata.ts";
import { type InProcessBroker, realTime, startInProcessBroker } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";

const clusterOperations = [
  "ALTER",
  "ALTER_CONFIGS",
  "CLUSTER_ACTION",
  "CREATE",
  "DESCRIBE",
  "DESCRIBE_CONFIGS",
  "IDEMPOTENT_WRITE",
];
const groupOperations = ["ALTER_CONFIGS", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS", "READ"];
const topicOperations = [
  "ALTER",
  "ALTER_CONFIGS",
  "CREATE",
  "DELETE",
  "DESCRIBE",
  "DESCRIBE_CONFIGS",
  "READ",
  "WRITE",
];

/** The operations a Kafka bitfield holds, by @platformatic/kafka's names for the codes, sorted. */
function operationNames(bitfield: number): string[] {
  return Object.entries(AclOperations)
    .filter(([, code]) => (bitfield & (1 << code)) !== 0)
    .map(([name]) => name)
    .sort();
}

const offsetsPartitions = 2;
let server: InProcessBroker;
let client: RawKafkaClient;

beforeAll(async () => {
  server = await startInProcessBroker((context) => [
    ...metadataHandlers(context),
    ...groupHandlers({
      context,
      groups: new GroupService({
        offsetsPartitions,
        replicaOf: (partition) => context.replicas.byName(offsetsTopicName, partition),
        topics: (name) => {
          const topic = context.metadata.state.topicByName(name);
          return topic && { topicId: topic.topicId, partitionCount: topic.partitions.length };
        },
        config: { initialRebalanceDelayMs: 0 },
        newUuid: () => crypto.randomUUID(),
        ...realTime,
        logger: silentLogger,
      }),
    }),
  ]);
  addTopic(server.context, offsetsTopicName, { partitions: offsetsPartitions });
  addTopic(server.context, "orders", { partitions: 2 });
  client = await RawKafkaClient.connect(server.port);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

/** A classic group with one member: JoinGroup v9 twice, the first to be given a member id. */
async function joinClassicGroup(groupId: string): Promise<void> {
  const request = {
    ...createJoinGroupRequest(),
    groupId,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: new Uint8Array(0), unknownTaggedFields: [] }],
  };
  const first = await client.request(ApiKey.JoinGroup, 9, request);
  expect(first.errorCode).toBe(ErrorCode.MemberIdRequired);
  const joined = await client.request(ApiKey.JoinGroup, 9, { ...request, memberId: first.memberId });
  expect(joined.errorCode).toBe(0);
}

describe("DescribeCluster", () => {
  test("answers the 7 cluster operations when asked, and the not-requested marker otherwise", async () => {
    for (const version of [0, 1]) {
      const request = { ...createDescribeClusterRequest(), includeClusterAuthorizedOperations: true };
      const asked = await client.request(ApiKey.DescribeCluster, version, request);
      expect(asked.errorCode).toBe(0);
      expect(operationNames(asked.clusterAuthorizedOperations)).toEqual(clusterOperations);
      const notAsked = await client.request(ApiKey.DescribeCluster, version, createDescribeClusterRequest());
      expect(notAsked.clusterAuthorizedOperations).toBe(authorizedOperationsNotRequested);
    }
  });

  test("@platformatic/kafka reads the cluster operations over the wire", async () => {
    const connection = new Connection("authorized-operations");
    await connection.connect("127.0.0.1", server.port);
    try {
      const response = await describeClusterV1.api.async(connection, true, 1);
      expect(response.clusterId).toBe("test-cluster");
      expect(operationNames(response.clusterAuthorizedOperations)).toEqual(clusterOperations);
    } finally {
      await connection.close();
    }
  });
});

describe("Metadata", () => {
  test("v8–10 answer the cluster operations when asked; topic operations as before", async () => {
    for (const version of [8, 10]) {
      const response = await client.request(ApiKey.Metadata, version, {
        ...createMetadataRequest(),
        topics: [{ name: "orders", topicId: zeroUuid, unknownTaggedFields: [] }],
        includeClusterAuthorizedOperations: true,
        includeTopicAuthorizedOperations: true,
      });
      expect(operationNames(response.clusterAuthorizedOperations)).toEqual(clusterOperations);
      expect(operationNames(response.topics[0]!.topicAuthorizedOperations)).toEqual(topicOperations);
    }
    const notAsked = await client.request(ApiKey.Metadata, 10, { ...createMetadataRequest(), topics: [] });
    expect(notAsked.clusterAuthorizedOperations).toBe(authorizedOperationsNotRequested);
    // v11 dropped the cluster flag (DescribeCluster answers it since).
    const v12 = await client.request(ApiKey.Metadata, 12, { ...createMetadataRequest(), topics: [] });
    expect(v12.clusterAuthorizedOperations).toBe(authorizedOperationsNotRequested);
  });
});

describe("DescribeGroups and ConsumerGroupDescribe", () => {
  test("DescribeGroups v3–5 answer the 5 group operations when asked, the marker otherwise", async () => {
    await joinClassicGroup("classic");
    for (const version of [3, 5]) {
      const request = {
        ...createDescribeGroupsRequest(),
        groups: ["classic"],
        includeAuthorizedOperations: true,
      };
      const asked = await client.request(ApiKey.DescribeGroups, version, request);
      expect(asked.groups[0]).toMatchObject({ errorCode: 0, groupId: "classic" });
      expect(asked.groups[0]!.members).toHaveLength(1);
      expect(operationNames(asked.groups[0]!.authorizedOperations)).toEqual(groupOperations);
      const notAsked = await client.request(ApiKey.DescribeGroups, version, {
        ...request,
        includeAuthorizedOperations: false,
      });
      expect(notAsked.groups[0]!.authorizedOperations).toBe(authorizedOperationsNotRequested);
    }
  });

  test("ConsumerGroupDescribe answers them for a group described without error", async () => {
    const joined = await client.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      ...createConsumerGroupHeartbeatRequest(),
      groupId: "modern",
      memberId: crypto.randomUUID(),
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["orders"],
      topicPartitions: [],
    });
    expect(joined.errorCode).toBe(0);
    const response = await client.request(ApiKey.ConsumerGroupDescribe, 0, {
      ...createConsumerGroupDescribeRequest(),
      groupIds: ["modern", "nobody"],
      includeAuthorizedOperations: true,
    });
    const [modern, nobody] = response.groups;
    expect(modern!.errorCode).toBe(0);
    expect(operationNames(modern!.authorizedOperations)).toEqual(groupOperations);
    expect(nobody!.errorCode).toBe(ErrorCode.GroupIdNotFound);
    expect(nobody!.authorizedOperations).toBe(authorizedOperationsNotRequested);
  });

  test("@platformatic/kafka's admin describeGroups shows the group operations", async () => {
    await joinClassicGroup("seen-by-admin");
    const admin = new Admin({ clientId: "authorized-operations", bootstrapBrokers: [server.address] });
    try {
      const asked = await admin.describeGroups({
        groups: ["seen-by-admin"],
        includeAuthorizedOperations: true,
      });
      const group = asked.get("seen-by-admin")!;
      expect(group.members.size).toBe(1);
      expect(operationNames(group.authorizedOperations!)).toEqual(groupOperations);
      const notAsked = await admin.describeGroups({ groups: ["seen-by-admin"] });
      expect(notAsked.get("seen-by-admin")!.authorizedOperations).toBe(authorizedOperationsNotRequested);
    } finally {
      await admin.close();
    }
  });
});
