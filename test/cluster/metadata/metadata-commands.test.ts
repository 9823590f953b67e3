// Proves admin commands are validated against the metadata the way Kafka validates them, that they refuse to
// create, delete or grow the topics the broker keeps for itself, that group configs are held within the
// broker's bounds as Kafka's GroupConfig holds them, and that the records they produce, applied in order, give
// the expected state and survive a snapshot round trip.

import { describe, expect, test } from "bun:test";
import { bootstrapRecords } from "../../../src/cluster/metadata/bootstrap.ts";
import {
  type CreateTopicCommand,
  type PlanningContext,
  planAlterGroupConfigs,
  planAlterTopicConfigs,
  planCreatePartitions,
  planCreateTopic,
  planDeleteTopic,
} from "../../../src/cluster/metadata/metadata-commands.ts";
import { MetadataState } from "../../../src/cluster/metadata/metadata-state.ts";

function contextWithBrokers(brokerIds: number[]): PlanningContext {
  const state = new MetadataState();
  for (const nodeId of brokerIds)
    state.apply({ type: "broker", nodeId, host: "localhost", port: 9092, rack: null });
  let topicCount = 0;
  return {
    state,
    defaults: { numPartitions: 1, replicationFactor: 1 },
    newTopicId: () => `topic-id-${++topicCount}`,
    randomIndex: () => 0,
  };
}

function create(context: PlanningContext, overrides: Partial<CreateTopicCommand>) {
  const result = planCreateTopic(context, {
    name: "orders",
    numPartitions: 3,
    replicationFactor: 1,
    assignments: [],
    configs: new Map(),
    ...overrides,
  });
  if (result.ok) for (const record of result.records) context.state.apply(record);
  return result;
}

describe("CreateTopics", () => {
  test("creates a topic with generated assignments and config overrides", () => {
    const context = contextWithBrokers([1, 2, 3]);
    const result = create(context, { replicationFactor: 2, configs: new Map([["retention.ms", "1000"]]) });
    expect(result.ok).toBe(true);
    const topic = context.state.topicByName("orders")!;
    expect(topic.topicId).toBe("topic-id-1");
    expect(topic.partitions.map((partition) => partition.replicas)).toEqual([
      [1, 2],
      [2, 3],
      [3, 1],
    ]);
    expect(topic.configs.get("retention.ms")).toBe("1000");
  });

  test("refuses what Kafka refuses, naming the problem", () => {
    const context = contextWithBrokers([1]);
    create(context, {});
    const cases: Array<[Partial<CreateTopicCommand>, string, string]> = [
      [{}, "TOPIC_ALREADY_EXISTS", "already exists"],
      [{ name: "bad name" }, "INVALID_TOPIC_EXCEPTION", "characters other than"],
      [{ name: "x".repeat(250) }, "INVALID_TOPIC_EXCEPTION", "longer than 249"],
      [{ name: ".." }, "INVALID_TOPIC_EXCEPTION", "not allowed"],
      [{ name: "a.b" }, "INVALID_TOPIC_EXCEPTION", ""],
      [{ name: "t2", numPartitions: 0 }, "INVALID_PARTITIONS", "[1, 100000]"],
      [{ name: "t2", replicationFactor: 2 }, "INVALID_REPLICATION_FACTOR", "[1, 1]"],
      [{ name: "t2", configs: new Map([["retention.ms", "soon"]]) }, "INVALID_CONFIG", "retention.ms"],
      [{ name: "t2", configs: new Map([["cleanup.policy", "compact,shred"]]) }, "INVALID_CONFIG", "shred"],
      [{ name: "t2", configs: new Map([["no.such", "1"]]) }, "INVALID_CONFIG", "no.such"],
      [
        {
          name: "t2",
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [9] }],
        },
        "INVALID_REPLICA_ASSIGNMENT",
        "broker 9",
      ],
    ];
    create(context, { name: "a_b" });
    for (const [overrides, error, words] of cases) {
      const result = planCreateTopic(context, {
        name: "orders",
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: new Map(),
        ...overrides,
      });
      expect(result).toMatchObject({ ok: false, error });
      if (!result.ok) expect(result.message).toContain(words);
    }
  });

  test("defaults apply when -1 is asked", () => {
    const context = contextWithBrokers([1]);
    context.defaults.numPartitions = 4;
    create(context, { numPartitions: -1, replicationFactor: -1 });
    expect(context.state.topicByName("orders")!.partitions.length).toBe(4);
  });
});

describe("other commands", () => {
  test("CreatePartitions adds partitions continuing the assignment", () => {
    const context = contextWithBrokers([1, 2]);
    create(context, { numPartitions: 2 });
    const result = planCreatePartitions(context, { name: "orders", totalCount: 5, assignments: null });
    expect(result.ok).toBe(true);
    if (result.ok) context.state.apply(result.records[0]!);
    expect(context.state.topicByName("orders")!.partitions.map((partition) => partition.replicas)).toEqual([
      [1],
      [2],
      [1],
      [2],
      [1],
    ]);
    expect(planCreatePartitions(context, { name: "orders", totalCount: 5, assignments: null })).toMatchObject(
      {
        error: "INVALID_PARTITIONS",
      },
    );
  });

  test("incremental config changes set, delete, append and subtract", () => {
    const context = contextWithBrokers([1]);
    create(context, { configs: new Map([["retention.ms", "1000"]]) });
    const result = planAlterTopicConfigs(context.state, "orders", [
      { operation: "delete", name: "retention.ms" },
      { operation: "set", name: "segment.bytes", value: "2097152" },
      { operation: "append", name: "cleanup.policy", value: "delete" },
    ]);
    expect(result.ok).toBe(true);
    if (result.ok) context.state.apply(result.records[0]!);
    expect(Object.fromEntries(context.state.topicByName("orders")!.configs)).toEqual({
      "segment.bytes": "2097152",
      "cleanup.policy": "delete",
    });
    expect(
      planAlterTopicConfigs(context.state, "orders", [
        { operation: "set", name: "segment.bytes", value: "10" },
      ]),
    ).toMatchObject({ ok: false, error: "INVALID_CONFIG" });
  });

  test("delete removes the topic; the snapshot rebuilds the same state", () => {
    const context = contextWithBrokers([1]);
    create(context, { name: "keep" });
    create(context, { name: "drop" });
    context.state.apply({ type: "producer-ids", nextProducerId: 1000 });
    const result = planDeleteTopic(context.state, context.state.topicByName("drop"));
    if (result.ok) context.state.apply(result.records[0]!);
    expect(context.state.topicByName("drop")).toBeUndefined();
    expect(planDeleteTopic(context.state, undefined)).toMatchObject({ error: "UNKNOWN_TOPIC_OR_PARTITION" });

    const rebuilt = new MetadataState();
    for (const record of context.state.toRecords()) rebuilt.apply(record);
    expect(rebuilt.toRecords()).toEqual(context.state.toRecords());
    expect(rebuilt.nextProducerId).toBe(1000);
    expect([...rebuilt.topics()].map((topic) => topic.name)).toEqual(["keep"]);
  });

  test("applying a record that does not fit the state is a bug", () => {
    const state = new MetadataState();
    expect(() => state.apply({ type: "remove-topic", topicId: "nope" })).toThrow("no topic with id");
  });
});

describe("internal topics", () => {
  /** A node's metadata after its first start: bootstrap created __consumer_offsets, as broker-node does. */
  function bootstrapped(): PlanningContext {
    const context = contextWithBrokers([1]);
    const records = bootstrapRecords(context.state, {
      nodeId: 1,
      advertisedHost: "localhost",
      advertisedPort: 9092,
      rack: null,
      incarnationId: "a",
      offsetsTopicName: "__consumer_offsets",
      offsetsPartitions: 4,
      offsetsReplicationFactor: 1,
      randomIndex: () => 0,
      newClusterId: () => "cluster",
      newTopicId: () => "offsets-id",
    });
    for (const record of records) context.state.apply(record);
    return context;
  }

  test("__cluster_metadata is never created: the metadata log's Raft group already has its name", () => {
    const context = bootstrapped();
    const result = create(context, { name: "__cluster_metadata", numPartitions: 1 });
    expect(result).toMatchObject({ ok: false, error: "INVALID_REQUEST" });
    if (!result.ok) expect(result.message).toContain("__cluster_metadata");
    expect(context.state.topicByName("__cluster_metadata")).toBeUndefined();
  });

  test("coordinator topics are created by the broker only; a user's request is refused", () => {
    const context = bootstrapped();
    // The broker's own creation (bootstrap) still works, with its partition count.
    expect(context.state.topicByName("__consumer_offsets")!.partitions).toHaveLength(4);
    expect(create(context, { name: "__consumer_offsets", numPartitions: 1 })).toMatchObject({
      ok: false,
      error: "TOPIC_ALREADY_EXISTS",
    });
    expect(create(context, { name: "__transaction_state", numPartitions: 1 })).toMatchObject({
      ok: false,
      error: "INVALID_REQUEST",
    });
    expect(context.state.topicByName("__transaction_state")).toBeUndefined();
    // Absent (never bootstrapped here), __consumer_offsets is refused too, not created with a user's count.
    expect(create(contextWithBrokers([1]), { name: "__consumer_offsets" })).toMatchObject({
      ok: false,
      error: "INVALID_REQUEST",
    });
  });

  test("__consumer_offsets can be neither deleted nor grown", () => {
    const context = bootstrapped();
    const offsets = context.state.topicByName("__consumer_offsets");
    const deleted = planDeleteTopic(context.state, offsets);
    expect(deleted).toMatchObject({ ok: false, error: "INVALID_REQUEST" });
    if (!deleted.ok) expect(deleted.message).toContain("internal topic");
    expect(
      planCreatePartitions(context, { name: "__consumer_offsets", totalCount: 8, assignments: null }),
    ).toMatchObject({ ok: false, error: "INVALID_REQUEST" });
    expect(context.state.topicByName("__consumer_offsets")!.partitions).toHaveLength(4);
  });

  test("a __cluster_metadata topic an older version let in can still be deleted", () => {
    const context = bootstrapped();
    context.state.apply({
      type: "topic",
      name: "__cluster_metadata",
      topicId: "bad-id",
      partitions: [{ replicas: [1] }],
      configs: {},
    });
    const result = planDeleteTopic(context.state, context.state.topicByName("__cluster_metadata"));
    expect(result).toEqual({ ok: true, records: [{ type: "remove-topic", topicId: "bad-id" }] });
  });
});

describe("group configs (KIP-848's GROUP resource)", () => {
  /** Kafka's defaults: heartbeat 5 s in [5 s, 15 s], session 45 s in [45 s, 60 s]. */
  const kafkaDefaults = new Map<string, string>();
  const alter = (
    state: MetadataState,
    changes: Parameters<typeof planAlterGroupConfigs>[2],
    groupId = "g",
  ) => {
    const result = planAlterGroupConfigs(state, groupId, changes, kafkaDefaults);
    if (result.ok) for (const record of result.records) state.apply(record);
    return result;
  };

  test("set and delete a group's configs, for a group that need not exist; a snapshot keeps them", () => {
    const state = new MetadataState();
    expect(
      alter(state, [
        { operation: "set", name: "consumer.session.timeout.ms", value: "50000" },
        { operation: "set", name: "consumer.heartbeat.interval.ms", value: "6000" },
      ]),
    ).toMatchObject({ ok: true });
    expect(Object.fromEntries(state.groupConfigs("g"))).toEqual({
      "consumer.session.timeout.ms": "50000",
      "consumer.heartbeat.interval.ms": "6000",
    });
    const rebuilt = new MetadataState();
    for (const record of state.toRecords()) rebuilt.apply(record);
    expect(Object.fromEntries(rebuilt.groupConfigs("g"))).toEqual(
      Object.fromEntries(state.groupConfigs("g")),
    );

    alter(state, [
      { operation: "delete", name: "consumer.session.timeout.ms" },
      { operation: "delete", name: "consumer.heartbeat.interval.ms" },
    ]);
    expect(state.groupConfigs("g").size).toBe(0);
    expect(state.toRecords().filter((record) => record.type === "group-configs")).toEqual([]);
  });

  test("refuses what Kafka's GroupConfig refuses, with its messages, and changes nothing", () => {
    const state = new MetadataState();
    const refusals: Array<[Parameters<typeof planAlterGroupConfigs>[2], string]> = [
      [
        [{ operation: "set", name: "share.session.timeout.ms", value: "50000" }],
        "Unknown group config name: share.session.timeout.ms",
      ],
      [
        [{ operation: "set", name: "consumer.session.timeout.ms", value: "soon" }],
        "Invalid value soon for configuration consumer.session.timeout.ms: Not a number of type INT",
      ],
      [
        [{ operation: "set", name: "consumer.session.timeout.ms", value: "44999" }],
        "consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms",
      ],
      [
        [{ operation: "set", name: "consumer.heartbeat.interval.ms", value: "15001" }],
        "consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms",
      ],
      [
        [{ operation: "append", name: "consumer.session.timeout.ms", value: "50000" }],
        "Can't APPEND to key consumer.session.timeout.ms because its type is not LIST.",
      ],
    ];
    for (const [changes, message] of refusals)
      expect(alter(state, changes)).toEqual({ ok: false, error: "INVALID_CONFIG", message });
    expect(alter(state, [], "")).toMatchObject({ ok: false, error: "INVALID_REQUEST" });
    expect(state.toRecords()).toEqual([]);
  });

  test("the bounds are the broker's: a broker started with others allows what they allow", () => {
    const state = new MetadataState();
    const wide = new Map([
      ["group.consumer.min.session.timeout.ms", "2000"],
      ["group.consumer.min.heartbeat.interval.ms", "500"],
    ]);
    const tight = [
      { operation: "set" as const, name: "consumer.session.timeout.ms", value: "2000" },
      { operation: "set" as const, name: "consumer.heartbeat.interval.ms", value: "2000" },
    ];
    // Within the widened bounds, but not above the heartbeat interval.
    expect(planAlterGroupConfigs(state, "g", tight, wide)).toEqual({
      ok: false,
      error: "INVALID_CONFIG",
      message: "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms",
    });
    tight[1]!.value = "500";
    expect(planAlterGroupConfigs(state, "g", tight, wide)).toMatchObject({ ok: true });
    expect(planAlterGroupConfigs(state, "g", tight, kafkaDefaults)).toMatchObject({ ok: false });
  });
});
