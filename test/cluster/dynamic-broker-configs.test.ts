// Proves dynamic broker configs layer as Kafka's do — this broker's value over the cluster default over the static
// setting over Kafka's default, with DescribeConfigs' sources and synonyms in that order, for the broker and for a
// topic inheriting them — that static configs and bad values are refused with Kafka's messages, and that the
// metadata state keeps them through a snapshot.

import { expect, test } from "bun:test";
import {
  describeBrokerConfigs,
  describeClusterDefaultBrokerConfigs,
  describeTopicConfigs,
  topicConfigValue,
} from "../../src/cluster/config-view.ts";
import {
  BrokerConfigFollower,
  LayeredBrokerConfigs,
  planAlterBrokerConfigs,
} from "../../src/cluster/dynamic-broker-configs.ts";
import type { ConfigChange } from "../../src/cluster/metadata/metadata-commands.ts";
import { MetadataState } from "../../src/cluster/metadata/metadata-state.ts";
import { ConfigSource, topicConfigDefinition } from "../../src/cluster/topic-config-definitions.ts";

function alter(state: MetadataState, broker: string, changes: ConfigChange[]) {
  const result = planAlterBrokerConfigs(state, broker, changes);
  if (result.ok) for (const record of result.records) state.apply(record);
  return result;
}

const set = (name: string, value: string): ConfigChange => ({ operation: "set", name, value });

test("this broker's value wins over the cluster default, which wins over the static setting", () => {
  const state = new MetadataState();
  const configs = new LayeredBrokerConfigs(new Map([["log.retention.ms", "1000"]]), 1, () => state);
  const retention = topicConfigDefinition("retention.ms")!;
  expect(topicConfigValue(new Map(), configs, retention)).toBe("1000");
  expect(alter(state, "", [set("log.retention.ms", "2000")]).ok).toBe(true);
  expect(topicConfigValue(new Map(), configs, retention)).toBe("2000");
  expect(alter(state, "1", [set("log.retention.ms", "3000")]).ok).toBe(true);
  expect(topicConfigValue(new Map(), configs, retention)).toBe("3000");
  // Another broker's own value is not this one's.
  alter(state, "2", [set("log.retention.ms", "4000")]);
  expect(configs.get("log.retention.ms")).toBe("3000");
  // A topic override still wins.
  expect(topicConfigValue(new Map([["retention.ms", "5"]]), configs, retention)).toBe("5");

  const [entry] = describeBrokerConfigs(configs, ["log.retention.ms"]);
  expect(entry).toMatchObject({ value: "3000", source: ConfigSource.DynamicBrokerConfig, readOnly: false });
  expect(entry!.synonyms.map((s) => [s.value, s.source])).toEqual([
    ["3000", ConfigSource.DynamicBrokerConfig],
    ["2000", ConfigSource.DynamicDefaultBrokerConfig],
    ["1000", ConfigSource.StaticBrokerConfig],
    ["604800000", ConfigSource.DefaultConfig],
  ]);
  const [topicEntry] = describeTopicConfigs(new Map(), configs, ["retention.ms"]);
  expect(topicEntry).toMatchObject({ value: "3000", source: ConfigSource.DynamicBrokerConfig });
  expect(topicEntry!.synonyms.map((s) => s.source)).toEqual([
    ConfigSource.DynamicBrokerConfig,
    ConfigSource.DynamicDefaultBrokerConfig,
    ConfigSource.StaticBrokerConfig,
    ConfigSource.DefaultConfig,
  ]);
  // The cluster default resource lists only what is set there, without any broker's own values.
  const defaults = describeClusterDefaultBrokerConfigs(configs, null);
  expect(defaults.map((e) => [e.name, e.value, e.source])).toEqual([
    ["log.retention.ms", "2000", ConfigSource.DynamicDefaultBrokerConfig],
  ]);
  expect(defaults[0]!.synonyms.map((s) => s.source)).toEqual([
    ConfigSource.DynamicDefaultBrokerConfig,
    ConfigSource.StaticBrokerConfig,
    ConfigSource.DefaultConfig,
  ]);
  // Deleting this broker's value falls back to the default's.
  alter(state, "1", [{ operation: "delete", name: "log.retention.ms" }]);
  expect(describeBrokerConfigs(configs, ["log.retention.ms"])[0]).toMatchObject({
    value: "2000",
    source: ConfigSource.DynamicDefaultBrokerConfig,
  });
});

test("static configs are refused together with Kafka's message; bad values and list operations too", () => {
  const state = new MetadataState();
  const refused = planAlterBrokerConfigs(state, "1", [
    set("num.partitions", "3"),
    set("log.retention.ms", "1"),
    set("node.id", "7"),
  ]);
  expect(refused).toEqual({
    ok: false,
    error: "INVALID_REQUEST",
    message:
      "Invalid config value for resource ConfigResource(type=BROKER, name='1'): Cannot update these configs dynamically: Set(num.partitions, node.id)",
  });
  const bad = planAlterBrokerConfigs(state, "", [set("log.segment.bytes", "ten")]);
  expect(bad.ok).toBe(false);
  expect(!bad.ok && bad.error).toBe("INVALID_REQUEST");
  const append = planAlterBrokerConfigs(state, "", [
    { operation: "append", name: "log.retention.ms", value: "1" },
  ]);
  expect(!append.ok && append.message).toBe(
    "Can't APPEND to key log.retention.ms because its type is not LIST.",
  );
  expect(state.brokerConfigs("")).toEqual(new Map());
});

test("the metadata snapshot keeps dynamic broker configs; the follower notices a change once", () => {
  const state = new MetadataState();
  alter(state, "", [set("message.max.bytes", "5000")]);
  alter(state, "1", [set("log.segment.bytes", "1048576")]);
  const copy = new MetadataState();
  for (const record of state.toRecords()) copy.apply(record);
  expect(copy.brokerConfigs("")).toEqual(new Map([["message.max.bytes", "5000"]]));
  expect(copy.brokerConfigs("1")).toEqual(new Map([["log.segment.bytes", "1048576"]]));

  let changes = 0;
  const follower = new BrokerConfigFollower(1, () => changes++);
  follower.follow(state);
  follower.follow(state);
  expect(changes).toBe(1);
  alter(state, "2", [set("message.max.bytes", "1")]);
  follower.follow(state);
  expect(changes).toBe(1);
  alter(state, "", [{ operation: "delete", name: "message.max.bytes" }]);
  follower.follow(state);
  expect(changes).toBe(2);
});
