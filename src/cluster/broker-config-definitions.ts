// The broker configs DescribeConfigs reports that are not a topic config's synonym: their Kafka names, types,
// defaults (null: always set at start-up, never defaulted) and Kafka's documentation strings. All are static in
// Chronik: set by flag or environment at start-up, read-only to the config APIs.

import { ConfigType } from "./topic-config-definitions.ts";

/** Kafka's Integer.MAX_VALUE, the default of the group size limits. */
const intMax = 2147483647;

/** Broker-level settings given at start-up, by Kafka broker config name (log.retention.ms, num.partitions…). */
export type BrokerStaticConfigs = ReadonlyMap<string, string>;

export interface BrokerConfigDefinition {
  name: string;
  type: ConfigType;
  defaultValue: string | null;
  documentation: string;
}

function define(
  name: string,
  type: ConfigType,
  defaultValue: string | null,
  documentation: string,
): BrokerConfigDefinition {
  return { name, type, defaultValue, documentation };
}

export const brokerConfigDefinitions: readonly BrokerConfigDefinition[] = [
  define(
    "node.id",
    ConfigType.Int,
    null,
    "The node ID associated with the roles this process is playing when <code>process.roles</code> is " +
      "non-empty. This is required configuration when running in KRaft mode.",
  ),
  define(
    "broker.id",
    ConfigType.Int,
    null,
    "The broker id for this server. If unset, a unique broker id will be generated.",
  ),
  define(
    "advertised.listeners",
    ConfigType.String,
    null,
    "Specifies the listener addresses that the Kafka brokers will advertise to clients and other brokers. " +
      "The config is useful where the actual listener configuration does not represent the addresses that " +
      "clients should use to connect, such as in cloud environments.",
  ),
  define(
    "auto.create.topics.enable",
    ConfigType.Boolean,
    "true",
    "Enable auto creation of topic on the server.",
  ),
  define("num.partitions", ConfigType.Int, "1", "The default number of log partitions per topic"),
  define(
    "default.replication.factor",
    ConfigType.Int,
    "1",
    "The replication factor for automatically created topics, and for topics created with -1 as the " +
      "replication factor",
  ),
  // The group coordinators' settings (GroupCoordinatorConfig), with Kafka's defaults and documentation.
  define(
    "group.initial.rebalance.delay.ms",
    ConfigType.Int,
    "3000",
    "The amount of time the group coordinator will wait for more consumers to join a new group before " +
      "performing the first rebalance. A longer delay means potentially fewer rebalances, but increases the " +
      "time until processing begins.",
  ),
  define(
    "group.min.session.timeout.ms",
    ConfigType.Int,
    "6000",
    "The minimum allowed session timeout for registered consumers. Shorter timeouts result in quicker failure " +
      "detection at the cost of more frequent consumer heartbeating, which can overwhelm broker resources.",
  ),
  define(
    "group.max.session.timeout.ms",
    ConfigType.Int,
    "1800000",
    "The maximum allowed session timeout for registered consumers. Longer timeouts give consumers more time to " +
      "process messages in between heartbeats at the cost of a longer time to detect failures.",
  ),
  define(
    "group.max.size",
    ConfigType.Int,
    String(intMax),
    "The maximum number of consumers that a single consumer group can accommodate.",
  ),
  define(
    "group.consumer.heartbeat.interval.ms",
    ConfigType.Int,
    "5000",
    "The heartbeat interval given to the members of a consumer group.",
  ),
  define(
    "group.consumer.min.heartbeat.interval.ms",
    ConfigType.Int,
    "5000",
    "The minimum heartbeat interval for registered consumers.",
  ),
  define(
    "group.consumer.max.heartbeat.interval.ms",
    ConfigType.Int,
    "15000",
    "The maximum heartbeat interval for registered consumers.",
  ),
  define(
    "group.consumer.session.timeout.ms",
    ConfigType.Int,
    "45000",
    "The timeout to detect client failures when using the consumer group protocol.",
  ),
  define(
    "group.consumer.min.session.timeout.ms",
    ConfigType.Int,
    "45000",
    "The minimum allowed session timeout for registered consumers.",
  ),
  define(
    "group.consumer.max.session.timeout.ms",
    ConfigType.Int,
    "60000",
    "The maximum allowed session timeout for registered consumers.",
  ),
  define(
    "group.consumer.max.size",
    ConfigType.Int,
    String(intMax),
    "The maximum number of consumers that a single consumer group can accommodate. This value will only " +
      "impact groups under the CONSUMER group protocol. To configure the max group size when using the CLASSIC " +
      "group protocol use group.max.size instead.",
  ),
  define(
    "auto.leader.rebalance.enable",
    ConfigType.Boolean,
    "true",
    "Enables auto leader balancing. A background thread checks the distribution of partition leaders at " +
      "regular intervals, configurable by leader.imbalance.check.interval.seconds. If the leader imbalance " +
      "exceeds leader.imbalance.per.broker.percentage, leader rebalance to the preferred leader for partitions " +
      "is triggered.",
  ),
  define(
    "leader.imbalance.per.broker.percentage",
    ConfigType.Int,
    "10",
    "The ratio of leader imbalance allowed per broker. The controller would trigger a leader balance if it goes " +
      "above this value per broker. The value is specified in percentage.",
  ),
  define(
    "leader.imbalance.check.interval.seconds",
    ConfigType.Long,
    "300",
    "The frequency with which the partition rebalance check is triggered by the controller",
  ),
];

const definitionByName = new Map(brokerConfigDefinitions.map((definition) => [definition.name, definition]));

export function brokerConfigDefinition(name: string): BrokerConfigDefinition | undefined {
  return definitionByName.get(name);
}

/** A broker-only config's effective value: its static setting, else Kafka's default. */
export function brokerConfigValue(brokerStatic: BrokerStaticConfigs, name: string): string {
  const value = brokerStatic.get(name) ?? definitionByName.get(name)?.defaultValue;
  if (value === undefined || value === null) throw new Error(`broker config ${name} has no value here`);
  return value;
}
