// Kafka's StandardAuthorizer decision, pure: given the ACLs, may this principal from this host perform this
// operation on this resource? Super users may do anything; a DENY that matches wins over any ALLOW; READ,
// WRITE, DELETE and ALTER imply DESCRIBE and ALTER_CONFIGS implies DESCRIBE_CONFIGS (for ALLOW only, as in
// Kafka); a resource that no ACL matches at all is allowed only with allow.everyone.if.no.acl.found.

import {
  type AclBinding,
  AclOperation,
  AclPermission,
  PatternType,
  supportedOperations,
  wildcardName,
  wildcardPrincipal,
} from "./acl-model.ts";
import type { AclTable } from "./acl-table.ts";

export interface AuthorizerConfig {
  /** Principals allowed everything, e.g. "User:admin" (super.users). */
  superUsers: ReadonlySet<string>;
  /** allow.everyone.if.no.acl.found: a resource without any ACL is open to all (Kafka's default: false). */
  allowEveryoneIfNoAclFound: boolean;
}

/** Who asks, from where. */
export interface Requester {
  principal: string;
  /** The client's IP address as ACLs name it (no "::ffff:" prefix on an IPv4 address). */
  host: string;
}

/** The operations an ALLOW for each operation also grants (Kafka's implied operations). */
const impliedBy: ReadonlyMap<number, readonly number[]> = new Map([
  [AclOperation.describe, [AclOperation.read, AclOperation.write, AclOperation.delete, AclOperation.alter]],
  [AclOperation.describeConfigs, [AclOperation.alterConfigs]],
]);
const noImplications: readonly number[] = [];

function appliesTo(binding: AclBinding, requester: Requester): boolean {
  return (
    (binding.principal === requester.principal || binding.principal === wildcardPrincipal) &&
    (binding.host === requester.host || binding.host === wildcardName)
  );
}

export function authorize(
  config: AuthorizerConfig,
  acls: AclTable,
  requester: Requester,
  operation: number,
  resourceType: number,
  resourceName: string,
): boolean {
  if (config.superUsers.has(requester.principal)) return true;
  const bindings = acls.matching(resourceType, resourceName);
  if (bindings.length === 0) return config.allowEveryoneIfNoAclFound;
  const implying = impliedBy.get(operation) ?? noImplications;
  let allowed = false;
  for (const binding of bindings) {
    if (!appliesTo(binding, requester)) continue;
    if (binding.permission === AclPermission.deny) {
      if (binding.operation === operation || binding.operation === AclOperation.all) return false;
    } else if (
      binding.operation === operation ||
      binding.operation === AclOperation.all ||
      implying.includes(binding.operation)
    ) {
      allowed = true;
    }
  }
  return allowed;
}

/** The operations allowed on a resource, as Kafka's bitfield (bit n for operation code n). */
export function authorizedOperations(
  config: AuthorizerConfig,
  acls: AclTable,
  requester: Requester,
  resourceType: number,
  resourceName: string,
): number {
  let bits = 0;
  for (const operation of supportedOperations.get(resourceType) ?? noImplications) {
    if (authorize(config, acls, requester, operation, resourceType, resourceName)) bits |= 1 << operation;
  }
  return bits;
}

/**
 * Whether the requester may perform `operation` on at least one resource of the type (Kafka's
 * Authorizer.authorizeByResourceType, KIP-679): InitProducerId without a transactional id asks it for WRITE on
 * any topic. As Kafka: a check on a made-up name first lets super users (and an open cluster) through; then an
 * ALLOW counts unless a DENY for the same operation covers everything it names.
 */
export function authorizeByResourceType(
  config: AuthorizerConfig,
  acls: AclTable,
  requester: Requester,
  operation: number,
  resourceType: number,
): boolean {
  if (authorize(config, acls, requester, operation, resourceType, "hardcode")) return true;
  const denyLiterals = new Set<string>();
  const denyPrefixes: string[] = [];
  const allows: AclBinding[] = [];
  for (const binding of acls.ofType(resourceType)) {
    if (!appliesTo(binding, requester)) continue;
    if (binding.operation !== operation && binding.operation !== AclOperation.all) continue;
    if (binding.permission === AclPermission.allow) {
      allows.push(binding);
      continue;
    }
    if (binding.patternType === PatternType.literal) {
      if (binding.resourceName === wildcardName) return false;
      denyLiterals.add(binding.resourceName);
    } else {
      denyPrefixes.push(binding.resourceName);
    }
  }
  return allows.some((allow) => {
    if (denyPrefixes.some((prefix) => allow.resourceName.startsWith(prefix))) return false;
    return allow.patternType === PatternType.prefixed || !denyLiterals.has(allow.resourceName);
  });
}
