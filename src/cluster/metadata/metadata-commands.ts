// Admin commands checked against the current metadata and turned into the records that carry them out.
// Pure: the state, the request, and the sources of ids and randomness come in; records or a Kafka error go
// out. Only the metadata leader plans, and it proposes the records; every node then applies them.

import { assignReplicas } from "../assignment-policy.ts";
import type { BrokerStaticConfigs } from "../broker-config-definitions.ts";
import { checkGroupConfigs, groupConfigDefinition } from "../group-config-definitions.ts";
import { internalTopicNames, metadataTopicName } from "../internal-topics.ts";
import { checkTopicConfigs, topicConfigDefinition } from "../topic-config-definitions.ts";
import type { MetadataRecord, PartitionAssignment } from "./metadata-records.ts";
import type { MetadataState, TopicMetadata } from "./metadata-state.ts";

/** Kafka error names (Errors.java) the handlers turn into codes. */
export type CommandErrorName =
  | "TOPIC_ALREADY_EXISTS"
  | "INVALID_TOPIC_EXCEPTION"
  | "INVALID_PARTITIONS"
  | "INVALID_REPLICATION_FACTOR"
  | "INVALID_REPLICA_ASSIGNMENT"
  | "INVALID_CONFIG"
  | "INVALID_REQUEST"
  | "UNKNOWN_TOPIC_OR_PARTITION"
  | "UNKNOWN_TOPIC_ID";

export type CommandResult =
  | { ok: true; records: MetadataRecord[] }
  | { ok: false; error: CommandErrorName; message: string };

export interface PlanningContext {
  state: MetadataState;
  /** replicationFactor 0: min(3, live brokers) (defaultReplicationFactor). */
  defaults: { numPartitions: number; replicationFactor: number };
  /** A fresh topic id in Kafka's base64url form (random in production, scripted in tests). */
  newTopicId(): string;
  /** A uniform random integer in [0, bound). */
  randomIndex(bound: number): number;
}

/** Kafka's limits on topic names (org.apache.kafka.common.internals.Topic). */
const topicNameLengthMax = 249;
const topicNamePattern = /^[a-zA-Z0-9._-]+$/;
/** A partition count no single request may exceed: each partition is a Raft group and a log directory. */
export const partitionsPerTopicMax = 100_000;

function fail(error: CommandErrorName, message: string): CommandResult {
  return { ok: false, error, message };
}

export function checkTopicName(name: string): string | null {
  if (name.length === 0) return "topic name is empty";
  if (name === "." || name === "..") return `topic name "${name}" is not allowed`;
  if (name.length > topicNameLengthMax) return `topic name is longer than ${topicNameLengthMax} characters`;
  if (!topicNamePattern.test(name)) return `topic name "${name}" has characters other than [a-zA-Z0-9._-]`;
  return null;
}

/** Kafka refuses names that differ only in '.' versus '_': their metric names would collide. */
function collidingTopic(state: MetadataState, name: string): TopicMetadata | undefined {
  const normalized = name.replace(/\./g, "_");
  for (const topic of state.topics()) {
    if (topic.name !== name && topic.name.replace(/\./g, "_") === normalized) return topic;
  }
  return undefined;
}

export interface CreateTopicCommand {
  name: string;
  /** -1 for the broker default. */
  numPartitions: number;
  /** -1 for the broker default. */
  replicationFactor: number;
  /** Explicit replica lists per partition index; when given, numPartitions and replicationFactor are -1. */
  assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: readonly number[] }>;
  configs: ReadonlyMap<string, string>;
}

export function planCreateTopic(context: PlanningContext, command: CreateTopicCommand): CommandResult {
  const nameProblem = checkTopicName(command.name);
  if (nameProblem) return fail("INVALID_TOPIC_EXCEPTION", nameProblem);
  // Kafka's ControllerApis.createTopics refuses this one name before anything else (KAFKA-14358; INVALID_REQUEST
  // since KAFKA-16975). Here a topic of that name would also share the metadata log's Raft group and directory.
  if (command.name === metadataTopicName) {
    return fail("INVALID_REQUEST", `creation of internal topic ${metadataTopicName} is prohibited`);
  }
  if (context.state.topicByName(command.name)) {
    return fail("TOPIC_ALREADY_EXISTS", `topic '${command.name}' already exists`);
  }
  // Kafka (ReplicationControlManager.createTopics) lets a user create these before its coordinators do; groups
  // (or transactions) whose partition the user's copy lacks then wait forever. The broker creates them itself
  // (bootstrap.ts), so no request needs to.
  if (internalTopicNames.has(command.name)) {
    return fail("INVALID_REQUEST", `topic '${command.name}' is internal: only the broker creates it`);
  }
  const collision = collidingTopic(context.state, command.name);
  if (collision) {
    return fail(
      "INVALID_TOPIC_EXCEPTION",
      `topic '${command.name}' collides with existing '${collision.name}'`,
    );
  }
  const configProblem = checkTopicConfigs(command.configs);
  if (configProblem) return fail("INVALID_CONFIG", configProblem);
  const partitions =
    command.assignments.length > 0
      ? explicitAssignments(context, command)
      : generatedAssignments(context, command.numPartitions, command.replicationFactor, 0);
  if (!Array.isArray(partitions)) return partitions;
  return {
    ok: true,
    records: [
      {
        type: "topic",
        name: command.name,
        topicId: context.newTopicId(),
        partitions,
        configs: Object.fromEntries(command.configs),
      },
    ],
  };
}

/** Replicas of a topic created with the default: 3, or every live broker when there are fewer. */
const automaticReplicationFactorMax = 3;

/** default.replication.factor as configured; 0 (automatic) means min(3, live brokers), at least 1. */
export function defaultReplicationFactor(configured: number, liveBrokerCount: number): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.min(automaticReplicationFactorMax, liveBrokerCount));
}

function generatedAssignments(
  context: PlanningContext,
  requestedPartitions: number,
  requestedReplicationFactor: number,
  firstPartitionIndex: number,
): PartitionAssignment[] | CommandResult {
  const partitionCount = requestedPartitions === -1 ? context.defaults.numPartitions : requestedPartitions;
  // Replicas go to live brokers only: a fenced one would hold a replica that cannot catch up.
  const brokerIds = context.state.liveBrokers().map((broker) => broker.nodeId);
  const replicationFactor =
    requestedReplicationFactor === -1
      ? defaultReplicationFactor(context.defaults.replicationFactor, brokerIds.length)
      : requestedReplicationFactor;
  if (partitionCount < 1 || partitionCount > partitionsPerTopicMax) {
    return fail("INVALID_PARTITIONS", `number of partitions must be in [1, ${partitionsPerTopicMax}]`);
  }
  if (replicationFactor < 1 || replicationFactor > brokerIds.length) {
    return fail(
      "INVALID_REPLICATION_FACTOR",
      `replication factor ${replicationFactor} must be in [1, ${brokerIds.length}] (brokers available)`,
    );
  }
  return assignReplicas({
    brokerIds,
    partitionCount,
    replicationFactor,
    firstPartitionIndex,
    startIndex: context.randomIndex(brokerIds.length),
    replicaShift: context.randomIndex(brokerIds.length),
  }).map((replicas) => ({ replicas }));
}

function explicitAssignments(
  context: PlanningContext,
  command: CreateTopicCommand,
): PartitionAssignment[] | CommandResult {
  if (command.numPartitions !== -1 || command.replicationFactor !== -1) {
    return fail("INVALID_REQUEST", "give either assignments or numPartitions/replicationFactor, not both");
  }
  const sorted = [...command.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
  const checked = checkReplicaLists(
    context,
    sorted.map((entry) => entry.brokerIds),
    0,
  );
  if (typeof checked === "string") return fail("INVALID_REPLICA_ASSIGNMENT", checked);
  if (sorted.some((entry, index) => entry.partitionIndex !== index)) {
    return fail("INVALID_REPLICA_ASSIGNMENT", "partition indexes must be 0, 1, 2, … without gaps");
  }
  return checked;
}

/** Replica lists must name known brokers, once each, all of the same length. */
function checkReplicaLists(
  context: PlanningContext,
  lists: ReadonlyArray<readonly number[]>,
  expectedLength: number,
): PartitionAssignment[] | string {
  const length = expectedLength > 0 ? expectedLength : (lists[0]?.length ?? 0);
  if (lists.length > partitionsPerTopicMax) return `more than ${partitionsPerTopicMax} partitions`;
  for (const replicas of lists) {
    if (replicas.length === 0) return "a partition has no replicas";
    if (replicas.length !== length) return "all partitions must have the same number of replicas";
    if (new Set(replicas).size !== replicas.length) return `replica list [${replicas}] repeats a broker`;
    const unknown = replicas.find((id) => context.state.broker(id) === undefined);
    if (unknown !== undefined) return `broker ${unknown} is not registered`;
  }
  return lists.map((replicas) => ({ replicas: [...replicas] }));
}

export function planDeleteTopic(state: MetadataState, topic: TopicMetadata | undefined): CommandResult {
  if (!topic) return fail("UNKNOWN_TOPIC_OR_PARTITION", "this server does not host this topic");
  if (!state.topicById(topic.topicId)) return fail("UNKNOWN_TOPIC_ID", "no topic with this id");
  // Kafka's broker does not check (ControllerApis.deleteTopics, ReplicationControlManager.deleteTopic: the id
  // must exist, nothing more); its kafka-topics tool refuses client-side with this message. One DeleteTopics
  // would wipe every group's state and committed offsets, which no user wants: the broker refuses too.
  if (internalTopicNames.has(topic.name)) {
    return fail(
      "INVALID_REQUEST",
      `topic ${topic.name} is a kafka internal topic and is not allowed to be marked for deletion`,
    );
  }
  return { ok: true, records: [{ type: "remove-topic", topicId: topic.topicId }] };
}

export function planCreatePartitions(
  context: PlanningContext,
  command: { name: string; totalCount: number; assignments: ReadonlyArray<readonly number[]> | null },
): CommandResult {
  const topic = context.state.topicByName(command.name);
  if (!topic) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${command.name}' does not exist`);
  // Kafka's controller (ReplicationControlManager.createPartitions) does not check; its kafka-topics tool refuses
  // to change the offsets topic's partition count. A coordinator's partitions are its hash modulus: refuse here.
  if (internalTopicNames.has(topic.name)) {
    return fail(
      "INVALID_REQUEST",
      `the number of partitions of internal topic ${topic.name} cannot be changed`,
    );
  }
  const current = topic.partitions.length;
  if (command.totalCount <= current) {
    return fail("INVALID_PARTITIONS", `topic has ${current} partitions; the new count must be larger`);
  }
  if (command.totalCount > partitionsPerTopicMax) {
    return fail("INVALID_PARTITIONS", `number of partitions must be at most ${partitionsPerTopicMax}`);
  }
  const replicationFactor = topic.partitions[0]!.replicas.length;
  let added: PartitionAssignment[] | CommandResult;
  if (command.assignments) {
    if (command.assignments.length !== command.totalCount - current) {
      return fail("INVALID_REPLICA_ASSIGNMENT", `expected ${command.totalCount - current} replica lists`);
    }
    const checked = checkReplicaLists(context, command.assignments, replicationFactor);
    added = typeof checked === "string" ? fail("INVALID_REPLICA_ASSIGNMENT", checked) : checked;
  } else {
    added = generatedAssignments(context, command.totalCount - current, replicationFactor, current);
  }
  if (!Array.isArray(added)) return added;
  return { ok: true, records: [{ type: "add-partitions", topicId: topic.topicId, partitions: added }] };
}

export type ConfigChange =
  | { operation: "set"; name: string; value: string }
  | { operation: "delete"; name: string }
  | { operation: "append" | "subtract"; name: string; value: string };

/**
 * IncrementalAlterConfigs (and the legacy AlterConfigs, which the caller expresses as: delete every current
 * override, then set the given ones) for one topic.
 */
export function planAlterTopicConfigs(
  state: MetadataState,
  topicName: string,
  changes: readonly ConfigChange[],
): CommandResult {
  const topic = state.topicByName(topicName);
  if (!topic) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topicName}' does not exist`);
  const result = new Map<string, string | null>();
  const effective = new Map(topic.configs);
  for (const change of changes) {
    const definition = topicConfigDefinition(change.name);
    if (!definition) return fail("INVALID_CONFIG", `unknown or unsupported topic config ${change.name}`);
    const value = applyChange(change, effective.get(change.name) ?? definition.defaultValue);
    if (value !== null) {
      const problem = definition.check(value);
      if (problem) return fail("INVALID_CONFIG", `invalid value for ${change.name}: ${problem}`);
      effective.set(change.name, value);
    } else effective.delete(change.name);
    result.set(change.name, value);
  }
  return {
    ok: true,
    records: [{ type: "topic-configs", topicId: topic.topicId, changes: Object.fromEntries(result) }],
  };
}

/**
 * IncrementalAlterConfigs (or the legacy AlterConfigs, expressed as for topics) for one group's configs. The
 * group need not exist: its configs are a resource of their own, as in Kafka. The configs as they would stand
 * afterwards are checked against the broker's bounds (`brokerStatic`), as Kafka's GroupConfig.validate does.
 */
export function planAlterGroupConfigs(
  state: MetadataState,
  groupId: string,
  changes: readonly ConfigChange[],
  brokerStatic: BrokerStaticConfigs,
): CommandResult {
  if (groupId === "") return fail("INVALID_REQUEST", "Group name must not be empty");
  const result = new Map<string, string | null>();
  const effective = new Map(state.groupConfigs(groupId));
  for (const change of changes) {
    if (!groupConfigDefinition(change.name))
      return fail("INVALID_CONFIG", `Unknown group config name: ${change.name}`);
    // Every group config is an INT: only LIST configs take APPEND and SUBTRACT (ConfigurationControlManager).
    if (change.operation === "append" || change.operation === "subtract") {
      const operation = change.operation.toUpperCase();
      return fail("INVALID_CONFIG", `Can't ${operation} to key ${change.name} because its type is not LIST.`);
    }
    const value = change.operation === "set" ? change.value : null;
    if (value === null) effective.delete(change.name);
    else effective.set(change.name, value);
    result.set(change.name, value);
  }
  const problem = checkGroupConfigs(effective, brokerStatic);
  if (problem) return fail("INVALID_CONFIG", problem);
  return { ok: true, records: [{ type: "group-configs", groupId, changes: Object.fromEntries(result) }] };
}

/** The override after one change; null removes the override. List operations work on comma lists. */
export function applyChange(change: ConfigChange, current: string): string | null {
  switch (change.operation) {
    case "set":
      return change.value;
    case "delete":
      return null;
    case "append": {
      const items = current === "" ? [] : current.split(",");
      return [...items, ...change.value.split(",").filter((item) => !items.includes(item))].join(",");
    }
    case "subtract": {
      const removed = new Set(change.value.split(","));
      return current
        .split(",")
        .filter((item) => item !== "" && !removed.has(item))
        .join(",");
    }
  }
}
