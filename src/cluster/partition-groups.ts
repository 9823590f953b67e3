// Every group of one __consumer_offsets partition: the classic coordinator and the consumer (KIP-848)
// coordinator side by side, sharing one offset store, with the rules Apache Kafka 4's GroupMetadataManager
// and OffsetMetadataManager apply between them (without online migration): a group id belongs to one
// protocol at a time; an Empty group of either kind gives its id up to the other; classic member requests
// to a consumer group are refused; offsets of a consumer group are validated with member id and epoch.
// Pure: time comes in as nowMs, and every durable change leaves as a record, in the order made.

import { ProtocolError } from "../protocol/protocol-error.ts";
import {
  type ConsumerGroupConfig,
  ConsumerGroupCoordinator,
  type ConsumerGroupHeartbeatInput,
  type ConsumerGroupRecord,
  type DescribedConsumerGroup,
  decodeConsumerGroupRecord,
  encodeConsumerGroupRecord,
  type GroupConfigLookup,
  type HeartbeatResult,
  type TopicLookup,
} from "./consumer-groups/index.ts";
import {
  type Completion,
  type DeletedPartitions,
  type DescribedGroup,
  deadGroup,
  decodeGroupRecord,
  encodeGroupRecord,
  GroupCoordinator,
  type GroupCoordinatorConfig,
  type GroupRecord,
  type HeartbeatInput,
  type JoinGroupInput,
  type JoinGroupResponse,
  joinError,
  type LeaveGroupInput,
  type LeaveGroupResponse,
  type OffsetCommitInput,
  type OffsetCommitResponse,
  type OffsetDeleteInput,
  type OffsetDeleteResponse,
  type OffsetFetchInput,
  type OffsetFetchResponse,
  type SyncGroupInput,
  type SyncGroupResponse,
  syncError,
} from "./groups/index.ts";

export type PartitionRecord = GroupRecord | ConsumerGroupRecord;

/** Records to append before any response of the step goes out, and parked requests it completed. */
export interface PartitionStep {
  records: PartitionRecord[];
  completions: Completion[];
}

export interface PartitionResult<Response> extends PartitionStep {
  response: Response;
}

/** A response now, or null: the request is parked and answered later by a completion. */
export interface PartitionAnswer<Response> extends PartitionStep {
  response: Response | null;
}

export interface ListedAnyGroup {
  groupId: string;
  protocolType: string;
  state: string;
  groupType: "classic" | "consumer";
}

export interface PartitionGroupsOptions {
  classicConfig?: Partial<GroupCoordinatorConfig>;
  consumerConfig?: Partial<ConsumerGroupConfig>;
  /** Each consumer group's own settings (KIP-848 group configs). */
  consumerGroupConfig?: GroupConfigLookup;
  newUuid: () => string;
  topics: TopicLookup;
}

export function encodePartitionRecord(record: PartitionRecord): {
  key: Uint8Array;
  value: Uint8Array | null;
} {
  return "kind" in record ? encodeGroupRecord(record) : encodeConsumerGroupRecord(record);
}

/** A record read back from the partition, or why it cannot be replayed. */
export type DecodedPartitionRecord = { ok: true; record: PartitionRecord } | { ok: false; reason: string };

/**
 * Decodes one __consumer_offsets record for replay. A record without a key, of a key type neither coordinator
 * knows (share or streams groups, a later Kafka), or whose bytes do not decode is reported, not thrown: the
 * caller decides what a bad record costs.
 */
export function decodePartitionRecord(
  key: Uint8Array | null,
  value: Uint8Array | null,
): DecodedPartitionRecord {
  if (key === null) return { ok: false, reason: "the record has no key" };
  try {
    const record = decodeGroupRecord(key, value) ?? decodeConsumerGroupRecord(key, value);
    if (record !== null) return { ok: true, record };
    const keyType = new DataView(key.buffer, key.byteOffset, key.byteLength).getInt16(0);
    return { ok: false, reason: `unknown key type ${keyType}` };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { ok: false, reason: error.message };
  }
}

const noStep = (): PartitionStep => ({ records: [], completions: [] });

export class PartitionGroups {
  readonly classic: GroupCoordinator;
  readonly consumer: ConsumerGroupCoordinator;

  constructor(options: PartitionGroupsOptions) {
    this.classic = new GroupCoordinator({ config: options.classicConfig, newUuid: options.newUuid });
    this.consumer = new ConsumerGroupCoordinator({
      config: options.consumerConfig,
      groupConfig: options.consumerGroupConfig,
      newUuid: options.newUuid,
      topics: options.topics,
    });
  }

  /** Decodes and applies one record read back from the partition; false for one that does not decode. */
  replay(key: Uint8Array, value: Uint8Array | null): boolean {
    const decoded = decodePartitionRecord(key, value);
    if (decoded.ok) this.replayRecord(decoded.record);
    return decoded.ok;
  }

  /** Applies one decoded record read back from the partition (on becoming its leader). */
  replayRecord(record: PartitionRecord): void {
    if ("kind" in record) {
      this.classic.replay(record);
      this.dropClassicShadow(record.kind === "offset-commit" ? record.key.groupId : record.groupId);
      return;
    }
    this.consumer.replay(record);
    this.dropClassicShadow(record.groupId);
  }

  /**
   * An offset commit replayed for a group the classic coordinator does not know creates a simple classic
   * group (offsets say nothing of the protocol). When a consumer group owns the id, that shadow goes, as
   * Kafka's getOrMaybeCreatePersistedConsumerGroup replaces simple groups.
   */
  private dropClassicShadow(groupId: string): void {
    if (!this.consumer.hasGroup(groupId)) return;
    if (this.classic.inspectGroup(groupId)?.state === "Empty") this.classic.forgetEmptyGroup(groupId);
  }

  /** After replay: both coordinators restart their members' sessions from now. */
  onLoadComplete(nowMs: number): PartitionStep {
    this.consumer.loaded(nowMs);
    return this.classic.onLoadComplete(nowMs);
  }

  tick(nowMs: number): PartitionStep {
    const classic = this.classic.tick(nowMs);
    return { records: [...classic.records, ...this.consumer.tick(nowMs)], completions: classic.completions };
  }

  /**
   * Offset retention over both protocols' groups: a consumer group's offsets of topics its members subscribe to
   * are kept; everything else follows the classic coordinator's rules (offsets.retention.ms).
   */
  expireOffsets(nowMs: number): PartitionStep {
    return this.classic.expireOffsets(
      nowMs,
      (groupId, topic) =>
        this.consumer.hasGroup(groupId) && this.consumer.subscribedTopicNames(groupId).has(topic),
    );
  }

  /** Every group's offsets of deleted partitions go, consumer groups' too: they share one offset store. */
  deletePartitionOffsets(deleted: readonly DeletedPartitions[], nowMs: number): PartitionStep {
    return this.classic.deletePartitionOffsets(deleted, nowMs);
  }

  /** The earliest time either coordinator's tick() has work, or null. */
  nextDeadlineMs(): number | null {
    const earliest = Math.min(
      this.classic.nextDeadlineMs() ?? Number.POSITIVE_INFINITY,
      this.consumer.nextDeadlineMs(),
    );
    return Number.isFinite(earliest) ? earliest : null;
  }

  /**
   * A member of the consumer protocol cannot join a classic rebalance: Kafka answers
   * INCONSISTENT_GROUP_PROTOCOL when the group's members do not speak the classic protocol. An Empty
   * consumer group is deleted and the id becomes a classic group (Kafka's maybeDeleteEmptyConsumerGroup).
   */
  joinGroup(input: JoinGroupInput, nowMs: number): PartitionAnswer<JoinGroupResponse> {
    if (!this.consumer.hasGroup(input.groupId)) return this.classic.joinGroup(input, nowMs);
    if (!this.consumer.isEmpty(input.groupId))
      return { response: joinError("", "INCONSISTENT_GROUP_PROTOCOL"), ...noStep() };
    const deleted = this.consumer.deleteGroup(input.groupId);
    const answer = this.classic.joinGroup(input, nowMs);
    return { ...answer, records: [...deleted.records, ...answer.records] };
  }

  /** No member of a consumer group here uses the classic protocol: Kafka's UNKNOWN_MEMBER_ID. */
  syncGroup(input: SyncGroupInput, nowMs: number): PartitionAnswer<SyncGroupResponse> {
    if (this.consumer.hasGroup(input.groupId))
      return { response: syncError("UNKNOWN_MEMBER_ID"), ...noStep() };
    return this.classic.syncGroup(input, nowMs);
  }

  heartbeat(input: HeartbeatInput, nowMs: number): PartitionResult<HeartbeatErrorResponse> {
    const error = this.consumer.hasGroup(input.groupId)
      ? "UNKNOWN_MEMBER_ID"
      : this.classic.heartbeat(input, nowMs).error;
    return { response: { error }, ...noStep() };
  }

  leaveGroup(input: LeaveGroupInput, nowMs: number): PartitionResult<LeaveGroupResponse> {
    if (!this.consumer.hasGroup(input.groupId)) return this.classic.leaveGroup(input, nowMs);
    const members = input.members.map((member) => ({ ...member, error: "UNKNOWN_MEMBER_ID" as const }));
    return { response: { error: "NONE", members }, ...noStep() };
  }

  commitOffsets(input: OffsetCommitInput, nowMs: number): PartitionResult<OffsetCommitResponse> {
    const { groupId, memberId, generationId, apiVersion } = input;
    const verdict = this.consumer.validateOffsetCommit(groupId, memberId, generationId, apiVersion);
    if (verdict === null) return this.classic.commitOffsets(input, nowMs);
    if (verdict === "NONE") return this.classic.storeOffsets(input, nowMs);
    if (typeof verdict === "function") return this.classic.storeOffsets(input, nowMs, verdict);
    const topics = input.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({ partition: partition.partition, error: verdict })),
    }));
    return { response: { topics }, ...noStep() };
  }

  /** OffsetFetch v9+ may name a member of a consumer group, whose epoch must then be current. */
  fetchOffsets(
    input: OffsetFetchInput & { memberId?: string | null; memberEpoch?: number },
  ): OffsetFetchResponse {
    const verdict = this.consumer.validateOffsetFetch(
      input.groupId,
      input.memberId ?? null,
      input.memberEpoch ?? -1,
    );
    if (verdict !== null && verdict !== "NONE") return { error: verdict, topics: [] };
    return this.classic.fetchOffsets({ groupId: input.groupId, topics: input.topics });
  }

  deleteOffsets(input: OffsetDeleteInput, nowMs: number): PartitionResult<OffsetDeleteResponse> {
    if (!this.consumer.hasGroup(input.groupId)) return this.classic.deleteOffsets(input, nowMs);
    const subscribed = this.consumer.subscribedTopicNames(input.groupId);
    return this.classic.deleteOffsetsOfConsumerGroup(input, subscribed, nowMs);
  }

  /** A consumer group goes with its offsets, only when Empty (Kafka's validateDeleteGroup). */
  deleteGroups(groupIds: readonly string[], nowMs: number): PartitionResult<DeletedGroup[]> {
    const step = noStep();
    const response = groupIds.map((groupId): DeletedGroup => {
      if (!this.consumer.hasGroup(groupId)) {
        const classic = this.classic.deleteGroups([groupId], nowMs);
        step.records.push(...classic.records);
        return classic.response[0] ?? { groupId, error: "GROUP_ID_NOT_FOUND" };
      }
      if (!this.consumer.isEmpty(groupId)) return { groupId, error: "NON_EMPTY_GROUP" };
      step.records.push(...this.classic.deleteAllOffsets(groupId, nowMs).records);
      step.records.push(...this.consumer.deleteGroup(groupId).records);
      return { groupId, error: "NONE" };
    });
    return { response, ...step };
  }

  listGroups(filter: { states?: readonly string[]; types?: readonly string[] } = {}): ListedAnyGroup[] {
    return [...this.classic.listGroups(filter), ...this.consumer.listGroups(filter)];
  }

  /** DescribeGroups is the classic API: Kafka describes a consumer group id as Dead (v6+: not found). */
  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      if (!this.consumer.hasGroup(groupId)) return this.classic.describeGroups([groupId])[0]!;
      return deadGroup(groupId);
    });
  }

  /**
   * A non-Empty classic group keeps its id (GROUP_ID_NOT_FOUND, as Kafka 4 with online upgrade
   * disabled); an Empty one is given up to the joining consumer group, its offsets kept.
   */
  consumerGroupHeartbeat(
    input: ConsumerGroupHeartbeatInput,
    nowMs: number,
  ): PartitionResult<HeartbeatResult["response"]> {
    const classicState = this.consumer.hasGroup(input.groupId)
      ? undefined
      : this.classic.inspectGroup(input.groupId)?.state;
    if (classicState !== undefined && classicState !== "Empty") {
      const response = {
        error: "GROUP_ID_NOT_FOUND" as const,
        errorMessage: `Group ${input.groupId} is not a consumer group.`,
        memberId: null,
        memberEpoch: 0,
        heartbeatIntervalMs: this.consumer.configFor(input.groupId).heartbeatIntervalMs,
        assignment: null,
      };
      return { response, ...noStep() };
    }
    const result = this.consumer.heartbeat(input, nowMs);
    const records: PartitionRecord[] = [];
    if (classicState === "Empty" && result.response.error === "NONE") {
      records.push(...this.classic.releaseEmptyGroup(input.groupId, nowMs).records);
    }
    records.push(...result.records);
    return { response: result.response, records, completions: [] };
  }

  /** ConsumerGroupDescribe, with Kafka's messages for an id that is missing or a classic group. */
  consumerGroupDescribe(
    groupIds: readonly string[],
  ): (DescribedConsumerGroup & { errorMessage: string | null })[] {
    return this.consumer.describe(groupIds).map((group) => {
      if (group.error !== "GROUP_ID_NOT_FOUND") return { ...group, errorMessage: null };
      const isClassic = this.classic.inspectGroup(group.groupId) !== null;
      const errorMessage = isClassic
        ? `Group ${group.groupId} is not a consumer group.`
        : `Group ${group.groupId} not found.`;
      return { ...group, errorMessage };
    });
  }
}

export interface HeartbeatErrorResponse {
  error: ReturnType<GroupCoordinator["heartbeat"]>["error"];
}

export interface DeletedGroup {
  groupId: string;
  error: ReturnType<GroupCoordinator["deleteGroups"]>["response"][number]["error"];
}
