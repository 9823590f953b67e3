// Proves DescribeConfigs' view of the broker's own configs: what was set at start-up is STATIC_BROKER_CONFIG,
// what was left at Kafka's default is DEFAULT_CONFIG with that default (as Kafka describes a config missing
// from server.properties), and the topic configs' broker synonyms follow the same rule; that no keys (null or
// empty) mean every config, each with its documentation; and that a group's configs sit above their broker
// synonyms, as Kafka's ConfigHelper reports them.

import { expect, test } from "bun:test";
import {
  describeBrokerConfigs,
  describeGroupConfigs,
  describeTopicConfigs,
} from "../../src/cluster/config-view.ts";
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

test("a topic config's broker synonym is STATIC only when the broker was given it, and read-write (dynamic)", () => {
  expect(described({}, ["message.max.bytes"])).toEqual([
    ["message.max.bytes", "1048588", ConfigSource.DefaultConfig, false],
  ]);
  expect(described({ "message.max.bytes": "2000000" }, ["message.max.bytes"])).toEqual([
    ["message.max.bytes", "2000000", ConfigSource.StaticBrokerConfig, false],
  ]);
});

test("no keys, null or empty, describe every config, each with its documentation", () => {
  for (const keys of [null, []]) {
    const topic = describeTopicConfigs(new Map(), new Map(), keys);
    const broker = describeBrokerConfigs(new Map([["node.id", "1"]]), keys);
    expect(topic.map((entry) => entry.name)).toContain("compression.type");
    expect(broker.map((entry) => entry.name)).toContain("group.initial.rebalance.delay.ms");
    for (const entry of [...topic, ...broker]) expect(entry.documentation.length).toBeGreaterThan(10);
  }
  expect(describeTopicConfigs(new Map(), new Map(), ["retention.ms", "no.such"]).map((e) => e.name)).toEqual([
    "retention.ms",
  ]);
});

test("the leader balance settings are described under Kafka's names, Chronik's 30 s check as STATIC", () => {
  const settings = {
    "auto.leader.rebalance.enable": "true",
    "leader.imbalance.per.broker.percentage": "10",
    "leader.imbalance.check.interval.seconds": "30",
  };
  expect(described(settings, Object.keys(settings))).toEqual([
    ["auto.leader.rebalance.enable", "true", ConfigSource.DefaultConfig, true],
    ["leader.imbalance.per.broker.percentage", "10", ConfigSource.DefaultConfig, true],
    ["leader.imbalance.check.interval.seconds", "30", ConfigSource.StaticBrokerConfig, true],
  ]);
});

test("a group's config is GROUP_CONFIG above its broker synonym, which is STATIC only when set otherwise", () => {
  const brokerStatic = new Map([
    ["group.consumer.heartbeat.interval.ms", "2000"],
    ["group.consumer.session.timeout.ms", "45000"],
  ]);
  const described = describeGroupConfigs(
    new Map([["consumer.session.timeout.ms", "50000"]]),
    brokerStatic,
    null,
  );
  expect(described.map((entry) => [entry.name, entry.value, entry.source, entry.synonyms])).toEqual([
    [
      "consumer.heartbeat.interval.ms",
      "2000",
      ConfigSource.StaticBrokerConfig,
      [
        {
          name: "group.consumer.heartbeat.interval.ms",
          value: "2000",
          source: ConfigSource.StaticBrokerConfig,
        },
      ],
    ],
    [
      "consumer.session.timeout.ms",
      "50000",
      ConfigSource.GroupConfig,
      [
        { name: "consumer.session.timeout.ms", value: "50000", source: ConfigSource.GroupConfig },
        { name: "group.consumer.session.timeout.ms", value: "45000", source: ConfigSource.DefaultConfig },
      ],
    ],
  ]);
});
