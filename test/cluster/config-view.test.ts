// Proves DescribeConfigs' view of the broker's own configs: what was set at start-up is STATIC_BROKER_CONFIG,
// what was left at Kafka's default is DEFAULT_CONFIG with that default (as Kafka describes a config missing
// from server.properties), and the topic configs' broker synonyms follow the same rule.

import { expect, test } from "bun:test";
import { describeBrokerConfigs } from "../../src/cluster/config-view.ts";
import { ConfigSource } from "../../src/cluster/topic-config-definitions.ts";

const described = (settings: Record<string, string>, keys: string[]) =>
  describeBrokerConfigs(new Map(Object.entries(settings)), keys).map((entry) => [
    entry.name,
    entry.value,
    entry.source,
    entry.readOnly,
  ]);

test("a broker config at Kafka's default is DEFAULT_CONFIG; one set otherwise is STATIC_BROKER_CONFIG", () => {
  const keys = [
    "node.id",
    "num.partitions",
    "auto.create.topics.enable",
    "group.consumer.session.timeout.ms",
  ];
  expect(
    described({ "node.id": "1", "num.partitions": "1", "auto.create.topics.enable": "true" }, keys),
  ).toEqual([
    ["node.id", "1", ConfigSource.StaticBrokerConfig, true],
    ["auto.create.topics.enable", "true", ConfigSource.DefaultConfig, true],
    ["num.partitions", "1", ConfigSource.DefaultConfig, true],
    ["group.consumer.session.timeout.ms", "45000", ConfigSource.DefaultConfig, true],
  ]);
  expect(
    described(
      {
        "node.id": "1",
        "num.partitions": "6",
        "auto.create.topics.enable": "false",
        "group.consumer.session.timeout.ms": "10000",
      },
      keys,
    ),
  ).toEqual([
    ["node.id", "1", ConfigSource.StaticBrokerConfig, true],
    ["auto.create.topics.enable", "false", ConfigSource.StaticBrokerConfig, true],
    ["num.partitions", "6", ConfigSource.StaticBrokerConfig, true],
    ["group.consumer.session.timeout.ms", "10000", ConfigSource.StaticBrokerConfig, true],
  ]);
});

test("a topic config's broker synonym is STATIC only when the broker was given it", () => {
  expect(described({}, ["message.max.bytes"])).toEqual([
    ["message.max.bytes", "1048588", ConfigSource.DefaultConfig, true],
  ]);
  expect(described({ "message.max.bytes": "2000000" }, ["message.max.bytes"])).toEqual([
    ["message.max.bytes", "2000000", ConfigSource.StaticBrokerConfig, true],
  ]);
});
