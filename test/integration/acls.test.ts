// Proves ACLs over the wire on a real broker run with --authorizer acl: kafkajs and @platformatic/kafka create,
// describe and delete them; they decide produce, fetch, Metadata, group, transactional-id and cluster requests
// (every client here is User:ANONYMOUS, the only principal before SASL); and they survive a restart.

import { beforeAll, describe, expect, test } from "bun:test";
import { Admin as PlatformaticAdmin } from "@platformatic/kafka";
import { type Admin, Kafka, logLevel } from "kafkajs";
import {
  AclPermission,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../src/cluster/acls/acl-model.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createFetchRequest } from "../../src/protocol/messages/fetch.ts";
import { createInitProducerIdRequest } from "../../src/protocol/messages/init-producer-id.ts";
import { createJoinGroupRequest } from "../../src/protocol/messages/join-group.ts";
import { createMetadataRequest, createMetadataRequestTopic } from "../../src/protocol/messages/metadata.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";

// allow.everyone.if.no.acl.found lets the anonymous client administer the cluster until a cluster ACL exists.
const broker = brokerForFile("acls", {
  args: [
    "--authorizer",
    "acl",
    "--allow-everyone-if-no-acl-found",
    "true",
    "--super-users",
    "User:admin;User:ops",
  ],
});
const anonymous = "User:ANONYMOUS";

function kafka(): Kafka {
  return new Kafka({
    clientId: "acls",
    brokers: [broker.address()],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

function binding(
  resourceType: number,
  resourceName: string,
  operation: number,
  permissionType: number,
  more: { principal?: string; host?: string; resourcePatternType?: number } = {},
) {
  return {
    resourceType,
    resourceName,
    resourcePatternType: more.resourcePatternType ?? PatternType.literal,
    principal: more.principal ?? anonymous,
    host: more.host ?? "*",
    operation,
    permissionType,
  } as never;
}

const initialAcls = [
  // Deny wins over the ALLOW ALL beside it: the topic can be described and read, not written.
  binding(ResourceType.topic, "no-writes", Op.all, AclPermission.allow),
  binding(ResourceType.topic, "no-writes", Op.write, AclPermission.deny),
  // Everyone may do anything but the anonymous user from this host, who may not read.
  binding(ResourceType.topic, "no-reads", Op.all, AclPermission.allow, { principal: "User:*" }),
  binding(ResourceType.topic, "no-reads", Op.read, AclPermission.deny, { host: "127.0.0.1" }),
  // Every topic named hidden* is invisible to the anonymous user.
  binding(ResourceType.topic, "hidden", Op.describe, AclPermission.deny, {
    resourcePatternType: PatternType.prefixed,
  }),
  binding(ResourceType.group, "blocked-group", Op.read, AclPermission.deny, { principal: "User:*" }),
  // Groups named team-* are the anonymous user's to use, but for team-secret.
  binding(ResourceType.group, "team-", Op.read, AclPermission.allow, {
    resourcePatternType: PatternType.prefixed,
  }),
  binding(ResourceType.group, "team-secret", Op.all, AclPermission.deny),
  binding(ResourceType.transactionalId, "tx-blocked", Op.write, AclPermission.deny),
  binding(ResourceType.transactionalId, "tx-", Op.write, AclPermission.allow, {
    resourcePatternType: PatternType.prefixed,
  }),
  binding(ResourceType.delegationToken, "token-1", Op.describe, AclPermission.allow, {
    principal: "User:ops",
  }),
];

async function withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

async function withRaw<T>(use: (client: RawKafkaClient) => Promise<T>): Promise<T> {
  const client = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** The error of a kafkajs call that must fail, by Kafka's name. */
async function errorTypeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const found = error as { type?: string; originalError?: { type?: string }; errors?: { type?: string }[] };
    return found.type ?? found.originalError?.type ?? found.errors?.[0]?.type ?? String(error);
  }
  throw new Error("the call succeeded");
}

async function fetchErrorCode(topic: string): Promise<number> {
  return withRaw(async (client) => {
    const response = await client.request(1, 4, {
      ...createFetchRequest(),
      replicaId: -1,
      maxWaitMs: 0,
      maxBytes: 1 << 20,
      topics: [
        { topic, topicId: "", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
    } as never);
    return response.responses[0]!.partitions[0]!.errorCode;
  });
}

async function joinErrorCode(groupId: string): Promise<number> {
  const response = await withRaw((client) =>
    client.request(11, 5, {
      ...createJoinGroupRequest(),
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(), unknownTaggedFields: [] }],
    } as never),
  );
  return response.errorCode;
}

async function initProducerIdErrorCode(transactionalId: string): Promise<number> {
  const response = await withRaw((client) =>
    client.request(22, 1, {
      ...createInitProducerIdRequest(),
      transactionalId,
      transactionTimeoutMs: 10_000,
    } as never),
  );
  return response.errorCode;
}

beforeAll(async () => {
  await withAdmin(async (admin) => {
    await admin.createTopics({
      topics: ["open", "no-writes", "no-reads", "hidden-topic"].map((topic) => ({ topic, numPartitions: 1 })),
    });
    await admin.createAcls({ acl: initialAcls });
  });
}, 60_000);

describe("ACL administration", () => {
  test("kafkajs describes what it created, by exact and MATCH filters", async () => {
    await withAdmin(async (admin) => {
      const all = await admin.describeAcls({
        resourceType: ResourceType.any,
        resourcePatternType: PatternType.any,
        operation: Op.any,
        permissionType: AclPermission.any,
      } as never);
      const count = all.resources.reduce((sum, resource) => sum + resource.acls.length, 0);
      expect(count).toBe(initialAcls.length);
      // MATCH on a topic name finds the prefixed ACL that applies to it.
      const matching = await admin.describeAcls({
        resourceType: ResourceType.topic,
        resourceName: "hidden-topic",
        resourcePatternType: PatternType.match,
        operation: Op.any,
        permissionType: AclPermission.any,
      } as never);
      expect(matching.resources).toEqual([
        expect.objectContaining({ resourceName: "hidden", resourcePatternType: PatternType.prefixed }),
      ]);
    });
  });

  test("@platformatic/kafka creates, describes and deletes a prefixed ACL", async () => {
    const admin = new PlatformaticAdmin({ clientId: "acls-pf", bootstrapBrokers: [broker.address()] });
    try {
      const acl = {
        resourceType: ResourceType.topic,
        resourceName: "pf-",
        resourcePatternType: PatternType.prefixed,
        principal: "User:alice",
        host: "*",
        operation: Op.read,
        permissionType: AclPermission.allow,
      } as const;
      await admin.createAcls({ creations: [acl as never] });
      const filter = {
        resourceType: ResourceType.topic,
        resourceName: "pf-orders",
        resourcePatternType: PatternType.match,
        principal: null,
        host: null,
        operation: Op.any,
        permissionType: AclPermission.any,
      };
      const described = await admin.describeAcls({ filter: filter as never });
      expect(described).toEqual([
        expect.objectContaining({
          resourceName: "pf-",
          resourcePatternType: PatternType.prefixed,
          acls: [expect.objectContaining({ principal: "User:alice", operation: Op.read })],
        }),
      ]);
      const deleted = await admin.deleteAcls({
        filters: [{ ...filter, resourceName: "pf-", resourcePatternType: PatternType.prefixed } as never],
      });
      expect(deleted).toHaveLength(1);
      expect(await admin.describeAcls({ filter: filter as never })).toEqual([]);
    } finally {
      await admin.close();
    }
  });

  test("an invalid ACL is refused with INVALID_REQUEST", async () => {
    await withAdmin(async (admin) => {
      const bad = binding(ResourceType.cluster, "not-the-cluster", Op.alter, AclPermission.allow);
      expect(await errorTypeOf(admin.createAcls({ acl: [bad] }))).toBe("INVALID_REQUEST");
    });
  });
});

describe("enforcement", () => {
  test("produce: allowed to an open topic, TOPIC_AUTHORIZATION_FAILED where WRITE is denied", async () => {
    const producer = kafka().producer();
    await producer.connect();
    try {
      await producer.send({ topic: "open", messages: [{ value: "fine" }] });
      await producer.send({ topic: "no-reads", messages: [{ value: "writable" }] });
      expect(await errorTypeOf(producer.send({ topic: "no-writes", messages: [{ value: "no" }] }))).toBe(
        "TOPIC_AUTHORIZATION_FAILED",
      );
    } finally {
      await producer.disconnect();
    }
  });

  test("fetch: READ denied to this principal on this host is TOPIC_AUTHORIZATION_FAILED", async () => {
    expect(await fetchErrorCode("open")).toBe(0);
    expect(await fetchErrorCode("no-writes")).toBe(0);
    expect(await fetchErrorCode("no-reads")).toBe(ErrorCode.TopicAuthorizationFailed);
  });

  test("Metadata leaves out topics the client may not describe, and refuses them by name", async () => {
    await withAdmin(async (admin) => {
      const topics = await admin.listTopics();
      expect(topics).toContain("open");
      expect(topics).not.toContain("hidden-topic");
    });
    const response = await withRaw((client) =>
      client.request(3, 9, {
        ...createMetadataRequest(),
        topics: [{ ...createMetadataRequestTopic(), name: "hidden-topic" }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: true,
      } as never),
    );
    expect(response.topics.map((topic) => [topic.name, topic.errorCode])).toEqual([
      ["hidden-topic", ErrorCode.TopicAuthorizationFailed],
    ]);
  });

  test("authorized operations in Metadata come from the ACLs", async () => {
    const response = await withRaw((client) =>
      client.request(3, 9, {
        ...createMetadataRequest(),
        topics: [{ ...createMetadataRequestTopic(), name: "no-writes" }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: true,
      } as never),
    );
    const bits = response.topics[0]!.topicAuthorizedOperations;
    expect(bits & (1 << Op.read)).not.toBe(0);
    expect(bits & (1 << Op.describe)).not.toBe(0);
    expect(bits & (1 << Op.write)).toBe(0);
  });

  test("groups: a consumer group works where allowed; JoinGroup is GROUP_AUTHORIZATION_FAILED where READ is denied", async () => {
    const consumer = kafka().consumer({ groupId: "open-group" });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: "open", fromBeginning: true });
      const seen = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
      });
      expect(await seen).toBe("fine");
    } finally {
      await consumer.disconnect();
    }
    expect(await joinErrorCode("blocked-group")).toBe(ErrorCode.GroupAuthorizationFailed);
  }, 30_000);

  test("groups by prefix: a group under an allowed prefix may be joined, the one denied beneath it may not", async () => {
    // MEMBER_ID_REQUIRED: the coordinator's own first answer to a new member, past authorization.
    expect(await joinErrorCode("team-a")).toBe(ErrorCode.MemberIdRequired);
    expect(await joinErrorCode("team-secret")).toBe(ErrorCode.GroupAuthorizationFailed);
  });

  test("transactional ids: an allowed id reaches the transaction coordinator, a denied one does not, whatever prefix allows it", async () => {
    // Asked without FindCoordinator first, the coordinator answers for its own ids or says it is not theirs.
    expect<number[]>([ErrorCode.None, ErrorCode.NotCoordinator, ErrorCode.CoordinatorNotAvailable]).toContain(
      await initProducerIdErrorCode("tx-ok"),
    );
    expect(await initProducerIdErrorCode("tx-blocked")).toBe(ErrorCode.TransactionalIdAuthorizationFailed);
  });
});

describe("persistence and the cluster resource", () => {
  test("ACLs survive a restart, and still decide", async () => {
    await broker.restart();
    await withAdmin(async (admin) => {
      const all = await admin.describeAcls({
        resourceType: ResourceType.any,
        resourcePatternType: PatternType.any,
        operation: Op.any,
        permissionType: AclPermission.any,
      } as never);
      expect(all.resources.reduce((sum, resource) => sum + resource.acls.length, 0)).toBe(initialAcls.length);
    });
    expect(await fetchErrorCode("no-reads")).toBe(ErrorCode.TopicAuthorizationFailed);
  }, 60_000);

  test("a cluster ACL for the admin alone takes ACL administration and topic creation from everyone else", async () => {
    await withAdmin(async (admin) => {
      await admin.deleteAcls({
        filters: [
          {
            resourceType: ResourceType.delegationToken,
            resourcePatternType: PatternType.any,
            operation: Op.any,
            permissionType: AclPermission.any,
          } as never,
        ],
      });
      await admin.createAcls({
        acl: [
          binding(ResourceType.cluster, "kafka-cluster", Op.alter, AclPermission.allow, {
            principal: "User:admin",
          }),
        ],
      });
      expect(await errorTypeOf(admin.createAcls({ acl: initialAcls.slice(0, 1) }))).toBe(
        "CLUSTER_AUTHORIZATION_FAILED",
      );
      // CREATE on the cluster is now denied; a topic with no ACL of its own may still be created, one under the
      // hidden prefix may not.
      await admin.createTopics({ topics: [{ topic: "fresh", numPartitions: 1 }] });
      expect(
        await errorTypeOf(admin.createTopics({ topics: [{ topic: "hidden-fresh", numPartitions: 1 }] })),
      ).toBe("TOPIC_AUTHORIZATION_FAILED");
    });
  }, 30_000);
});
