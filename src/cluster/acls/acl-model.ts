// Kafka's ACL model (org.apache.kafka.common.acl and .resource): the codes the wire carries for resource types,
// pattern types, operations and permissions, an ACL binding, a binding filter, and how a filter matches. Pure.

/** ResourceType codes. */
export const ResourceType = {
  unknown: 0,
  any: 1,
  topic: 2,
  group: 3,
  cluster: 4,
  transactionalId: 5,
  delegationToken: 6,
  user: 7,
} as const;

/** PatternType codes: LITERAL and PREFIXED describe stored ACLs; ANY and MATCH exist only in filters. */
export const PatternType = { unknown: 0, any: 1, match: 2, literal: 3, prefixed: 4 } as const;

/** AclOperation codes. */
export const AclOperation = {
  unknown: 0,
  any: 1,
  all: 2,
  read: 3,
  write: 4,
  create: 5,
  delete: 6,
  alter: 7,
  describe: 8,
  clusterAction: 9,
  describeConfigs: 10,
  alterConfigs: 11,
  idempotentWrite: 12,
  createTokens: 13,
  describeTokens: 14,
} as const;

/** AclPermissionType codes. */
export const AclPermission = { unknown: 0, any: 1, deny: 2, allow: 3 } as const;

/** The one name a CLUSTER resource has (Kafka's Resource.CLUSTER_NAME). */
export const clusterResourceName = "kafka-cluster";
/** A LITERAL pattern of this name matches every resource of its type; as a host, every host. */
export const wildcardName = "*";
/** Matches every principal of type User (Kafka's Acl.WildcardPrincipal). */
export const wildcardPrincipal = "User:*";
/** The principal of a connection that has not authenticated (KafkaPrincipal.ANONYMOUS). */
export const anonymousPrincipal = "User:ANONYMOUS";

/** The operations each resource type supports (Kafka's AclEntry.supportedOperations; groups have configs since KIP-848). */
export const supportedOperations: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>(
  [
    [
      ResourceType.topic,
      [
        AclOperation.read,
        AclOperation.write,
        AclOperation.create,
        AclOperation.describe,
        AclOperation.delete,
        AclOperation.alter,
        AclOperation.describeConfigs,
        AclOperation.alterConfigs,
      ],
    ],
    [
      ResourceType.group,
      [
        AclOperation.read,
        AclOperation.describe,
        AclOperation.delete,
        AclOperation.describeConfigs,
        AclOperation.alterConfigs,
      ],
    ],
    [
      ResourceType.cluster,
      [
        AclOperation.create,
        AclOperation.clusterAction,
        AclOperation.describeConfigs,
        AclOperation.alterConfigs,
        AclOperation.idempotentWrite,
        AclOperation.alter,
        AclOperation.describe,
      ],
    ],
    [ResourceType.transactionalId, [AclOperation.describe, AclOperation.write]],
    [ResourceType.delegationToken, [AclOperation.describe]],
    [ResourceType.user, [AclOperation.createTokens, AclOperation.describeTokens]],
  ],
);

/** One ACL as stored: who may (or may not) do what, from where, on which resources. */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  /** LITERAL or PREFIXED. */
  patternType: number;
  /** "Type:name", e.g. "User:alice" or "User:*". */
  principal: string;
  /** An IP address or "*". */
  host: string;
  operation: number;
  /** ALLOW or DENY. */
  permission: number;
}

/** A filter over bindings (DescribeAcls, DeleteAcls): null and ANY match everything in their field. */
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

/** The identity of a binding: two bindings with the same key are the same ACL (Kafka keeps one). */
export function aclKey(binding: AclBinding): string {
  return JSON.stringify([
    binding.resourceType,
    binding.resourceName,
    binding.patternType,
    binding.principal,
    binding.host,
    binding.operation,
    binding.permission,
  ]);
}

/** Kafka's ResourcePatternFilter.matches and AccessControlEntryFilter.matches together. */
export function filterMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  if (filter.resourceType !== ResourceType.any && filter.resourceType !== binding.resourceType) return false;
  if (!patternMatches(filter, binding)) return false;
  if (filter.principal !== null && filter.principal !== binding.principal) return false;
  if (filter.host !== null && filter.host !== binding.host) return false;
  if (filter.operation !== AclOperation.any && filter.operation !== binding.operation) return false;
  return filter.permission === AclPermission.any || filter.permission === binding.permission;
}

function patternMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  const { patternType, resourceName } = filter;
  if (
    patternType !== PatternType.any &&
    patternType !== PatternType.match &&
    patternType !== binding.patternType
  )
    return false;
  if (resourceName === null) return true;
  if (patternType !== PatternType.match) return resourceName === binding.resourceName;
  // MATCH: the stored patterns that would apply to a resource of this name.
  if (binding.patternType === PatternType.literal)
    return resourceName === binding.resourceName || binding.resourceName === wildcardName;
  return resourceName.startsWith(binding.resourceName);
}

/** "Type:name" with both parts non-empty (Kafka's SecurityUtils.parseKafkaPrincipal). */
export function isValidPrincipal(principal: string): boolean {
  const colon = principal.indexOf(":");
  return colon > 0 && colon < principal.length - 1;
}

const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6Pattern = /^[0-9a-fA-F:.]+$/;

/** "*" or an IP address: ACLs name hosts by address, as the authorizer compares them with the client's. */
export function isValidHost(host: string): boolean {
  if (host === wildcardName) return true;
  if (ipv4Pattern.test(host)) return true;
  return host.includes(":") && ipv6Pattern.test(host);
}

/** Why a binding cannot be stored (Kafka's checks in AclApis and AclControlManager.validateNewAcl); null if it can. */
export function bindingProblem(binding: AclBinding): string | null {
  const operations = supportedOperations.get(binding.resourceType);
  if (operations === undefined) return `invalid resource type ${binding.resourceType}`;
  if (binding.patternType !== PatternType.literal && binding.patternType !== PatternType.prefixed)
    return `invalid pattern type ${binding.patternType}`;
  if (binding.resourceName === "") return "resource name must not be empty";
  if (binding.resourceType === ResourceType.cluster && binding.resourceName !== clusterResourceName)
    return `the only valid name for the CLUSTER resource is ${clusterResourceName}`;
  if (binding.operation !== AclOperation.all && !operations.includes(binding.operation))
    return `operation ${binding.operation} does not apply to resource type ${binding.resourceType}`;
  if (binding.permission !== AclPermission.allow && binding.permission !== AclPermission.deny)
    return `invalid permission type ${binding.permission}`;
  if (!isValidPrincipal(binding.principal)) return `invalid principal '${binding.principal}'`;
  if (!isValidHost(binding.host)) return `invalid host '${binding.host}': expected an IP address or *`;
  return null;
}

/** Why a filter is refused (an UNKNOWN code anywhere); null if it is usable. */
export function filterProblem(filter: AclBindingFilter): string | null {
  if (filter.resourceType === ResourceType.unknown || !isKnown(filter.resourceType, ResourceType.user))
    return `invalid resource type ${filter.resourceType}`;
  if (filter.patternType === PatternType.unknown || !isKnown(filter.patternType, PatternType.prefixed))
    return `invalid pattern type ${filter.patternType}`;
  if (filter.operation === AclOperation.unknown || !isKnown(filter.operation, AclOperation.describeTokens))
    return `invalid operation ${filter.operation}`;
  if (filter.permission === AclPermission.unknown || !isKnown(filter.permission, AclPermission.allow))
    return `invalid permission type ${filter.permission}`;
  return null;
}

function isKnown(code: number, max: number): boolean {
  return Number.isInteger(code) && code >= 1 && code <= max;
}
