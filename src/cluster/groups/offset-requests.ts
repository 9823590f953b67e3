// OffsetCommit, OffsetFetch, OffsetDelete, DeleteGroups and offset expiry for classic groups, after Kafka's
// OffsetMetadataManager and ClassicGroup (validateOffsetCommit, validateOffsetDelete,
// offsetExpirationCondition). A consumer outside group management (generation -1, no member id) may commit
// to an Empty group, and creates a "simple" group by doing so.

import { consumerProtocolType } from "./consumer-protocol.ts";
import { ClassicGroup, type Step } from "./group.ts";
import type { GroupCoordinatorConfig } from "./group-config.ts";
import type {
  DeletedPartitions,
  FetchedOffset,
  GroupErrorName,
  OffsetCommitInput,
  OffsetCommitResponse,
  OffsetDeleteInput,
  OffsetDeleteResponse,
  OffsetFetchInput,
  OffsetFetchResponse,
} from "./group-types.ts";
import type { CommittedOffset, OffsetStore } from "./offsets.ts";

export interface OffsetContext {
  groups: Map<string, ClassicGroup>;
  offsets: OffsetStore;
  config: GroupCoordinatorConfig;
  step: Step;
}

/** OffsetCommit v9 answers a commit to a missing group with GROUP_ID_NOT_FOUND, older ones ILLEGAL_GENERATION. */
const groupIdNotFoundVersionMin = 9;
const noRetentionTimeMs = -1;

/** Refuses one partition of a commit (with an error other than NONE), or lets it through. */
export type PartitionCommitCheck = (topicName: string, partition: number) => GroupErrorName;

/**
 * `ownedElsewhere`: the group is a consumer (KIP-848) group whose coordinator validated the commit, and
 * `partitionError`, when given, what it says of each partition.
 */
export function commitOffsets(
  context: OffsetContext,
  input: OffsetCommitInput,
  options: { ownedElsewhere?: boolean; partitionError?: PartitionCommitCheck } = {},
): OffsetCommitResponse {
  const error = options.ownedElsewhere ? null : validateCommit(context, input);
  const expireTimestampMs =
    input.retentionTimeMs === noRetentionTimeMs ? -1 : context.step.nowMs + input.retentionTimeMs;
  const topics = input.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => {
      if (error !== null) return { partition: partition.partition, error };
      const metadata = partition.metadata ?? "";
      // Kafka compares String.length(), i.e. UTF-16 code units, as JavaScript's length does.
      if (metadata.length > context.config.offsetMetadataBytesMax) {
        return { partition: partition.partition, error: "OFFSET_METADATA_TOO_LARGE" as const };
      }
      const refused = options.partitionError?.(topic.name, partition.partition) ?? "NONE";
      if (refused !== "NONE") return { partition: partition.partition, error: refused };
      const committed: CommittedOffset = {
        offset: partition.offset,
        leaderEpoch: partition.leaderEpoch,
        metadata,
        commitTimestampMs: context.step.nowMs,
        expireTimestampMs,
      };
      context.offsets.put(input.groupId, topic.name, partition.partition, committed);
      context.step.records.push({
        kind: "offset-commit",
        key: { groupId: input.groupId, topic: topic.name, partition: partition.partition },
        value: committed,
      });
      return { partition: partition.partition, error: "NONE" as const };
    }),
  }));
  return { topics };
}

function validateCommit(context: OffsetContext, input: OffsetCommitInput): GroupErrorName | null {
  if (input.groupId === "") return "INVALID_GROUP_ID";
  let group = context.groups.get(input.groupId);
  if (group === undefined) {
    if (input.generationId >= 0) {
      return input.apiVersion >= groupIdNotFoundVersionMin ? "GROUP_ID_NOT_FOUND" : "ILLEGAL_GENERATION";
    }
    group = new ClassicGroup(input.groupId, context.step.nowMs);
    context.groups.set(input.groupId, group);
  }
  if (input.generationId < 0 && group.state === "Empty") return null;
  if (input.generationId >= 0 || input.memberId !== "" || input.groupInstanceId !== null) {
    const invalid = group.validateMember(input.memberId, input.groupInstanceId);
    if (invalid !== null) return invalid;
    if (input.generationId !== group.generationId) return "ILLEGAL_GENERATION";
  } else {
    // No member id and no generation: only allowed while nobody consumes through the group.
    return "UNKNOWN_MEMBER_ID";
  }
  // The member has its new generation but not its assignment yet.
  return group.state === "CompletingRebalance" ? "REBALANCE_IN_PROGRESS" : null;
}

export function fetchOffsets(context: OffsetContext, input: OffsetFetchInput): OffsetFetchResponse {
  if (input.topics === null) {
    const byTopic = new Map<string, FetchedOffset[]>();
    for (const entry of context.offsets.entries(input.groupId)) {
      let partitions = byTopic.get(entry.topic);
      if (partitions === undefined) {
        partitions = [];
        byTopic.set(entry.topic, partitions);
      }
      partitions.push(fetched(entry.partition, entry.committed));
    }
    return { error: "NONE", topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
  }
  const topics = input.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) =>
      fetched(partition, context.offsets.get(input.groupId, topic.name, partition)),
    ),
  }));
  return { error: "NONE", topics };
}

function fetched(partition: number, committed: CommittedOffset | undefined): FetchedOffset {
  if (committed === undefined) return { partition, offset: -1, leaderEpoch: -1, metadata: "", error: "NONE" };
  return {
    partition,
    offset: committed.offset,
    leaderEpoch: committed.leaderEpoch,
    metadata: committed.metadata,
    error: "NONE",
  };
}

export function deleteOffsets(context: OffsetContext, input: OffsetDeleteInput): OffsetDeleteResponse {
  const group = context.groups.get(input.groupId);
  if (group === undefined) return { error: "GROUP_ID_NOT_FOUND", topics: [] };
  // A live consumer group may drop offsets of topics it does not consume; other live groups may not.
  if (group.state !== "Empty" && group.protocolType !== consumerProtocolType) {
    return { error: "NON_EMPTY_GROUP", topics: [] };
  }
  return deleteUnsubscribedOffsets(context, input, group.subscribedTopics ?? new Set());
}

/** Deletes the named offsets except those of topics the group consumes (GROUP_SUBSCRIBED_TO_TOPIC). */
export function deleteUnsubscribedOffsets(
  context: OffsetContext,
  input: OffsetDeleteInput,
  subscribedTopics: ReadonlySet<string>,
): OffsetDeleteResponse {
  const topics = input.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => {
      if (subscribedTopics.has(topic.name)) {
        return { partition, error: "GROUP_SUBSCRIBED_TO_TOPIC" as const };
      }
      deleteOffset(context, input.groupId, topic.name, partition);
      return { partition, error: "NONE" as const };
    }),
  }));
  return { error: "NONE", topics };
}

/** Deletes every offset of the group (a consumer group being deleted). */
export function deleteAllOffsets(context: OffsetContext, groupId: string): void {
  for (const entry of context.offsets.entries(groupId))
    deleteOffset(context, groupId, entry.topic, entry.partition);
}

/**
 * Deletes every group's offsets of partitions that no longer exist, as Kafka's
 * OffsetMetadataManager.onPartitionsDeleted does: by topic name, since an offset's key has no topic id.
 */
export function deleteOffsetsOfPartitions(
  context: OffsetContext,
  deleted: readonly DeletedPartitions[],
): void {
  for (const groupId of [...context.offsets.groupIds()]) {
    for (const { topic, partitions } of deleted) {
      for (const partition of partitions) deleteOffset(context, groupId, topic, partition);
    }
  }
}

function deleteOffset(context: OffsetContext, groupId: string, topic: string, partition: number): void {
  if (!context.offsets.delete(groupId, topic, partition)) return;
  context.step.records.push({ kind: "offset-commit", key: { groupId, topic, partition }, value: null });
}

export function deleteGroup(context: OffsetContext, groupId: string): GroupErrorName {
  if (groupId === "") return "INVALID_GROUP_ID";
  const group = context.groups.get(groupId);
  if (group === undefined) return "GROUP_ID_NOT_FOUND";
  if (group.state !== "Empty") return "NON_EMPTY_GROUP";
  for (const entry of context.offsets.entries(groupId))
    deleteOffset(context, groupId, entry.topic, entry.partition);
  removeGroup(context, group);
  return "NONE";
}

function removeGroup(context: OffsetContext, group: ClassicGroup): void {
  group.transitionTo("Dead", context.step.nowMs);
  context.groups.delete(group.groupId);
  context.step.records.push({ kind: "group-metadata", groupId: group.groupId, value: null });
}

/**
 * Deletes offsets past retention, and Empty groups left with no offsets. The clock for an Empty group's
 * offsets starts when it became Empty; a simple group's (and an orphan offset's) at each commit; a Stable
 * consumer group only loses offsets of topics it no longer subscribes to.
 */
/**
 * `keep(groupId, topic)`: offsets that must not expire whatever their age — a consumer (KIP-848) group's offsets
 * of the topics its members subscribe to, as Kafka's OffsetMetadataManager keeps them; a consumer group's other
 * offsets expire by their commit time, like those of a group this coordinator does not hold.
 */
export function expireOffsets(
  context: OffsetContext,
  keep: (groupId: string, topic: string) => boolean = () => false,
): void {
  const groupIds = new Set([...context.groups.keys(), ...context.offsets.groupIds()]);
  for (const groupId of groupIds) {
    const group = context.groups.get(groupId);
    const baseTimestamp = expirationBase(group);
    if (baseTimestamp === null) continue;
    for (const entry of context.offsets.entries(groupId)) {
      if (group?.subscribedTopics?.has(entry.topic) && group.state !== "Empty") continue;
      if (keep(groupId, entry.topic)) continue;
      if (isExpired(entry.committed, baseTimestamp(entry.committed), context)) {
        deleteOffset(context, groupId, entry.topic, entry.partition);
      }
    }
    // Unlike Kafka, a group with member ids handed out (MEMBER_ID_REQUIRED) is kept for their rejoin.
    const idle = group !== undefined && group.state === "Empty" && group.pendingMembers.size === 0;
    if (idle && !context.offsets.hasOffsets(groupId)) removeGroup(context, group);
  }
}

type BaseTimestamp = (committed: CommittedOffset) => number;

function expirationBase(group: ClassicGroup | undefined): BaseTimestamp | null {
  const byCommit: BaseTimestamp = (committed) => committed.commitTimestampMs;
  if (group === undefined || group.protocolType === null || group.protocolType === "") return byCommit;
  if (group.state === "Empty") {
    const emptySinceMs = group.currentStateTimestampMs;
    return emptySinceMs === null ? byCommit : () => emptySinceMs;
  }
  if (
    group.protocolType === consumerProtocolType &&
    group.subscribedTopics !== null &&
    group.state === "Stable"
  ) {
    return byCommit;
  }
  return null;
}

function isExpired(committed: CommittedOffset, baseTimestampMs: number, context: OffsetContext): boolean {
  // An offset committed with its own retention (OffsetCommit v2-4) keeps Kafka's old rule.
  if (committed.expireTimestampMs !== -1) return context.step.nowMs >= committed.expireTimestampMs;
  return context.step.nowMs - baseTimestampMs >= context.config.offsetsRetentionMs;
}
