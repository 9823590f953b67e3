// The consumer-group calls, for groups of both protocols (classic and KIP-848 consumer): list, describe with
// members, assignments, committed offsets and lag, reset offsets (a dry run unless asked to execute, as Kafka's
// kafka-consumer-groups.sh), and delete. A group lives with the leader of its __consumer_offsets partition; on
// another node (raft-cluster) these calls answer FAILED_PRECONDITION naming that leader. Lag is computed from
// the answering node's replicas: -1 for a partition it hosts no replica of.

import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import type { BrokerContext } from "../broker/broker-context.ts";
import { offsetsTopicName } from "../cluster/internal-topics.ts";
import { partitionsPerTopicMax } from "../cluster/metadata/metadata-commands.ts";
import type { TopicMetadata } from "../cluster/metadata/metadata-state.ts";
import type { PartitionGroups } from "../cluster/partition-groups.ts";
import {
  type DeleteGroupRequest,
  type DeleteGroupResponse,
  DeleteGroupResponseSchema,
  type DescribeGroupRequest,
  type DescribeGroupResponse,
  DescribeGroupResponseSchema,
  GroupMemberSchema,
  type GroupPartitionOffset,
  GroupPartitionOffsetSchema,
  GroupSummarySchema,
  type ListGroupsRequest,
  type ListGroupsResponse,
  ListGroupsResponseSchema,
  OffsetResetSchema,
  type ResetGroupOffsetsRequest,
  type ResetGroupOffsetsResponse,
  ResetGroupOffsetsResponseSchema,
  TopicPartitionsSchema,
} from "../gen/chronik/admin/v1/admin_pb.ts";
import {
  describeNode,
  elsewhere,
  failedPrecondition,
  invalidArgument,
  notFound,
  topicNotFound,
  unavailable,
} from "./admin-errors.ts";
import type { AdminNode } from "./admin-node.ts";
import { groupId, int64From, listOf, parseRequest, partitionIndex, topicName } from "./admin-validation.ts";
import { assignedPartitionsOf } from "./classic-assignment.ts";

/** Filters are a handful of names; more is a mistake. */
const filterNamesMax = 100;
/** Topics one reset may name. */
const resetTopicsMax = 10_000;

/**
 * The coordinators of `groupId`'s __consumer_offsets partition, led here; FAILED_PRECONDITION naming the leader
 * when another node leads it, UNAVAILABLE while this node is still loading it.
 */
function coordinatorOf(node: AdminNode, group: string): PartitionGroups {
  const found = node.groups.lookup(group);
  if (found.ok) return found.coordinator;
  const { context } = node;
  const partition = node.groups.partitionOf(group);
  const offsets = context.metadata.state.topicByName(offsetsTopicName);
  const leaderId = offsets && context.partitions.leadership(offsets.topicId, partition)?.leaderId;
  if (leaderId === context.nodeId || found.error === "COORDINATOR_NOT_AVAILABLE") {
    throw unavailable(`the coordinator of group "${group}" is loading its groups; retry`);
  }
  throw failedPrecondition(
    `group "${group}" is coordinated by ${describeNode(context, leaderId)}, the leader of ` +
      `${offsetsTopicName} partition ${partition}: send this call to that node's admin API`,
  );
}

const listGroupsSchema = v.object({
  states: listOf(v.pipe(v.string(), v.maxLength(64)), filterNamesMax),
  types: listOf(v.picklist(["classic", "consumer", "Classic", "Consumer"], "must be classic or consumer"), 2),
});

export function listGroups(node: AdminNode, request: ListGroupsRequest): ListGroupsResponse {
  const filter = parseRequest(listGroupsSchema, request);
  const { context } = node;
  const groups = node.groups
    .coordinatorsLedHere()
    .flatMap((coordinator) => coordinator.listGroups(filter))
    .sort((a, b) => a.groupId.localeCompare(b.groupId))
    .map((group) =>
      create(GroupSummarySchema, {
        groupId: group.groupId,
        type: group.groupType,
        protocolType: group.protocolType,
        state: group.state,
        coordinatorId: context.nodeId,
      }),
    );
  return create(ListGroupsResponseSchema, { groups, otherCoordinators: otherCoordinators(context) });
}

/** Nodes leading a __consumer_offsets partition this node does not lead. */
function otherCoordinators(context: BrokerContext): number[] {
  const offsets = context.metadata.state.topicByName(offsetsTopicName);
  const others = new Set<number>();
  offsets?.partitions.forEach((_, partition) => {
    const leaderId = context.partitions.leadership(offsets.topicId, partition)?.leaderId;
    if (leaderId !== undefined && leaderId !== context.nodeId) others.add(leaderId);
  });
  return [...others].sort((a, b) => a - b);
}

interface GroupView {
  type: "classic" | "consumer";
  state: string;
  protocolType: string;
  assignor: string;
  epoch: number;
  members: Array<{
    memberId: string;
    instanceId: string;
    clientId: string;
    clientHost: string;
    assignment: Array<{ topic: string; partitions: number[] }>;
  }>;
}

/** The group as its coordinator holds it, whichever protocol it speaks; null when there is none. */
function viewGroup(coordinator: PartitionGroups, group: string): GroupView | null {
  if (coordinator.consumer.hasGroup(group)) {
    const described = coordinator.consumer.describe([group])[0]!;
    return {
      type: "consumer",
      state: described.state,
      protocolType: "consumer",
      assignor: described.assignorName,
      epoch: described.groupEpoch,
      members: described.members.map((member) => ({
        memberId: member.memberId,
        instanceId: member.instanceId ?? "",
        clientId: member.clientId,
        clientHost: member.clientHost,
        assignment: member.assignment.map((entry) => ({
          topic: entry.topicName,
          partitions: entry.partitions,
        })),
      })),
    };
  }
  const snapshot = coordinator.classic.inspectGroup(group);
  if (snapshot === null) return null;
  return {
    type: "classic",
    state: snapshot.state,
    protocolType: snapshot.protocolType ?? "",
    assignor: snapshot.protocolName ?? "",
    epoch: snapshot.generationId,
    members: snapshot.members.map((member) => ({
      memberId: member.memberId,
      instanceId: member.groupInstanceId ?? "",
      clientId: member.clientId,
      clientHost: member.clientHost,
      // Only the consumer protocol's assignments say which partitions; other protocols' bytes are opaque.
      assignment: snapshot.protocolType === "consumer" ? assignedPartitionsOf(member.assignment) : [],
    })),
  };
}

/** Every committed offset of the group, by "topic/partition". */
function committedOffsets(coordinator: PartitionGroups, group: string) {
  const committed = new Map<string, { topic: string; partition: number; offset: number; metadata: string }>();
  for (const topic of coordinator.fetchOffsets({ groupId: group, topics: null }).topics) {
    for (const partition of topic.partitions) {
      if (partition.offset < 0) continue;
      committed.set(`${topic.name}/${partition.partition}`, {
        topic: topic.name,
        partition: partition.partition,
        offset: partition.offset,
        metadata: partition.metadata,
      });
    }
  }
  return committed;
}

const describeGroupSchema = v.object({ group: groupId });

export function describeGroup(node: AdminNode, request: DescribeGroupRequest): DescribeGroupResponse {
  const { group } = parseRequest(describeGroupSchema, request);
  const coordinator = coordinatorOf(node, group);
  const view = viewGroup(coordinator, group);
  if (view === null) throw notFound(`group "${group}" does not exist`);
  const rows = new Map<string, GroupPartitionOffset>();
  const row = (topic: string, partition: number): GroupPartitionOffset => {
    const key = `${topic}/${partition}`;
    let found = rows.get(key);
    if (found === undefined) {
      found = create(GroupPartitionOffsetSchema, { topic, partition, committedOffset: -1n });
      rows.set(key, found);
    }
    return found;
  };
  for (const committed of committedOffsets(coordinator, group).values()) {
    const entry = row(committed.topic, committed.partition);
    entry.committedOffset = BigInt(committed.offset);
    entry.metadata = committed.metadata;
  }
  for (const member of view.members) {
    for (const { topic, partitions } of member.assignment) {
      for (const partition of partitions) row(topic, partition).memberId = member.memberId;
    }
  }
  let totalLag = 0n;
  for (const entry of rows.values()) {
    const end = node.context.replicas.byName(entry.topic, entry.partition)?.consumerHighWatermark();
    entry.logEndOffset = end === undefined ? -1n : BigInt(end);
    entry.lag = end === undefined || entry.committedOffset < 0n ? -1n : BigInt(end) - entry.committedOffset;
    if (entry.lag > 0n) totalLag += entry.lag;
  }
  const offsets = [...rows.values()].sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
  );
  return create(DescribeGroupResponseSchema, {
    groupId: group,
    type: view.type,
    state: view.state,
    protocolType: view.protocolType,
    assignor: view.assignor,
    epoch: view.epoch,
    coordinatorId: node.context.nodeId,
    members: view.members.map((member) =>
      create(GroupMemberSchema, {
        ...member,
        assignment: member.assignment.map((entry) => create(TopicPartitionsSchema, entry)),
      }),
    ),
    offsets,
    totalLag,
  });
}

const resetSchema = v.pipe(
  v.object({
    group: groupId,
    topics: listOf(
      v.object({ topic: topicName, partitions: listOf(partitionIndex, partitionsPerTopicMax) }),
      resetTopicsMax,
    ),
    allTopics: v.boolean(),
    execute: v.boolean(),
  }),
  v.check(
    (request) => request.topics.length > 0 !== request.allTopics,
    "give either topics or allTopics (not both)",
  ),
);

type ResetTarget =
  | { kind: "earliest" | "latest" }
  | { kind: "offset" | "timestamp" | "shift"; value: number };

function resetTarget(target: ResetGroupOffsetsRequest["target"]): ResetTarget {
  switch (target.case) {
    case "toEarliest":
    case "toLatest":
      if (!target.value) throw invalidArgument(`${target.case}: must be true when given`);
      return { kind: target.case === "toEarliest" ? "earliest" : "latest" };
    case "toOffset":
      return {
        kind: "offset",
        value: parseRequest(v.object({ toOffset: int64From(0n) }), { toOffset: target.value }).toOffset,
      };
    case "toTimestampMs": {
      const schema = v.object({ toTimestampMs: int64From(0n) });
      return {
        kind: "timestamp",
        value: parseRequest(schema, { toTimestampMs: target.value }).toTimestampMs,
      };
    }
    case "shiftBy": {
      const schema = v.object({ shiftBy: int64From(BigInt(-Number.MAX_SAFE_INTEGER)) });
      return { kind: "shift", value: parseRequest(schema, { shiftBy: target.value }).shiftBy };
    }
    default:
      throw invalidArgument("target: give one of toEarliest, toLatest, toOffset, toTimestampMs or shiftBy");
  }
}

/** The partitions a reset names: every partition of each topic given without partitions. */
function resetPartitions(
  context: BrokerContext,
  request: v.InferOutput<typeof resetSchema>,
  committed: ReturnType<typeof committedOffsets>,
): Array<{ topic: TopicMetadata; partition: number }> {
  const chosen = new Map<string, { topic: TopicMetadata; partition: number }>();
  const add = (topic: TopicMetadata, partition: number) =>
    chosen.set(`${topic.name}/${partition}`, { topic, partition });
  if (request.allTopics) {
    for (const entry of committed.values()) {
      const topic = context.metadata.state.topicByName(entry.topic);
      if (topic !== undefined && entry.partition < topic.partitions.length) add(topic, entry.partition);
    }
  }
  request.topics.forEach((requested, index) => {
    const topic = context.metadata.state.topicByName(requested.topic);
    if (topic === undefined) throw topicNotFound(requested.topic);
    const partitions =
      requested.partitions.length > 0 ? requested.partitions : topic.partitions.map((_, p) => p);
    for (const partition of partitions) {
      if (partition >= topic.partitions.length) {
        throw invalidArgument(
          `topics.${index}.partitions: topic "${topic.name}" has ${topic.partitions.length} partitions, no ${partition}`,
        );
      }
      add(topic, partition);
    }
  });
  return [...chosen.values()].sort(
    (a, b) => a.topic.name.localeCompare(b.topic.name) || a.partition - b.partition,
  );
}

/** The offset a partition is reset to, within its log (Kafka's tool clamps the same way). */
function resetOffset(
  node: AdminNode,
  where: { topic: TopicMetadata; partition: number },
  target: ResetTarget,
  current: number | undefined,
): number {
  const replica = node.context.replicas.byName(where.topic.name, where.partition);
  if (replica === undefined) throw elsewhere(node.context, where.topic, where.partition, "a replica");
  const start = replica.logStartOffset();
  const end = replica.consumerHighWatermark();
  const clamp = (offset: number) => Math.min(Math.max(offset, start), end);
  switch (target.kind) {
    case "earliest":
      return start;
    case "latest":
      return end;
    case "offset":
      return clamp(target.value);
    case "timestamp":
      return clamp(replica.offsetForTimestamp(target.value)?.offset ?? end);
    case "shift":
      if (current === undefined) {
        throw failedPrecondition(
          `cannot shift ${where.topic.name}-${where.partition}: the group has no committed offset for it`,
        );
      }
      return clamp(current + target.value);
  }
}

export async function resetGroupOffsets(
  node: AdminNode,
  request: ResetGroupOffsetsRequest,
): Promise<ResetGroupOffsetsResponse> {
  const checked = parseRequest(resetSchema, request);
  const target = resetTarget(request.target);
  const group = checked.group;
  const coordinator = coordinatorOf(node, group);
  const view = viewGroup(coordinator, group);
  // Kafka's tool refuses the same way: moving offsets under live consumers would be undone by their next commit.
  const inactive =
    view === null || (view.members.length === 0 && (view.state === "Empty" || view.state === "Dead"));
  if (!inactive) {
    throw failedPrecondition(
      `offsets can only be reset while group "${group}" is inactive, but its state is ${view.state} with ` +
        `${view.members.length} member(s)`,
    );
  }
  const committed = committedOffsets(coordinator, group);
  const resets = resetPartitions(node.context, checked, committed).map((where) => {
    const previous = committed.get(`${where.topic.name}/${where.partition}`)?.offset;
    return { ...where, previous, next: resetOffset(node, where, target, previous) };
  });
  if (checked.execute && resets.length > 0) await commitResets(node, group, resets);
  return create(ResetGroupOffsetsResponseSchema, {
    executed: checked.execute,
    partitions: resets.map((reset) =>
      create(OffsetResetSchema, {
        topic: reset.topic.name,
        partition: reset.partition,
        previousOffset: BigInt(reset.previous ?? -1),
        newOffset: BigInt(reset.next),
      }),
    ),
  });
}

/** OffsetCommit's newest version: a consumer group's admin commit (member epoch -1) needs v9 semantics. */
const offsetCommitVersion = 9;

/** Commits the new offsets as an admin client does: no member, generation -1, allowed only while Empty. */
async function commitResets(
  node: AdminNode,
  group: string,
  resets: ReadonlyArray<{ topic: TopicMetadata; partition: number; next: number }>,
): Promise<void> {
  const byTopic = new Map<
    string,
    Array<{ partition: number; offset: number; leaderEpoch: number; metadata: string }>
  >();
  for (const reset of resets) {
    const partitions = byTopic.get(reset.topic.name) ?? [];
    partitions.push({ partition: reset.partition, offset: reset.next, leaderEpoch: -1, metadata: "" });
    byTopic.set(reset.topic.name, partitions);
  }
  const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
  // Runs in the turn that read the metadata above: the partitions still exist (GroupService.onPartitionsDeleted).
  const result = await node.groups.step(group, (coordinator, nowMs) =>
    coordinator.commitOffsets(
      {
        apiVersion: offsetCommitVersion,
        groupId: group,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics,
      },
      nowMs,
    ),
  );
  if (result === "NOT_COORDINATOR") throw unavailable(`the coordinator of group "${group}" moved; retry`);
  for (const topic of result.topics) {
    const refused = topic.partitions.find((partition) => partition.error !== "NONE");
    if (refused === undefined) continue;
    throw failedPrecondition(
      `committing ${topic.name}-${refused.partition} was refused with ${refused.error}: group "${group}" has ` +
        "active members now",
    );
  }
  node.context.logger.info("reset group offsets", { group, partitions: resets.length, via: "admin api" });
}

const deleteGroupSchema = v.object({ group: groupId });

export async function deleteGroup(
  node: AdminNode,
  request: DeleteGroupRequest,
): Promise<DeleteGroupResponse> {
  const { group } = parseRequest(deleteGroupSchema, request);
  coordinatorOf(node, group);
  const result = await node.groups.step(group, (coordinator, nowMs) =>
    coordinator.deleteGroups([group], nowMs),
  );
  if (result === "NOT_COORDINATOR") throw unavailable(`the coordinator of group "${group}" moved; retry`);
  const error = result[0]!.error;
  if (error === "GROUP_ID_NOT_FOUND") throw notFound(`group "${group}" does not exist`);
  if (error === "NON_EMPTY_GROUP")
    throw failedPrecondition(`group "${group}" is not empty: it has active members`);
  if (error !== "NONE") throw failedPrecondition(`deleting group "${group}" was refused with ${error}`);
  node.context.logger.info("deleted group", { group, via: "admin api" });
  return create(DeleteGroupResponseSchema, {});
}
