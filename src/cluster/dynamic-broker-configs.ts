// Dynamic broker configs (KIP-226) as Kafka keeps them: set through AlterConfigs/IncrementalAlterConfigs on a
// BROKER resource — one broker's id, or "" for the cluster-wide default — stored in the metadata log, and layered
// over the static settings: a broker's own dynamic value, else the cluster default, else its start-up setting,
// else Kafka's default. The configs that may change are the topic configs' broker synonyms (log.retention.ms,
// log.segment.bytes, message.max.bytes…), the ones Kafka's DynamicLogConfig reconfigures; the rest are static.

import { type BrokerStaticConfigs, brokerConfigDefinition } from "./broker-config-definitions.ts";
import { applyChange, type CommandResult, type ConfigChange } from "./metadata/metadata-commands.ts";
import type { MetadataState } from "./metadata/metadata-state.ts";
import {
  ConfigType,
  type TopicConfigDefinition,
  topicConfigDefinitions,
} from "./topic-config-definitions.ts";

/** The broker configs that change at runtime, each with the topic config whose default it is. */
const dynamicByName = new Map<string, TopicConfigDefinition>(
  topicConfigDefinitions.map((definition) => [definition.brokerSynonym, definition]),
);

/** The topic config a dynamic broker config supplies the default of; undefined for a static config. */
export function dynamicBrokerConfig(name: string): TopicConfigDefinition | undefined {
  return dynamicByName.get(name);
}

/** The layers a broker config's value comes from, most specific first. */
export interface BrokerConfigLayers {
  /** Set on this broker's own resource (DYNAMIC_BROKER_CONFIG). */
  perBroker: ReadonlyMap<string, string>;
  /** Set on the cluster default resource "" (DYNAMIC_DEFAULT_BROKER_CONFIG). */
  clusterDefault: ReadonlyMap<string, string>;
  /** Given at start-up (STATIC_BROKER_CONFIG). */
  static: BrokerStaticConfigs;
}

const none: ReadonlyMap<string, string> = new Map();

/**
 * A broker's settings as one map, read live: its dynamic configs from the metadata as last applied over its
 * static ones. Everything that reads broker defaults (topic configs' effective values, the logs' configs, Produce's
 * message.max.bytes) reads through it, so a change applies as soon as its record is applied.
 */
export class LayeredBrokerConfigs implements ReadonlyMap<string, string> {
  constructor(
    private readonly staticConfigs: BrokerStaticConfigs,
    private readonly nodeId: number,
    private readonly state: () => MetadataState | undefined,
  ) {}

  layers(): BrokerConfigLayers {
    const state = this.state();
    return {
      perBroker: state?.brokerConfigs(String(this.nodeId)) ?? none,
      clusterDefault: state?.brokerConfigs("") ?? none,
      static: this.staticConfigs,
    };
  }

  get(name: string): string | undefined {
    const state = this.state();
    if (state !== undefined && dynamicByName.has(name)) {
      const dynamic = state.brokerConfigs(String(this.nodeId)).get(name) ?? state.brokerConfigs("").get(name);
      if (dynamic !== undefined) return dynamic;
    }
    return this.staticConfigs.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  private merged(): Map<string, string> {
    const { perBroker, clusterDefault, static: staticConfigs } = this.layers();
    const merged = new Map(staticConfigs);
    for (const layer of [clusterDefault, perBroker])
      for (const [name, value] of layer) if (dynamicByName.has(name)) merged.set(name, value);
    return merged;
  }

  get size(): number {
    return this.merged().size;
  }

  forEach(callback: (value: string, key: string, map: ReadonlyMap<string, string>) => void): void {
    for (const [name, value] of this.merged()) callback(value, name, this);
  }

  entries(): MapIterator<[string, string]> {
    return this.merged().entries();
  }

  keys(): MapIterator<string> {
    return this.merged().keys();
  }

  values(): MapIterator<string> {
    return this.merged().values();
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }
}

/** The layers of `configs`: a LayeredBrokerConfigs' own, or a plain map's as static settings alone. */
export function brokerConfigLayers(configs: BrokerStaticConfigs): BrokerConfigLayers {
  if (configs instanceof LayeredBrokerConfigs) return configs.layers();
  return { perBroker: none, clusterDefault: none, static: configs };
}

/** Kafka's ConfigResource.toString, which its broker config errors quote. */
function resourceLabel(broker: string): string {
  return `ConfigResource(type=BROKER, name='${broker}')`;
}

function refuse(broker: string, reason: string): CommandResult {
  return {
    ok: false,
    error: "INVALID_REQUEST",
    message: `Invalid config value for resource ${resourceLabel(broker)}: ${reason}`,
  };
}

/**
 * IncrementalAlterConfigs (or the legacy AlterConfigs, expressed as delete-then-set) on one BROKER resource.
 * Static configs are refused all together as Kafka's DynamicBrokerConfig.validate refuses them; values are
 * checked as the topic config they default is checked.
 */
export function planAlterBrokerConfigs(
  state: MetadataState,
  broker: string,
  changes: readonly ConfigChange[],
): CommandResult {
  const nonDynamic = changes.map((change) => change.name).filter((name) => !dynamicByName.has(name));
  if (nonDynamic.length > 0)
    return refuse(
      broker,
      `Cannot update these configs dynamically: Set(${[...new Set(nonDynamic)].join(", ")})`,
    );
  const effective = new Map(state.brokerConfigs(broker));
  const result = new Map<string, string | null>();
  for (const change of changes) {
    const definition = dynamicByName.get(change.name)!;
    if (
      (change.operation === "append" || change.operation === "subtract") &&
      definition.type !== ConfigType.List
    ) {
      const operation = change.operation.toUpperCase();
      return {
        ok: false,
        error: "INVALID_CONFIG",
        message: `Can't ${operation} to key ${change.name} because its type is not LIST.`,
      };
    }
    const value = applyChange(change, effective.get(change.name) ?? definition.defaultValue);
    if (value !== null) {
      const problem = definition.check(value);
      if (problem)
        return refuse(broker, `Invalid value ${value} for configuration ${change.name}: ${problem}`);
      effective.set(change.name, value);
    } else effective.delete(change.name);
    result.set(change.name, value);
  }
  return { ok: true, records: [{ type: "broker-configs", broker, changes: Object.fromEntries(result) }] };
}

/** Whether `name` is a broker config Chronik knows at all (static or dynamic). */
export function isKnownBrokerConfig(name: string): boolean {
  return dynamicByName.has(name) || brokerConfigDefinition(name) !== undefined;
}

/**
 * Calls `onChange` when this node's dynamic configs change (its own or the cluster default), so open logs take a
 * new default at once (Kafka's DynamicLogConfig.reconfigure). Metadata replaces a changed map, never edits it.
 */
export class BrokerConfigFollower {
  private seen: readonly ReadonlyMap<string, string>[] = [];

  constructor(
    private readonly nodeId: number,
    private readonly onChange: () => void,
  ) {}

  follow(state: MetadataState): void {
    const current = [state.brokerConfigs(String(this.nodeId)), state.brokerConfigs("")];
    const changed = current.some((configs, index) => configs !== this.seen[index]);
    this.seen = current;
    if (changed) this.onChange();
  }
}
