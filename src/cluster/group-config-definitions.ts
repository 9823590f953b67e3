// The group configs (KIP-848's GROUP config resource) Chronik honours: a consumer group's own session timeout
// and heartbeat interval, each defaulting to its broker synonym (group.consumer.session.timeout.ms …) and held
// within the broker's bounds for it, as Kafka's GroupConfig validates them. Share and streams groups'
// configs are left out: Chronik has neither kind of group, so it refuses them rather than ignore them.

import { type BrokerStaticConfigs, brokerConfigValue } from "./broker-config-definitions.ts";

export interface GroupConfigDefinition {
  name: string;
  /** The broker config that supplies the default, and those that bound it. */
  brokerSynonym: string;
  brokerMin: string;
  brokerMax: string;
  /** Kafka's documentation (GroupConfig's, which is its broker synonym's). */
  documentation: string;
}

export const groupConfigDefinitions: readonly GroupConfigDefinition[] = [
  {
    name: "consumer.heartbeat.interval.ms",
    brokerSynonym: "group.consumer.heartbeat.interval.ms",
    brokerMin: "group.consumer.min.heartbeat.interval.ms",
    brokerMax: "group.consumer.max.heartbeat.interval.ms",
    documentation: "The heartbeat interval given to the members of a consumer group.",
  },
  {
    name: "consumer.session.timeout.ms",
    brokerSynonym: "group.consumer.session.timeout.ms",
    brokerMin: "group.consumer.min.session.timeout.ms",
    brokerMax: "group.consumer.max.session.timeout.ms",
    documentation: "The timeout to detect client failures when using the consumer group protocol.",
  },
];

const definitionByName = new Map(groupConfigDefinitions.map((definition) => [definition.name, definition]));

export function groupConfigDefinition(name: string): GroupConfigDefinition | undefined {
  return definitionByName.get(name);
}

/** A group config's effective value: the group's own, else its broker synonym's. */
export function groupConfigValue(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
  definition: GroupConfigDefinition,
): string {
  return overrides.get(definition.name) ?? brokerConfigValue(brokerStatic, definition.brokerSynonym);
}

const intMax = 2147483647;

/**
 * Checks a group's overrides as they would stand after a change, with Kafka's messages (GroupConfig.validate):
 * known names, positive ints, each within its broker bounds, and a session timeout above the heartbeat interval.
 * Returns the first problem, or null.
 */
export function checkGroupConfigs(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
): string | null {
  for (const [name, value] of overrides) {
    if (!definitionByName.has(name)) return `Unknown group config name: ${name}`;
    if (!/^-?\d+$/.test(value.trim()) || Math.abs(Number(value)) > intMax) {
      return `Invalid value ${value} for configuration ${name}: Not a number of type INT`;
    }
    if (Number(value) < 1)
      return `Invalid value ${value} for configuration ${name}: Value must be at least 1`;
  }
  const values = new Map<string, number>();
  for (const definition of groupConfigDefinitions) {
    const value = Number(groupConfigValue(overrides, brokerStatic, definition));
    if (value < Number(brokerConfigValue(brokerStatic, definition.brokerMin)))
      return `${definition.name} must be greater than or equal to ${definition.brokerMin}`;
    if (value > Number(brokerConfigValue(brokerStatic, definition.brokerMax)))
      return `${definition.name} must be less than or equal to ${definition.brokerMax}`;
    values.set(definition.name, value);
  }
  if (values.get("consumer.session.timeout.ms")! <= values.get("consumer.heartbeat.interval.ms")!)
    return "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms";
  return null;
}

const noSettings = {};

/** A group's configs (checked when set) as the consumer coordinator's settings for that group. */
export function consumerGroupSettingsOf(overrides: ReadonlyMap<string, string>): {
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
} {
  if (overrides.size === 0) return noSettings;
  const sessionTimeoutMs = overrides.get("consumer.session.timeout.ms");
  const heartbeatIntervalMs = overrides.get("consumer.heartbeat.interval.ms");
  return {
    ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: Number(sessionTimeoutMs) }),
    ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: Number(heartbeatIntervalMs) }),
  };
}
