// Proves the per-connection authorizer caches decisions only while the ACLs and the principal stay the same,
// and that without an authorizer everything is allowed and the ACL APIs answer SECURITY_DISABLED, as Kafka does.

import { describe, expect, test } from "bun:test";
import { requestAuthorizer } from "../../../src/broker/authorization/index.ts";
import { clientHost } from "../../../src/broker/authorization/request-authorizer.ts";
import { createAclsHandler, describeAclsHandler } from "../../../src/broker/handlers/acls.ts";
import {
  type AclBinding,
  AclPermission,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../../src/cluster/acls/acl-model.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { createCreateAclsRequestAclCreation } from "../../../src/protocol/messages/create-acls.ts";
import { createDescribeAclsRequest } from "../../../src/protocol/messages/describe-acls.ts";
import { handlerRequestContext, singleNodeContext } from "../../support/in-memory-metadata.ts";

type Answer = { results: { errorCode: number }[]; errorCode: number; resources: unknown[] };
/** A handler's answer, awaited, as the response it must be here. */
const answered = async (result: unknown) => (await result) as Answer;

const readOrders: AclBinding = {
  resourceType: ResourceType.topic,
  resourceName: "orders",
  patternType: PatternType.literal,
  principal: "User:alice",
  host: "*",
  operation: Op.read,
  permission: AclPermission.allow,
};

function setUp(enabled: boolean) {
  const context = singleNodeContext({ port: 9092 });
  const settings = { enabled, superUsers: ["User:admin"], allowEveryoneIfNoAclFound: false };
  const authorizer = requestAuthorizer(settings, () => context.metadata.state.acls);
  const request = handlerRequestContext(1);
  return { context, authorizer, request, connection: request.connection };
}

describe("decisions and their cache", () => {
  test("a cached decision is dropped when the ACLs change", () => {
    const { context, authorizer, connection } = setUp(true);
    connection.principal = "User:alice";
    expect(authorizer.authorize(connection, Op.read, ResourceType.topic, "orders")).toBe(false);
    context.metadata.apply([{ type: "acl", binding: readOrders }]);
    expect(authorizer.authorize(connection, Op.read, ResourceType.topic, "orders")).toBe(true);
    context.metadata.apply([{ type: "remove-acl", binding: readOrders }]);
    expect(authorizer.authorize(connection, Op.read, ResourceType.topic, "orders")).toBe(false);
  });

  test("a cached decision is dropped when the connection's principal changes", () => {
    const { context, authorizer, connection } = setUp(true);
    context.metadata.apply([{ type: "acl", binding: readOrders }]);
    expect(authorizer.authorize(connection, Op.read, ResourceType.topic, "orders")).toBe(false);
    connection.principal = "User:alice";
    expect(authorizer.authorize(connection, Op.read, ResourceType.topic, "orders")).toBe(true);
    connection.principal = "User:admin";
    expect(authorizer.authorize(connection, Op.alter, ResourceType.cluster, "kafka-cluster")).toBe(true);
  });

  test("an IPv4 client on a dual-stack socket is named by its IPv4 address", () => {
    expect(clientHost("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(clientHost("::1")).toBe("::1");
  });
});

describe("without an authorizer", () => {
  test("everything is allowed, and every operation is reported authorized", () => {
    const { context, authorizer, connection } = setUp(false);
    context.metadata.apply([{ type: "acl", binding: { ...readOrders, permission: AclPermission.deny } }]);
    expect(authorizer.authorize(connection, Op.write, ResourceType.topic, "orders")).toBe(true);
    expect(authorizer.authorizedOperations(connection, ResourceType.group, "g")).toBe(
      (1 << Op.read) |
        (1 << Op.describe) |
        (1 << Op.delete) |
        (1 << Op.describeConfigs) |
        (1 << Op.alterConfigs),
    );
  });

  test("CreateAcls and DescribeAcls answer SECURITY_DISABLED", async () => {
    const { context, authorizer, request } = setUp(false);
    const created = await answered(
      createAclsHandler(context, authorizer).handle(
        { creations: [createCreateAclsRequestAclCreation()], unknownTaggedFields: [] },
        request,
      ),
    );
    expect(created.results[0]?.errorCode).toBe(ErrorCode.SecurityDisabled);
    const described = await answered(
      describeAclsHandler(context, authorizer).handle(createDescribeAclsRequest(), request),
    );
    expect(described.errorCode).toBe(ErrorCode.SecurityDisabled);
    expect(context.metadata.state.acls.size).toBe(0);
  });
});

describe("with an authorizer", () => {
  test("ACL administration needs ALTER or DESCRIBE on the cluster; a super user has both", async () => {
    const { context, authorizer, request } = setUp(true);
    const creation = {
      ...createCreateAclsRequestAclCreation(),
      resourceType: readOrders.resourceType,
      resourceName: readOrders.resourceName,
      principal: readOrders.principal,
      host: "*",
      operation: readOrders.operation,
      permissionType: readOrders.permission,
    };
    const handler = createAclsHandler(context, authorizer);
    const refused = await answered(
      handler.handle({ creations: [creation], unknownTaggedFields: [] }, request),
    );
    expect(refused.results[0]?.errorCode).toBe(ErrorCode.ClusterAuthorizationFailed);
    request.connection.principal = "User:admin";
    const twice = await answered(
      handler.handle({ creations: [creation, creation], unknownTaggedFields: [] }, request),
    );
    expect(twice.results.map((result) => result.errorCode)).toEqual([0, 0]);
    expect(context.metadata.state.acls.size).toBe(1);
    const everything = {
      ...createDescribeAclsRequest(),
      resourceTypeFilter: ResourceType.any,
      patternTypeFilter: PatternType.any,
      operation: Op.any,
      permissionType: AclPermission.any,
      resourceNameFilter: null,
      principalFilter: null,
      hostFilter: null,
    };
    const described = await answered(describeAclsHandler(context, authorizer).handle(everything, request));
    expect(described.resources).toHaveLength(1);
  });
});
