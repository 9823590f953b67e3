// Proves a node bootstraps incomplete metadata exactly once: cluster id, its registration and __consumer_offsets
// when missing, a re-registration when its address or its incarnation (a new data directory) changes, and
// nothing when all is in place.

import { expect, test } from "bun:test";
import { bootstrapRecords } from "../../../src/cluster/metadata/bootstrap.ts";
import { MetadataState } from "../../../src/cluster/metadata/metadata-state.ts";

const input = {
  nodeId: 1,
  advertisedHost: "localhost",
  advertisedPort: 9092,
  rack: null,
  incarnationId: "first",
  offsetsTopicName: "__consumer_offsets",
  offsetsPartitions: 3,
  offsetsReplicationFactor: 1,
  randomIndex: () => 0,
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
  expect(moved).toEqual([
    { type: "broker", nodeId: 1, host: "localhost", port: 19092, rack: null, incarnationId: "first" },
  ]);
});

test("a node over a new data directory registers again under its new incarnation", () => {
  const state = new MetadataState();
  for (const record of bootstrapRecords(state, input)) state.apply(record);
  expect(state.broker(1)!.incarnationId).toBe("first");
  const again = bootstrapRecords(state, { ...input, incarnationId: "second" });
  expect(again).toEqual([
    { type: "broker", nodeId: 1, host: "localhost", port: 9092, rack: null, incarnationId: "second" },
  ]);
  for (const record of again) state.apply(record);
  expect(state.broker(1)!.incarnationId).toBe("second");
  // The state's own records (a snapshot) keep it.
  const copy = new MetadataState();
  for (const record of state.toRecords()) copy.apply(record);
  expect(copy.broker(1)!.incarnationId).toBe("second");
});

test("a cluster's __consumer_offsets waits for enough live brokers, then spreads over them", () => {
  const state = new MetadataState();
  const cluster = { ...input, offsetsReplicationFactor: 3 };
  const apply = (records: ReturnType<typeof bootstrapRecords>) => {
    for (const record of records) state.apply(record);
  };
  apply(bootstrapRecords(state, { ...cluster, nodeId: 1 }));
  apply(bootstrapRecords(state, { ...cluster, nodeId: 2, advertisedPort: 9093 }));
  expect(state.topicByName("__consumer_offsets")).toBeUndefined();
  const third = bootstrapRecords(state, { ...cluster, nodeId: 3, advertisedPort: 9094, rack: "r3" });
  expect(third.map((record) => record.type)).toEqual(["broker", "topic"]);
  apply(third);
  const replicas = state.topicByName("__consumer_offsets")!.partitions.map((p) => p.replicas);
  expect(replicas.every((list) => [...list].sort().join() === "1,2,3")).toBe(true);
  // Leadership spreads: each broker is the preferred leader of one of the three partitions.
  expect(replicas.map((list) => list[0]).sort()).toEqual([1, 2, 3]);
  expect(state.broker(3)!.rack).toBe("r3");
});

test("a fenced broker that comes back is unfenced; a fenced broker gets no offsets replicas", () => {
  const state = new MetadataState();
  const cluster = { ...input, offsetsReplicationFactor: 2 };
  for (const record of bootstrapRecords(state, { ...cluster, nodeId: 1 })) state.apply(record);
  state.apply({ type: "broker-fencing", nodeId: 1, fenced: true });
  for (const record of bootstrapRecords(state, { ...cluster, nodeId: 2, advertisedPort: 9093 }))
    state.apply(record);
  // Broker 1 is fenced: only one live broker, so no offsets topic yet.
  expect(state.topicByName("__consumer_offsets")).toBeUndefined();
  const back = bootstrapRecords(state, { ...cluster, nodeId: 1 });
  expect(back.map((record) => record.type)).toEqual(["broker-fencing", "topic"]);
});
