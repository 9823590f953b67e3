// The configs DescribeConfigs reports, with Kafka's sources and synonyms: a topic's effective value comes from
// its override, else the broker's static setting of the synonym (log.retention.ms), else Kafka's default.
// Broker configs are static in Chronik (set at start-up), so they are reported read-only.

import {
  ConfigSource,
  ConfigType,
  type TopicConfigDefinition,
  topicConfigDefinitions,
} from "./topic-config-definitions.ts";

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: ConfigSource;
  type: ConfigType;
  /** Most specific first, as Kafka orders them. */
  synonyms: ConfigSynonym[];
}

/** Broker-level settings given at start-up, by Kafka broker config name (log.retention.ms, num.partitions…). */
export type BrokerStaticConfigs = ReadonlyMap<string, string>;

function topicEntry(
  definition: TopicConfigDefinition,
  override: string | undefined,
  brokerStatic: BrokerStaticConfigs,
): ConfigEntry {
  const staticValue = brokerStatic.get(definition.brokerSynonym);
  const synonyms: ConfigSynonym[] = [];
  if (override !== undefined) {
    synonyms.push({ name: definition.name, value: override, source: ConfigSource.DynamicTopicConfig });
  }
  if (staticValue !== undefined) {
    synonyms.push({
      name: definition.brokerSynonym,
      value: staticValue,
      source: ConfigSource.StaticBrokerConfig,
    });
  }
  synonyms.push({ ...definition.defaultSynonym, source: ConfigSource.DefaultConfig });
  // Kafka names every synonym after the config that sets it; the entry's own value is the effective one
  // (604800000 for a retention.ms that defaults to log.retention.hours=168).
  return {
    name: definition.name,
    value: override ?? staticValue ?? definition.defaultValue,
    readOnly: false,
    source: synonyms[0]!.source,
    type: definition.type,
    synonyms,
  };
}

/** A topic's configs; `keys` null means all of them. Unknown keys are left out, as Kafka does. */
export function describeTopicConfigs(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
  keys: readonly string[] | null,
): ConfigEntry[] {
  return topicConfigDefinitions
    .filter((definition) => keys === null || keys.includes(definition.name))
    .map((definition) => topicEntry(definition, overrides.get(definition.name), brokerStatic));
}

/**
 * Broker configs that are not synonyms of a topic config, with their types and Kafka's defaults (null: always
 * set, never defaulted).
 */
const brokerOnlyConfigs: ReadonlyMap<string, { type: ConfigType; defaultValue: string | null }> = new Map([
  ["node.id", { type: ConfigType.Int, defaultValue: null }],
  ["broker.id", { type: ConfigType.Int, defaultValue: null }],
  ["advertised.listeners", { type: ConfigType.String, defaultValue: null }],
  ["auto.create.topics.enable", { type: ConfigType.Boolean, defaultValue: "true" }],
  ["num.partitions", { type: ConfigType.Int, defaultValue: "1" }],
  ["default.replication.factor", { type: ConfigType.Int, defaultValue: "1" }],
  ["group.consumer.heartbeat.interval.ms", { type: ConfigType.Int, defaultValue: "5000" }],
  ["group.consumer.session.timeout.ms", { type: ConfigType.Int, defaultValue: "45000" }],
]);

/**
 * The broker's configs: each broker-only config and each topic config's broker synonym, at its static setting
 * (STATIC_BROKER_CONFIG) or, when the broker was not given one, at Kafka's default (DEFAULT_CONFIG) — as
 * Kafka describes a config missing from server.properties. A static setting equal to the default counts as
 * not given: the start-up options do not say which were typed.
 */
export function describeBrokerConfigs(
  brokerStatic: BrokerStaticConfigs,
  keys: readonly string[] | null,
): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const [name, { type, defaultValue }] of brokerOnlyConfigs) {
    const value = brokerStatic.get(name);
    if (value !== undefined && value !== defaultValue)
      entries.push(brokerEntry(name, value, type, ConfigSource.StaticBrokerConfig));
    else if (defaultValue !== null)
      entries.push(brokerEntry(name, defaultValue, type, ConfigSource.DefaultConfig));
  }
  for (const { brokerSynonym: name, type, defaultValue } of topicConfigDefinitions) {
    const value = brokerStatic.get(name);
    if (value === undefined) entries.push(brokerEntry(name, defaultValue, type, ConfigSource.DefaultConfig));
    else entries.push(brokerEntry(name, value, type, ConfigSource.StaticBrokerConfig));
  }
  return entries.filter((entry) => keys === null || keys.includes(entry.name));
}

/** A broker config at `value`, read-only, with itself as its one synonym. */
function brokerEntry(name: string, value: string, type: ConfigType, source: ConfigSource): ConfigEntry {
  return { name, value, readOnly: true, source, type, synonyms: [{ name, value, source }] };
}

/** A topic config's effective value: the override, else the broker's static synonym, else Kafka's default. */
export function topicConfigValue(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
  definition: TopicConfigDefinition,
): string {
  return (
    overrides.get(definition.name) ?? brokerStatic.get(definition.brokerSynonym) ?? definition.defaultValue
  );
}
