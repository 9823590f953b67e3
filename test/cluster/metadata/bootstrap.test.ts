// Proves a node bootstraps incomplete metadata exactly once: cluster id, its registration and __consumer_offsets
// when missing, a re-registration when its address changes, and nothing when all is in place.

import { expect, test } from "bun:test";
import { bootstrapRecords } from "../../../src/cluster/metadata/bootstrap.ts";
import { MetadataState } from "../../../src/cluster/metadata/metadata-state.ts";

const input = {
  nodeId: 1,
  advertisedHost: "localhost",
  advertisedPort: 9092,
  offsetsTopicName: "__consumer_offsets",
  offsetsPartitions: 3,
  newClusterId: () => "cluster-a",
  newTopicId: () => "AAAAAAAAAAAAAAAAAAAAAg",
};

test("a fresh metadata gets the cluster id, the broker and the offsets topic; then nothing", () => {
  const state = new MetadataState();
  const records = bootstrapRecords(state, input);
  expect(records.map((record) => record.type)).toEqual(["cluster-id", "broker", "topic"]);
  for (const record of records) state.apply(record);
  expect(state.topicByName("__consumer_offsets")!.partitions.map((p) => p.replicas)).toEqual([[1], [1], [1]]);
  // Kafka's configs for it: compacted (by the group coordinators), 100 MiB segments.
  expect(Object.fromEntries(state.topicByName("__consumer_offsets")!.configs)).toEqual({
    "cleanup.policy": "compact",
    "segment.bytes": "104857600",
  });
  expect(bootstrapRecords(state, input)).toEqual([]);
});

test("a moved broker registers again; the cluster id never changes", () => {
  const state = new MetadataState();
  for (const record of bootstrapRecords(state, input)) state.apply(record);
  const moved = bootstrapRecords(state, { ...input, advertisedPort: 19092, newClusterId: () => "cluster-b" });
  expect(moved).toEqual([{ type: "broker", nodeId: 1, host: "localhost", port: 19092, rack: null }]);
});
