// Proves the authorizer decides as Kafka's StandardAuthorizer: each pattern type, deny over allow, implied
// operations, super users, wildcard principal and host, allow.everyone.if.no.acl.found, and the by-type check.

import { describe, expect, test } from "bun:test";
import {
  type AclBinding,
  AclPermission,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from "../../../src/cluster/acls/acl-model.ts";
import { AclTable } from "../../../src/cluster/acls/acl-table.ts";
import {
  type AuthorizerConfig,
  authorize,
  authorizeByResourceType,
  authorizedOperations,
} from "../../../src/cluster/acls/authorizer.ts";

const closed: AuthorizerConfig = { superUsers: new Set(["User:admin"]), allowEveryoneIfNoAclFound: false };
const open: AuthorizerConfig = { ...closed, allowEveryoneIfNoAclFound: true };
const alice = { principal: "User:alice", host: "10.0.0.1" };
const bob = { principal: "User:bob", host: "10.0.0.2" };

function acl(overrides: Partial<AclBinding>): AclBinding {
  return {
    resourceType: ResourceType.topic,
    resourceName: "orders",
    patternType: PatternType.literal,
    principal: "User:alice",
    host: "*",
    operation: Op.read,
    permission: AclPermission.allow,
    ...overrides,
  };
}

function tableOf(...bindings: AclBinding[]): AclTable {
  const table = new AclTable();
  for (const binding of bindings) table.add(binding);
  return table;
}

const canRead = (table: AclTable, who: typeof alice, topic: string, config = closed) =>
  authorize(config, table, who, Op.read, ResourceType.topic, topic);

describe("pattern types", () => {
  test("a LITERAL ACL applies to its name only", () => {
    const table = tableOf(acl({}));
    expect(canRead(table, alice, "orders")).toBe(true);
    expect(canRead(table, alice, "orders-eu")).toBe(false);
  });

  test("a LITERAL '*' applies to every resource of its type, and to no other type", () => {
    const table = tableOf(acl({ resourceName: "*" }));
    expect(canRead(table, alice, "anything")).toBe(true);
    expect(authorize(closed, table, alice, Op.read, ResourceType.group, "anything")).toBe(false);
  });

  test("a PREFIXED ACL applies to every name that starts with it", () => {
    const table = tableOf(acl({ resourceName: "ord", patternType: PatternType.prefixed }));
    expect(canRead(table, alice, "orders")).toBe(true);
    expect(canRead(table, alice, "ord")).toBe(true);
    expect(canRead(table, alice, "payments")).toBe(false);
  });
});

describe("deny and allow", () => {
  test("a matching DENY wins over an ALLOW, whatever their patterns", () => {
    const table = tableOf(
      acl({ resourceName: "*" }),
      acl({ resourceName: "ord", patternType: PatternType.prefixed, permission: AclPermission.deny }),
    );
    expect(canRead(table, alice, "orders")).toBe(false);
    expect(canRead(table, alice, "payments")).toBe(true);
  });

  test("a DENY of ALL denies every operation; a DENY of READ does not deny DESCRIBE", () => {
    const denyAll = tableOf(
      acl({ operation: Op.all }),
      acl({ operation: Op.all, permission: AclPermission.deny }),
    );
    expect(authorize(closed, denyAll, alice, Op.describe, ResourceType.topic, "orders")).toBe(false);
    const denyRead = tableOf(acl({ operation: Op.describe }), acl({ permission: AclPermission.deny }));
    expect(authorize(closed, denyRead, alice, Op.describe, ResourceType.topic, "orders")).toBe(true);
    expect(canRead(denyRead, alice, "orders")).toBe(false);
  });

  test("an ALLOW for another principal or host does not apply", () => {
    const table = tableOf(acl({ host: "10.0.0.9" }), acl({ principal: "User:carol" }));
    expect(canRead(table, alice, "orders")).toBe(false);
  });
});

describe("implied operations", () => {
  test("READ, WRITE, DELETE and ALTER each imply DESCRIBE", () => {
    for (const operation of [Op.read, Op.write, Op.delete, Op.alter]) {
      const table = tableOf(acl({ operation }));
      expect(authorize(closed, table, alice, Op.describe, ResourceType.topic, "orders")).toBe(true);
    }
    const table = tableOf(acl({ operation: Op.create }));
    expect(authorize(closed, table, alice, Op.describe, ResourceType.topic, "orders")).toBe(false);
  });

  test("ALTER_CONFIGS implies DESCRIBE_CONFIGS, not the reverse", () => {
    const alter = tableOf(acl({ operation: Op.alterConfigs }));
    expect(authorize(closed, alter, alice, Op.describeConfigs, ResourceType.topic, "orders")).toBe(true);
    const describe = tableOf(acl({ operation: Op.describeConfigs }));
    expect(authorize(closed, describe, alice, Op.alterConfigs, ResourceType.topic, "orders")).toBe(false);
  });

  test("ALL allows every operation; READ does not imply WRITE", () => {
    const all = tableOf(acl({ operation: Op.all }));
    expect(authorize(closed, all, alice, Op.write, ResourceType.topic, "orders")).toBe(true);
    const read = tableOf(acl({}));
    expect(authorize(closed, read, alice, Op.write, ResourceType.topic, "orders")).toBe(false);
  });

  test("a DENY of DESCRIBE is not lifted by an ALLOW of READ", () => {
    const table = tableOf(acl({}), acl({ operation: Op.describe, permission: AclPermission.deny }));
    expect(authorize(closed, table, alice, Op.describe, ResourceType.topic, "orders")).toBe(false);
    expect(canRead(table, alice, "orders")).toBe(true);
  });
});

describe("principals, hosts, super users and the no-ACL default", () => {
  test("User:* matches every user; host '*' every host; a named host only that host", () => {
    const table = tableOf(acl({ principal: "User:*", host: "10.0.0.2" }));
    expect(canRead(table, bob, "orders")).toBe(true);
    expect(canRead(table, alice, "orders")).toBe(false);
  });

  test("super users may do anything, even against a DENY", () => {
    const table = tableOf(acl({ principal: "User:*", operation: Op.all, permission: AclPermission.deny }));
    const admin = { principal: "User:admin", host: "10.0.0.3" };
    expect(canRead(table, admin, "orders")).toBe(true);
    expect(authorize(closed, new AclTable(), admin, Op.alter, ResourceType.cluster, "kafka-cluster")).toBe(
      true,
    );
  });

  test("a resource no ACL matches is denied by default and allowed with allow.everyone.if.no.acl.found", () => {
    const table = tableOf(acl({ resourceName: "other" }));
    expect(canRead(table, alice, "orders", closed)).toBe(false);
    expect(canRead(table, alice, "orders", open)).toBe(true);
  });

  test("an ACL for someone else on the resource closes it even with allow.everyone.if.no.acl.found", () => {
    const table = tableOf(acl({ principal: "User:carol" }));
    expect(canRead(table, alice, "orders", open)).toBe(false);
  });
});

describe("authorized operations and the by-type check", () => {
  test("the bitfield holds the operations allowed and those they imply", () => {
    const table = tableOf(acl({ operation: Op.write }));
    const bits = authorizedOperations(closed, table, alice, ResourceType.topic, "orders");
    expect(bits).toBe((1 << Op.write) | (1 << Op.describe));
  });

  test("WRITE on any topic: allowed by a literal ALLOW unless a DENY covers it", () => {
    const allowed = tableOf(acl({ operation: Op.write }));
    expect(authorizeByResourceType(closed, allowed, alice, Op.write, ResourceType.topic)).toBe(true);
    const covered = tableOf(
      acl({ operation: Op.write }),
      acl({ resourceName: "or", patternType: PatternType.prefixed, operation: Op.write, permission: 2 }),
    );
    expect(authorizeByResourceType(closed, covered, alice, Op.write, ResourceType.topic)).toBe(false);
    expect(authorizeByResourceType(closed, new AclTable(), alice, Op.write, ResourceType.topic)).toBe(false);
    expect(authorizeByResourceType(open, new AclTable(), alice, Op.write, ResourceType.topic)).toBe(true);
  });
});

describe("the table", () => {
  test("finds literal, wildcard and prefixed bindings, and forgets removed ones", () => {
    const literal = acl({});
    const prefixed = acl({ resourceName: "o", patternType: PatternType.prefixed });
    const table = tableOf(literal, prefixed, acl({ resourceName: "*" }));
    expect(table.matching(ResourceType.topic, "orders")).toHaveLength(3);
    const before = table.version;
    table.remove(prefixed);
    expect(table.version).toBe(before + 1);
    expect(table.matching(ResourceType.topic, "orders")).toHaveLength(2);
    expect(table.has(literal)).toBe(true);
  });

  test("finds prefixed bindings by the name's prefixes when there are more prefixes than characters", () => {
    const prefixes = ["a", "ab", "abc", "b", "ba", "x", "xy", "xyz", "q", "qq"];
    const table = tableOf(
      ...prefixes.map((resourceName) => acl({ resourceName, patternType: PatternType.prefixed })),
    );
    const found = table.matching(ResourceType.topic, "abcd").map((binding) => binding.resourceName);
    expect(found.sort()).toEqual(["a", "ab", "abc"]);
    expect(table.matching(ResourceType.topic, "zz")).toEqual([]);
  });
});
