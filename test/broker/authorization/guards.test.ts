// Proves the guards answer as Kafka's KafkaApis does for a client with ACLs on one topic only: Metadata hides
// the other topic and refuses it by name, auto-creates nothing the client may not create, and configs and
// topic deletion are refused with the resource's authorization error while the allowed ones go through.

import { describe, expect, test } from "bun:test";
import type { AnyApiHandler } from "../../../src/broker/api-handler.ts";
import { requestAuthorizer, securedHandlers } from "../../../src/broker/authorization/index.ts";
import { metadataHandlers } from "../../../src/broker/handlers/index.ts";
import {
  type AclBinding,
  AclPermission,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../../src/cluster/acls/acl-model.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { createDescribeConfigsRequest } from "../../../src/protocol/messages/describe-configs.ts";
import {
  createMetadataRequest,
  createMetadataRequestTopic,
} from "../../../src/protocol/messages/metadata.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../../support/in-memory-metadata.ts";

const allOnOrders: AclBinding = {
  resourceType: ResourceType.topic,
  resourceName: "orders",
  patternType: PatternType.literal,
  principal: "User:alice",
  host: "*",
  operation: Op.all,
  permission: AclPermission.allow,
};

function setUp() {
  const context = singleNodeContext({ port: 9092, autoCreateTopics: true });
  addTopic(context, "orders");
  addTopic(context, "secret");
  context.metadata.apply([{ type: "acl", binding: allOnOrders }]);
  const settings = { enabled: true, superUsers: [], allowEveryoneIfNoAclFound: false };
  const authorizer = requestAuthorizer(settings, () => context.metadata.state.acls);
  const handlers = securedHandlers(metadataHandlers(context), { authorizer, broker: context });
  const handler = (apiKey: number) => handlers.find((found) => found.apiKey === apiKey) as AnyApiHandler;
  const call = async (apiKey: number, apiVersion: number, request: unknown) => {
    const requestContext = handlerRequestContext(apiVersion);
    requestContext.connection.principal = "User:alice";
    // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields of the one response it asked for.
    return (await handler(apiKey).handle(request as never, requestContext)) as any;
  };
  return { context, call };
}

const metadataRequest = (topics: string[] | null, allowAutoTopicCreation = false) => ({
  ...createMetadataRequest(),
  topics: topics?.map((name) => ({ ...createMetadataRequestTopic(), name })) ?? null,
  allowAutoTopicCreation,
  includeTopicAuthorizedOperations: true,
});

describe("Metadata", () => {
  test("all topics: the ones the client may not describe are left out", async () => {
    const { call } = setUp();
    const response = await call(3, 12, metadataRequest(null));
    expect(response.topics.map((topic: { name: string }) => topic.name)).toEqual(["orders"]);
  });

  test("named topics: TOPIC_AUTHORIZATION_FAILED for the hidden one, operations from the ACLs for the other", async () => {
    const { call } = setUp();
    const response = await call(3, 12, metadataRequest(["orders", "secret"]));
    const byName = new Map(response.topics.map((topic: { name: string }) => [topic.name, topic]));
    expect(byName.get("secret")).toMatchObject({
      errorCode: ErrorCode.TopicAuthorizationFailed,
      partitions: [],
    });
    expect(byName.get("orders")).toMatchObject({ errorCode: 0 });
    // ALL: every topic operation (Kafka's supportedOperations for TOPIC).
    const topicOperations = [
      Op.read,
      Op.write,
      Op.create,
      Op.describe,
      Op.delete,
      Op.alter,
      Op.describeConfigs,
      Op.alterConfigs,
    ];
    expect((byName.get("orders") as { topicAuthorizedOperations: number }).topicAuthorizedOperations).toBe(
      topicOperations.reduce((bits, operation) => bits | (1 << operation), 0),
    );
  });

  test("an unknown topic is not auto-created for a client without CREATE", async () => {
    const { context, call } = setUp();
    const response = await call(3, 12, metadataRequest(["fresh"], true));
    expect(response.topics[0]).toMatchObject({
      name: "fresh",
      errorCode: ErrorCode.TopicAuthorizationFailed,
    });
    expect(context.metadata.state.topicByName("fresh")).toBeUndefined();
  });
});

describe("configs and deletion", () => {
  test("DescribeConfigs: the allowed topic is described, the other topic and the broker are refused", async () => {
    const { call } = setUp();
    const resources = [
      { resourceType: 2, resourceName: "orders", configurationKeys: null },
      { resourceType: 2, resourceName: "secret", configurationKeys: null },
      { resourceType: 4, resourceName: "1", configurationKeys: null },
    ];
    const response = await call(32, 4, { ...createDescribeConfigsRequest(), resources });
    const errors = Object.fromEntries(
      response.results.map((result: { resourceName: string; errorCode: number }) => [
        result.resourceName,
        result.errorCode,
      ]),
    );
    expect(errors).toEqual({
      orders: 0,
      secret: ErrorCode.TopicAuthorizationFailed,
      "1": ErrorCode.ClusterAuthorizationFailed,
    });
  });

  test("DeleteTopics: the allowed topic goes, the other stays with TOPIC_AUTHORIZATION_FAILED", async () => {
    const { context, call } = setUp();
    const response = await call(20, 5, { topicNames: ["orders", "secret"], timeoutMs: 1000, topics: [] });
    const errors = Object.fromEntries(
      response.responses.map((result: { name: string; errorCode: number }) => [
        result.name,
        result.errorCode,
      ]),
    );
    expect(errors).toEqual({ orders: 0, secret: ErrorCode.TopicAuthorizationFailed });
    expect(context.metadata.state.topicByName("orders")).toBeUndefined();
    expect(context.metadata.state.topicByName("secret")).toBeDefined();
  });
});
