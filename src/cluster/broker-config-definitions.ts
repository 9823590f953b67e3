// The broker configs DescribeConfigs reports that are not a topic config's synonym: their Kafka names, types,
// defaults (null: always set at start-up, never defaulted) and Kafka's documentation strings. All are static in
// Chronik: set by flag or environment at start-up, read-only to the config APIs.

import { ConfigType } from "./topic-config-definitions.ts";

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
  define(
    "group.consumer.heartbeat.interval.ms",
    ConfigType.Int,
    "5000",
    "The heartbeat interval given to the members of a consumer group.",
  ),
  define(
    "group.consumer.session.timeout.ms",
    ConfigType.Int,
    "45000",
    "The timeout to detect client failures when using the consumer group protocol.",
  ),
];
