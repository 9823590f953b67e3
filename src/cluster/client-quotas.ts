// Client quotas (KIP-13, KIP-55, KIP-124, KIP-546) as Kafka's controller keeps and matches them: quotas set on an
// entity — a user, a client id, both, or an ip, where a null name is that type's default — checked as
// ClientQuotaControlManager checks them, described as ClientQuotasImage filters them, and applied to a connection
// in DefaultQuotaCallback's order of precedence.

import type { CommandResult } from "./metadata/metadata-commands.ts";
import { type ClientQuotaEntry, entityKey, type MetadataState } from "./metadata/metadata-state.ts";

export const QuotaEntityType = { user: "user", clientId: "client-id", ip: "ip" } as const;

/** The quotas a user / client-id entity takes, and whether each is a whole number (Kafka's LONG). */
const userAndClientQuotas = new Map<string, { whole: boolean }>([
  ["producer_byte_rate", { whole: true }],
  ["consumer_byte_rate", { whole: true }],
  ["request_percentage", { whole: false }],
  ["controller_mutation_rate", { whole: false }],
]);
/** The one quota an ip entity takes (connections per second). */
const ipQuotas = new Map<string, { whole: boolean }>([["connection_creation_rate", { whole: true }]]);

export interface QuotaEntityComponent {
  entityType: string;
  /** null: the type's default entity. */
  entityName: string | null;
}

export interface QuotaOperation {
  key: string;
  value: number;
  remove: boolean;
}

type Refusal = { ok: false; error: "INVALID_REQUEST"; message: string };

function refuse(message: string): Refusal {
  return { ok: false, error: "INVALID_REQUEST", message };
}

/** The entity as a record, or why Kafka refuses it (ClientQuotaControlManager.validateEntity). */
function entityOf(components: readonly QuotaEntityComponent[]): Record<string, string | null> | Refusal {
  if (components.length === 0) return refuse("Invalid empty client quota entity");
  const entity: Record<string, string | null> = {};
  for (const { entityType, entityName } of components) {
    if (!Object.values(QuotaEntityType).includes(entityType as never))
      return refuse(`Unhandled client quota entity type: ${entityType}`);
    if (entityType in entity) return refuse(`Duplicate ${entityType} entity type in client quota entity`);
    if (entityName === "") return refuse(`Empty ${entityType} not supported`);
    entity[entityType] = entityName;
  }
  if (QuotaEntityType.ip in entity && components.length > 1)
    return refuse(
      "Invalid quota entity combination, IP quota entities cannot be combined with any other entity types",
    );
  return entity;
}

/** AlterClientQuotas for one entry: the record that sets and removes its quotas, or Kafka's refusal. */
export function planAlterClientQuotas(
  components: readonly QuotaEntityComponent[],
  operations: readonly QuotaOperation[],
): CommandResult {
  const entity = entityOf(components);
  if ("ok" in entity) return entity as Refusal;
  const allowed = QuotaEntityType.ip in entity ? ipQuotas : userAndClientQuotas;
  const changes: Record<string, number | null> = {};
  for (const { key, value, remove } of operations) {
    const definition = allowed.get(key);
    if (definition === undefined) return refuse(`Invalid configuration key ${key}`);
    if (key in changes) return refuse(`Duplicate quota key ${key} not updating quota for this entity`);
    if (remove) {
      changes[key] = null;
      continue;
    }
    if (!Number.isFinite(value)) return refuse(`Invalid value ${value} for configuration ${key}`);
    if (definition.whole && !Number.isInteger(value))
      return refuse(`Configuration ${key} must be a Long value`);
    if (value <= 0) return refuse(`Invalid value ${value} for configuration ${key}: must be positive`);
    changes[key] = value;
  }
  return { ok: true, records: [{ type: "client-quotas", entity, changes }] };
}

/** DescribeClientQuotas match types. */
export const QuotaMatchType = { exact: 0, default: 1, any: 2 } as const;

export interface QuotaFilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

/** The entities a DescribeClientQuotas filter selects (ClientQuotasImage.describe), or why it is refused. */
export function describeClientQuotas(
  state: MetadataState,
  components: readonly QuotaFilterComponent[],
  strict: boolean,
): ClientQuotaEntry[] | { error: string } {
  const types = new Set<string>();
  for (const component of components) {
    if (types.has(component.entityType))
      return { error: `Entity type ${component.entityType} cannot appear more than once in the filter.` };
    types.add(component.entityType);
    if (component.matchType < QuotaMatchType.exact || component.matchType > QuotaMatchType.any)
      return { error: `Unknown match type ${component.matchType}` };
    if (component.matchType === QuotaMatchType.exact && component.match === null)
      return { error: `Exact match of entity type ${component.entityType} requires a name` };
  }
  if (types.has(QuotaEntityType.ip) && types.size > 1)
    return { error: "Ip quota entities cannot be combined with user or client-id quota entities." };
  const matches = (entry: ClientQuotaEntry) => {
    const entityTypes = Object.keys(entry.entity);
    if (strict && entityTypes.length !== components.length) return false;
    return components.every(({ entityType, matchType, match }) => {
      if (!(entityType in entry.entity)) return false;
      const name = entry.entity[entityType];
      if (matchType === QuotaMatchType.exact) return name === match;
      if (matchType === QuotaMatchType.default) return name === null;
      return true;
    });
  };
  return [...state.clientQuotas()].filter(matches);
}

/** The quota that applies to a connection, and the entity its usage is counted under (Kafka's metric tags). */
export interface AppliedQuota {
  limit: number;
  /** Connections sharing a sensor key share one rate: e.g. every client of a user under a user-only quota. */
  sensorKey: string;
}

/**
 * The `quota` applying to `user` and `clientId`, in DefaultQuotaCallback's order: user+client-id, user+default
 * client-id, user, default user+client-id, default user+default client-id, default user, client-id, default
 * client-id. Usage is counted per actual user and/or client id of the matched entity's types.
 */
export function appliedQuota(
  state: MetadataState,
  quota: string,
  user: string,
  clientId: string,
): AppliedQuota | null {
  const candidates: Array<[Record<string, string | null>, string]> = [
    [{ user, "client-id": clientId }, `${user}\u0000${clientId}`],
    [{ user, "client-id": null }, `${user}\u0000${clientId}`],
    [{ user }, `${user}\u0000`],
    [{ user: null, "client-id": clientId }, `${user}\u0000${clientId}`],
    [{ user: null, "client-id": null }, `${user}\u0000${clientId}`],
    [{ user: null }, `${user}\u0000`],
    [{ "client-id": clientId }, `\u0000${clientId}`],
    [{ "client-id": null }, `\u0000${clientId}`],
  ];
  for (const [entity, sensorKey] of candidates) {
    const limit = state.clientQuotasOf(entityKey(entity))?.quotas.get(quota);
    if (limit !== undefined) return { limit, sensorKey };
  }
  return null;
}
