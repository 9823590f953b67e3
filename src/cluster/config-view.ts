// The configs DescribeConfigs reports, with Kafka's sources, synonyms and documentation: a topic's effective
// value comes from its override, else the broker's setting of the synonym (log.retention.ms: dynamic for this
// broker, dynamic cluster default, static), else Kafka's default; a group's, from its override, else its broker
// synonym. The topic configs' broker synonyms change at runtime (dynamic-broker-configs.ts); the other broker
// configs are static (set at start-up), so they are reported read-only.
// No keys (null, or an empty list, as Kafka's ConfigHelper treats both) means every config.

import {
  type BrokerStaticConfigs,
  brokerConfigDefinition,
  brokerConfigDefinitions,
  brokerConfigValue,
} from "./broker-config-definitions.ts";
import { type BrokerConfigLayers, brokerConfigLayers } from "./dynamic-broker-configs.ts";
import { groupConfigDefinitions } from "./group-config-definitions.ts";
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
  /** Kafka's documentation string, answered when DescribeConfigs asks for it (v3+). */
  documentation: string;
}

export type { BrokerStaticConfigs } from "./broker-config-definitions.ts";

/** Whether a config named `name` is asked for: null and [] ask for all, as in Kafka. */
export function isRequested(keys: readonly string[] | null, name: string): boolean {
  return keys === null || keys.length === 0 || keys.includes(name);
}

/** A topic config's broker synonym as set in each layer, most specific first (Kafka's synonym order). */
function brokerSynonyms(
  name: string,
  layers: BrokerConfigLayers,
  options: { perBroker: boolean },
): ConfigSynonym[] {
  const synonyms: ConfigSynonym[] = [];
  const perBroker = layers.perBroker.get(name);
  if (options.perBroker && perBroker !== undefined)
    synonyms.push({ name, value: perBroker, source: ConfigSource.DynamicBrokerConfig });
  const clusterDefault = layers.clusterDefault.get(name);
  if (clusterDefault !== undefined)
    synonyms.push({ name, value: clusterDefault, source: ConfigSource.DynamicDefaultBrokerConfig });
  const staticValue = layers.static.get(name);
  if (staticValue !== undefined)
    synonyms.push({ name, value: staticValue, source: ConfigSource.StaticBrokerConfig });
  return synonyms;
}

function topicEntry(
  definition: TopicConfigDefinition,
  override: string | undefined,
  brokerConfigs: BrokerStaticConfigs,
): ConfigEntry {
  const synonyms: ConfigSynonym[] = [];
  if (override !== undefined) {
    synonyms.push({ name: definition.name, value: override, source: ConfigSource.DynamicTopicConfig });
  }
  const fromBroker = brokerSynonyms(definition.brokerSynonym, brokerConfigLayers(brokerConfigs), {
    perBroker: true,
  });
  synonyms.push(...fromBroker, { ...definition.defaultSynonym, source: ConfigSource.DefaultConfig });
  // Kafka names every synonym after the config that sets it; the entry's own value is the effective one
  // (604800000 for a retention.ms that defaults to log.retention.hours=168).
  return {
    name: definition.name,
    value: override ?? fromBroker[0]?.value ?? definition.defaultValue,
    readOnly: false,
    source: synonyms[0]!.source,
    type: definition.type,
    synonyms,
    documentation: definition.documentation,
  };
}

/** A topic's configs; `keys` null or empty means all of them. Unknown keys are left out, as Kafka does. */
export function describeTopicConfigs(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
  keys: readonly string[] | null,
): ConfigEntry[] {
  return topicConfigDefinitions
    .filter((definition) => isRequested(keys, definition.name))
    .map((definition) => topicEntry(definition, overrides.get(definition.name), brokerStatic));
}

/**
 * The broker's configs: each broker-only config and each topic config's broker synonym, at its setting — for a
 * synonym the most specific of this broker's dynamic value, the dynamic cluster default and the static setting —
 * or, when none is given, at Kafka's default (DEFAULT_CONFIG), as Kafka describes a config missing from
 * server.properties. A static setting equal to the default of a broker-only config counts as not given: the
 * start-up options do not say which were typed. The synonyms are read-write, the broker-only configs read-only.
 */
export function describeBrokerConfigs(
  brokerConfigs: BrokerStaticConfigs,
  keys: readonly string[] | null,
): ConfigEntry[] {
  const layers = brokerConfigLayers(brokerConfigs);
  const entries: ConfigEntry[] = [];
  for (const { name, type, defaultValue, documentation } of brokerConfigDefinitions) {
    const value = layers.static.get(name);
    if (value !== undefined && value !== defaultValue)
      entries.push(brokerEntry({ name, value, type, documentation }, ConfigSource.StaticBrokerConfig));
    else if (defaultValue !== null)
      entries.push(
        brokerEntry({ name, value: defaultValue, type, documentation }, ConfigSource.DefaultConfig),
      );
  }
  for (const definition of topicConfigDefinitions) {
    const synonyms = brokerSynonyms(definition.brokerSynonym, layers, { perBroker: true });
    entries.push(dynamicEntry(definition, synonyms));
  }
  return entries.filter((entry) => isRequested(keys, entry.name));
}

/**
 * The cluster-wide default broker resource (name ""): only the configs set dynamically there, as Kafka's
 * ConfigHelper describes it, with synonyms below that level (no broker's own values).
 */
export function describeClusterDefaultBrokerConfigs(
  brokerConfigs: BrokerStaticConfigs,
  keys: readonly string[] | null,
): ConfigEntry[] {
  const layers = brokerConfigLayers(brokerConfigs);
  return topicConfigDefinitions
    .filter((definition) => layers.clusterDefault.has(definition.brokerSynonym))
    .map((definition) =>
      dynamicEntry(definition, brokerSynonyms(definition.brokerSynonym, layers, { perBroker: false })),
    )
    .filter((entry) => isRequested(keys, entry.name));
}

/** A topic config's broker synonym with the layers that set it, above Kafka's default. */
function dynamicEntry(definition: TopicConfigDefinition, synonyms: ConfigSynonym[]): ConfigEntry {
  const name = definition.brokerSynonym;
  const all = [...synonyms, { name, value: definition.defaultValue, source: ConfigSource.DefaultConfig }];
  return {
    name,
    value: all[0]!.value,
    readOnly: false,
    source: all[0]!.source,
    type: definition.type,
    synonyms: all,
    documentation: definition.brokerDocumentation,
  };
}

/**
 * A group's configs (KIP-848's GROUP resource), as Kafka's ConfigHelper.createGroupConfigEntry describes them:
 * the group's own value (GROUP_CONFIG) above its broker synonym, which is STATIC_BROKER_CONFIG when the broker
 * was started with a value other than Kafka's default and DEFAULT_CONFIG otherwise.
 */
export function describeGroupConfigs(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
  keys: readonly string[] | null,
): ConfigEntry[] {
  return groupConfigDefinitions
    .filter((definition) => isRequested(keys, definition.name))
    .map((definition) => {
      const brokerValue = brokerConfigValue(brokerStatic, definition.brokerSynonym);
      const brokerSource =
        brokerValue === brokerConfigDefinition(definition.brokerSynonym)?.defaultValue
          ? ConfigSource.DefaultConfig
          : ConfigSource.StaticBrokerConfig;
      const synonyms: ConfigSynonym[] = [
        { name: definition.brokerSynonym, value: brokerValue, source: brokerSource },
      ];
      const override = overrides.get(definition.name);
      if (override !== undefined)
        synonyms.unshift({ name: definition.name, value: override, source: ConfigSource.GroupConfig });
      return {
        name: definition.name,
        value: override ?? brokerValue,
        readOnly: false,
        source: synonyms[0]!.source,
        type: ConfigType.Int,
        synonyms,
        documentation: definition.documentation,
      };
    });
}

/** A broker config at `value`, read-only, with itself as its one synonym. */
function brokerEntry(
  config: { name: string; value: string; type: ConfigType; documentation: string },
  source: ConfigSource,
): ConfigEntry {
  const { name, value, type, documentation } = config;
  return { name, value, readOnly: true, source, type, synonyms: [{ name, value, source }], documentation };
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
