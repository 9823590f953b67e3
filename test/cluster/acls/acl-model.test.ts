// Proves ACL filters match stored bindings as Kafka's AclBindingFilter does (ANY, MATCH, LITERAL, PREFIXED),
// that invalid bindings are refused, and that ACLs survive the metadata state's snapshot records.

import { describe, expect, test } from "bun:test";
import {
  type AclBinding,
  type AclBindingFilter,
  AclOperation,
  AclPermission,
  bindingProblem,
  filterMatches,
  PatternType,
  ResourceType,
} from "../../../src/cluster/acls/acl-model.ts";
import { MetadataState } from "../../../src/cluster/metadata/metadata-state.ts";

const literal: AclBinding = {
  resourceType: ResourceType.topic,
  resourceName: "orders",
  patternType: PatternType.literal,
  principal: "User:alice",
  host: "*",
  operation: AclOperation.read,
  permission: AclPermission.allow,
};
const wildcard: AclBinding = { ...literal, resourceName: "*" };
const prefixed: AclBinding = { ...literal, resourceName: "ord", patternType: PatternType.prefixed };
const everyFilter: AclBindingFilter = {
  resourceType: ResourceType.any,
  resourceName: null,
  patternType: PatternType.any,
  principal: null,
  host: null,
  operation: AclOperation.any,
  permission: AclPermission.any,
};

const matched = (filter: Partial<AclBindingFilter>) =>
  [literal, wildcard, prefixed].filter((binding) => filterMatches({ ...everyFilter, ...filter }, binding));

describe("filters", () => {
  test("ANY with a name matches bindings of exactly that name, whatever their pattern type", () => {
    expect(matched({ resourceName: "orders" })).toEqual([literal]);
    expect(matched({ resourceName: "ord" })).toEqual([prefixed]);
  });

  test("MATCH with a name matches every binding that applies to a resource of that name", () => {
    expect(matched({ resourceName: "orders", patternType: PatternType.match })).toEqual([
      literal,
      wildcard,
      prefixed,
    ]);
    expect(matched({ resourceName: "payments", patternType: PatternType.match })).toEqual([wildcard]);
  });

  test("LITERAL and PREFIXED match their own pattern type only", () => {
    expect(matched({ patternType: PatternType.literal })).toEqual([literal, wildcard]);
    expect(matched({ patternType: PatternType.prefixed })).toEqual([prefixed]);
  });

  test("principal, host, operation and permission filter exactly", () => {
    expect(matched({ principal: "User:*" })).toEqual([]);
    expect(
      matched({ host: "*", operation: AclOperation.read, permission: AclPermission.allow }),
    ).toHaveLength(3);
    expect(matched({ permission: AclPermission.deny })).toEqual([]);
    expect(matched({ resourceType: ResourceType.group })).toEqual([]);
  });
});

describe("bindings", () => {
  test("refuses what Kafka refuses", () => {
    expect(bindingProblem(literal)).toBeNull();
    expect(bindingProblem({ ...literal, patternType: PatternType.match })).toContain("pattern type");
    expect(bindingProblem({ ...literal, resourceName: "" })).toContain("empty");
    expect(bindingProblem({ ...literal, resourceType: ResourceType.cluster })).toContain("kafka-cluster");
    expect(bindingProblem({ ...literal, operation: AclOperation.idempotentWrite })).toContain(
      "does not apply",
    );
    expect(bindingProblem({ ...literal, permission: AclPermission.any })).toContain("permission");
    expect(bindingProblem({ ...literal, principal: "alice" })).toContain("principal");
    expect(bindingProblem({ ...literal, host: "example.com" })).toContain("host");
    expect(bindingProblem({ ...literal, host: "::1" })).toBeNull();
  });
});

describe("metadata state", () => {
  test("ACL records apply, remove, and come back from the snapshot records", () => {
    const state = new MetadataState();
    state.apply({ type: "acl", binding: literal });
    state.apply({ type: "acl", binding: prefixed });
    state.apply({ type: "remove-acl", binding: literal });
    const copy = new MetadataState();
    for (const record of state.toRecords()) copy.apply(record);
    expect([...copy.acls.all()]).toEqual([prefixed]);
  });
});
