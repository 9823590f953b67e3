// The topic calls: list, describe (partitions with leader, replicas, in-sync replicas, offsets and size), create,
// delete, add partitions, and configs with their sources. Changes are planned by the same metadata commands the
// Kafka handlers use (cluster/metadata/metadata-commands.ts) and committed through the metadata log.

import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import { planningContext } from "../broker/broker-context.ts";
import { type ConfigEntry, describeTopicConfigs } from "../cluster/config-view.ts";
import { internalTopicNames } from "../cluster/internal-topics.ts";
import {
  type ConfigChange,
  partitionsPerTopicMax,
  planAlterTopicConfigs,
  planCreatePartitions,
  planCreateTopic,
  planDeleteTopic,
} from "../cluster/metadata/metadata-commands.ts";
import type { MetadataRecord } from "../cluster/metadata/metadata-records.ts";
import type { MetadataState, TopicMetadata } from "../cluster/metadata/metadata-state.ts";
import { ConfigSource } from "../cluster/topic-config-definitions.ts";
import {
  type AddPartitionsRequest,
  type AddPartitionsResponse,
  AddPartitionsResponseSchema,
  type AlterTopicConfigsRequest,
  type AlterTopicConfigsResponse,
  AlterTopicConfigsResponseSchema,
  ConfigEntrySchema,
  type CreateTopicRequest,
  type CreateTopicResponse,
  CreateTopicResponseSchema,
  type DeleteTopicRequest,
  type DeleteTopicResponse,
  DeleteTopicResponseSchema,
  type DescribeTopicConfigsRequest,
  type DescribeTopicConfigsResponse,
  DescribeTopicConfigsResponseSchema,
  type DescribeTopicRequest,
  type DescribeTopicResponse,
  DescribeTopicResponseSchema,
  type ListTopicsRequest,
  type ListTopicsResponse,
  ListTopicsResponseSchema,
  type PartitionDescription,
  PartitionDescriptionSchema,
  TopicSummarySchema,
} from "../gen/chronik/admin/v1/admin_pb.ts";
import { commandError, executed, requireTopic, topicNotFound } from "./admin-errors.ts";
import type { AdminNode } from "./admin-node.ts";
import { bounded, listOf, parseRequest, topicName } from "./admin-validation.ts";

/** Config names and values are short; a request with more of them than Kafka has configs is a mistake. */
const configChangesMax = 1_000;
const configTextMax = 64 * 1024;
const configName = v.pipe(v.string(), v.minLength(1, "a config name is empty"), v.maxLength(256));
const configValue = v.pipe(v.string(), v.maxLength(configTextMax));
const configMap = v.pipe(
  v.record(configName, configValue),
  v.check((map) => Object.keys(map).length <= configChangesMax, `at most ${configChangesMax} configs`),
);
/** Replicas per partition: each is a node, and Kafka's replication factor is an int16. */
const replicationFactorMax = 32_767;

/** Kafka's names for where a config's value comes from (DescribeConfigsResponse.ConfigSource). */
const sourceNames: Record<ConfigSource, string> = {
  [ConfigSource.Unknown]: "UNKNOWN",
  [ConfigSource.DynamicTopicConfig]: "DYNAMIC_TOPIC_CONFIG",
  [ConfigSource.DynamicBrokerConfig]: "DYNAMIC_BROKER_CONFIG",
  [ConfigSource.DynamicDefaultBrokerConfig]: "DYNAMIC_DEFAULT_BROKER_CONFIG",
  [ConfigSource.StaticBrokerConfig]: "STATIC_BROKER_CONFIG",
  [ConfigSource.DefaultConfig]: "DEFAULT_CONFIG",
  [ConfigSource.DynamicBrokerLoggerConfig]: "DYNAMIC_BROKER_LOGGER_CONFIG",
  [ConfigSource.ClientMetricsConfig]: "CLIENT_METRICS_CONFIG",
  [ConfigSource.GroupConfig]: "GROUP_CONFIG",
};

function toConfigEntry(entry: ConfigEntry) {
  return create(ConfigEntrySchema, {
    name: entry.name,
    value: entry.value ?? "",
    source: sourceNames[entry.source],
    readOnly: entry.readOnly,
  });
}

export function listTopics(node: AdminNode, request: ListTopicsRequest): ListTopicsResponse {
  const topics = [...node.context.metadata.state.topics()]
    .filter((topic) => request.includeInternal || !internalTopicNames.has(topic.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((topic) =>
      create(TopicSummarySchema, {
        name: topic.name,
        topicId: topic.topicId,
        partitionCount: topic.partitions.length,
        replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
        internal: internalTopicNames.has(topic.name),
      }),
    );
  return create(ListTopicsResponseSchema, { topics });
}

const describeTopicSchema = v.object({ topic: topicName });

export function describeTopic(node: AdminNode, request: DescribeTopicRequest): DescribeTopicResponse {
  const { topic: name } = parseRequest(describeTopicSchema, request);
  const topic = requireTopic(node.context, name);
  return create(DescribeTopicResponseSchema, {
    name: topic.name,
    topicId: topic.topicId,
    internal: internalTopicNames.has(topic.name),
    answeredBy: node.context.nodeId,
    partitions: topic.partitions.map((_, partition) => describePartition(node, topic, partition)),
  });
}

/** Leadership as this node knows it; offsets and size from its own replica, when it hosts one. */
function describePartition(node: AdminNode, topic: TopicMetadata, partition: number): PartitionDescription {
  const { context } = node;
  const leadership = context.partitions.leadership(topic.topicId, partition);
  const replica = context.replicas.byName(topic.name, partition);
  const figures = replica
    ? {
        logStartOffset: BigInt(replica.logStartOffset()),
        logEndOffset: BigInt(replica.logEndOffset()),
        highWatermark: BigInt(replica.consumerHighWatermark()),
        sizeBytes: BigInt(replica.sizeBytes()),
        figuresFrom: replica.isLeader() ? "leader" : "follower",
      }
    : { logStartOffset: -1n, logEndOffset: -1n, highWatermark: -1n, sizeBytes: -1n, figuresFrom: "" };
  return create(PartitionDescriptionSchema, {
    partition,
    leaderId: leadership?.leaderId ?? -1,
    leaderEpoch: leadership?.leaderEpoch ?? -1,
    replicas: [...topic.partitions[partition]!.replicas],
    isr: [...(leadership?.isr ?? [])],
    ...figures,
  });
}

const createTopicSchema = v.object({
  topic: topicName,
  partitions: bounded(0, partitionsPerTopicMax),
  replicationFactor: bounded(0, replicationFactorMax),
  configs: configMap,
  validateOnly: v.boolean(),
});

export async function createTopic(
  node: AdminNode,
  request: CreateTopicRequest,
): Promise<CreateTopicResponse> {
  const checked = parseRequest(createTopicSchema, request);
  const { context } = node;
  const command = {
    name: checked.topic,
    numPartitions: checked.partitions === 0 ? -1 : checked.partitions,
    replicationFactor: checked.replicationFactor === 0 ? -1 : checked.replicationFactor,
    assignments: [],
    configs: new Map(Object.entries(checked.configs)),
  };
  const plan = (state: MetadataState) => planCreateTopic(planningContext(context, state), command);
  let records: MetadataRecord[];
  if (checked.validateOnly) {
    const result = plan(context.metadata.state);
    if (!result.ok) throw commandError(result);
    records = result.records;
  } else {
    records = (await executed(context, plan)).records;
    context.logger.info("created topic", { topic: checked.topic, via: "admin api" });
  }
  const created = records[0];
  if (created?.type !== "topic") throw new Error("CreateTopic planned something other than a topic");
  return create(CreateTopicResponseSchema, {
    topic: created.name,
    topicId: checked.validateOnly ? "" : created.topicId,
    partitions: created.partitions.length,
    replicationFactor: created.partitions[0]!.replicas.length,
  });
}

const deleteTopicSchema = v.object({ topic: topicName });

export async function deleteTopic(
  node: AdminNode,
  request: DeleteTopicRequest,
): Promise<DeleteTopicResponse> {
  const { topic: name } = parseRequest(deleteTopicSchema, request);
  const { context } = node;
  const topicId = requireTopic(context, name).topicId;
  // Planned by id against the state when its turn comes: a concurrent delete finds it gone.
  await executed(context, (state) => {
    const topic = state.topicById(topicId);
    if (topic === undefined)
      return { ok: false, error: "UNKNOWN_TOPIC_OR_PARTITION", message: `topic "${name}" does not exist` };
    return planDeleteTopic(state, topic);
  });
  context.logger.info("deleted topic", { topic: name, via: "admin api" });
  return create(DeleteTopicResponseSchema, { topicId });
}

const addPartitionsSchema = v.object({
  topic: topicName,
  count: bounded(1, partitionsPerTopicMax),
  validateOnly: v.boolean(),
});

export async function addPartitions(
  node: AdminNode,
  request: AddPartitionsRequest,
): Promise<AddPartitionsResponse> {
  const checked = parseRequest(addPartitionsSchema, request);
  const { context } = node;
  requireTopic(context, checked.topic);
  let total = 0;
  // The count to add is turned into a total against the state the change is planned on, so two concurrent
  // calls add twice rather than both growing the topic to the same count.
  const plan = (state: MetadataState) => {
    const topic = state.topicByName(checked.topic);
    if (topic === undefined) {
      return {
        ok: false as const,
        error: "UNKNOWN_TOPIC_OR_PARTITION" as const,
        message: `topic "${checked.topic}" does not exist`,
      };
    }
    total = topic.partitions.length + checked.count;
    return planCreatePartitions(planningContext(context, state), {
      name: checked.topic,
      totalCount: total,
      assignments: null,
    });
  };
  if (checked.validateOnly) {
    const result = plan(context.metadata.state);
    if (!result.ok) throw commandError(result);
  } else {
    await executed(context, plan);
    context.logger.info("added partitions", { topic: checked.topic, partitions: total, via: "admin api" });
  }
  return create(AddPartitionsResponseSchema, { partitions: total });
}

const describeConfigsSchema = v.object({ topic: topicName, names: listOf(configName, configChangesMax) });

export function describeConfigs(
  node: AdminNode,
  request: DescribeTopicConfigsRequest,
): DescribeTopicConfigsResponse {
  const checked = parseRequest(describeConfigsSchema, request);
  const topic = requireTopic(node.context, checked.topic);
  const entries = describeTopicConfigs(topic.configs, node.context.brokerStatic, checked.names);
  return create(DescribeTopicConfigsResponseSchema, { configs: entries.map(toConfigEntry) });
}

const alterConfigsSchema = v.pipe(
  v.object({
    topic: topicName,
    set: configMap,
    delete: listOf(configName, configChangesMax),
    append: configMap,
    subtract: configMap,
    validateOnly: v.boolean(),
  }),
  v.check(
    (request) =>
      Object.keys(request.set).length +
        request.delete.length +
        Object.keys(request.append).length +
        Object.keys(request.subtract).length >
      0,
    "give at least one config to set, delete, append or subtract",
  ),
);

export async function alterConfigs(
  node: AdminNode,
  request: AlterTopicConfigsRequest,
): Promise<AlterTopicConfigsResponse> {
  const checked = parseRequest(alterConfigsSchema, request);
  const { context } = node;
  const topic = requireTopic(context, checked.topic);
  const changes: ConfigChange[] = [
    ...Object.entries(checked.set).map(([name, value]) => ({ operation: "set" as const, name, value })),
    ...checked.delete.map((name) => ({ operation: "delete" as const, name })),
    ...Object.entries(checked.append).map(([name, value]) => ({ operation: "append" as const, name, value })),
    ...Object.entries(checked.subtract).map(([name, value]) => ({
      operation: "subtract" as const,
      name,
      value,
    })),
  ];
  const plan = (state: MetadataState) => planAlterTopicConfigs(state, checked.topic, changes);
  let overrides: ReadonlyMap<string, string>;
  if (checked.validateOnly) {
    const result = plan(context.metadata.state);
    if (!result.ok) throw commandError(result);
    overrides = withChanges(topic.configs, result.records);
  } else {
    await executed(context, plan);
    context.logger.info("altered topic configs", { topic: checked.topic, via: "admin api" });
    const after = context.metadata.state.topicByName(checked.topic);
    if (after === undefined) throw topicNotFound(checked.topic);
    overrides = after.configs;
  }
  const entries = describeTopicConfigs(overrides, context.brokerStatic, [...overrides.keys()]).filter(
    (entry) => overrides.has(entry.name),
  );
  return create(AlterTopicConfigsResponseSchema, { configs: entries.map(toConfigEntry) });
}

/** The overrides as the planned records would leave them (for a dry run). */
function withChanges(
  current: ReadonlyMap<string, string>,
  records: readonly MetadataRecord[],
): ReadonlyMap<string, string> {
  const overrides = new Map(current);
  for (const record of records) {
    if (record.type !== "topic-configs") continue;
    for (const [name, value] of Object.entries(record.changes)) {
      if (value === null) overrides.delete(name);
      else overrides.set(name, value);
    }
  }
  return overrides;
}
