// Drives the pure group coordinators (classic and consumer, side by side in a PartitionGroups), one pair per
// __consumer_offsets partition this node leads: every step's records are appended to that partition
// (acks=-1) before any response of the step is released, parked JoinGroup/SyncGroup requests are answered
// when a later step completes them, and tick() runs at the earlier of the two coordinators' deadlines.
// Groups are thereby as durable and as replicated as any partition (DESIGN.md 6). A partition whose log
// has grown well past the state it holds is compacted (group-log-compaction.ts).

import type { Clock, Scheduler } from "../base/clock.ts";
import type { Logger } from "../base/logger.ts";
import { buildBatch } from "../protocol/records/batch-builder.ts";
import {
  isControlBatch,
  isTransactionalBatch,
  readBatchHeader,
  scanBatches,
} from "../protocol/records/batch-header.ts";
import { readAllRecords } from "../protocol/records/batch-records.ts";
import type { ConsumerGroupConfig, GroupConfigLookup, TopicLookup } from "./consumer-groups/index.ts";
import {
  type CompactionPolicy,
  compactionDue,
  compactionPolicyDefault,
  LatestRecords,
} from "./group-log-compaction.ts";
import {
  type DeletedPartitions,
  type GroupCoordinatorConfig,
  groupPartition,
  type JoinGroupInput,
  type JoinGroupResponse,
  type RequestToken,
  type SyncGroupInput,
  type SyncGroupResponse,
} from "./groups/index.ts";
import {
  decodePartitionRecord,
  encodePartitionRecord,
  type PartitionAnswer,
  PartitionGroups,
  type PartitionRecord,
  type PartitionStep,
} from "./partition-groups.ts";
import type { PartitionReplica } from "./partition-replica.ts";
import { markerOfBatch } from "./producer-state-rebuild.ts";

export { offsetsTopicName } from "./internal-topics.ts";
/** offsets.topic.num.partitions: Kafka's default is 50; a small broker does well with fewer Raft groups. */
export const offsetsPartitionsDefault = 16;
/** offsets.retention.check.interval.ms: how often expired offsets are looked for (Kafka's default, 10 minutes). */
export const offsetsRetentionCheckIntervalMsDefault = 600_000;
/** How much of a __consumer_offsets partition one read takes while loading. */
const loadReadBytes = 1024 * 1024;
/**
 * After a load that failed, how long the partition answers COORDINATOR_NOT_AVAILABLE before loading is tried
 * again: clients retry FindCoordinator every few hundred ms, and a failure that repeats must not re-read the
 * whole partition each time.
 */
const loadRetryBackoffMs = 5_000;
/** A compaction restates the partition's state in batches of about this size. */
const compactionBatchBytes = 1024 * 1024;

type EncodedRecord = ReturnType<typeof encodePartitionRecord>;

export interface GroupServiceOptions {
  /** offsets.topic.num.partitions. */
  offsetsPartitions: number;
  /** The replica of a __consumer_offsets partition, if this node leads it. */
  replicaOf(partition: number): PartitionReplica | undefined;
  config?: Partial<GroupCoordinatorConfig>;
  consumerConfig?: Partial<ConsumerGroupConfig>;
  /** Each consumer group's own settings, from its group configs in the metadata (KIP-848). */
  consumerGroupConfig?: GroupConfigLookup;
  /** offsets.retention.check.interval.ms; offsets.retention.ms itself is in `config`. */
  offsetsRetentionCheckIntervalMs?: number;
  /** The cluster's topics as consumer groups see them (name → id and partition count). */
  topics: TopicLookup;
  /** When a partition's log is compacted; defaults to compactionPolicyDefault. */
  compaction?: CompactionPolicy;
  newUuid(): string;
  /** Its wall half is the groups' time (deadlines, commit and expiry timestamps), as in Kafka. */
  clock: Clock;
  /** Fires the coordinators' deadlines and the offsets-retention round. */
  scheduler: Scheduler;
  logger: Logger;
}

/** NOT_COORDINATOR: not the leader here (or not caught up yet); COORDINATOR_NOT_AVAILABLE: loading failed. */
type CoordinatorUnavailable = "NOT_COORDINATOR" | "COORDINATOR_NOT_AVAILABLE";

export type CoordinatorLookup =
  | { ok: true; partition: number; coordinator: PartitionGroups }
  | { ok: false; error: CoordinatorUnavailable };

interface PartitionCoordinator {
  coordinator: PartitionGroups;
  replica: PartitionReplica;
  /**
   * The leader epoch the groups were loaded in. Leadership that left and came back (A leads, B leads, A leads
   * again) means records this node did not make: the partition is loaded again from its log.
   */
  leaderEpoch: number;
  cancelTick: (() => void) | null;
  /** Steps persist one after another, so records reach the log in the order the coordinator made them. */
  persisting: Promise<unknown>;
  /** The last record of every live key, as of the last step made: what a compaction restates. */
  latest: LatestRecords;
  /** What a load would replay now: the log from its start (the last compaction's records on). */
  replayBytes: number;
  /** Bytes the last compaction restated. */
  restatedBytes: number;
  compacting: boolean;
  /**
   * Offsets committed in transactions whose marker has not come yet, by producer id (Kafka's
   * pendingTransactionalOffsetCommits): they are in the log, and take effect only when a COMMIT marker does.
   */
  pendingTxnOffsets: Map<bigint, PartitionRecord[]>;
}

type Pending = { resolve: (response: JoinGroupResponse | SyncGroupResponse) => void };

export class GroupService {
  private readonly coordinators = new Map<number, PartitionCoordinator>();
  /** Partitions whose last load failed, with the replica it was tried on and when to try again. */
  private readonly failedLoads = new Map<number, { replica: PartitionReplica; retryAtMs: number }>();
  /**
   * Deleted partitions (topic → partitions) to drop from a partition led here that could not be loaded when
   * they were deleted; applied when it loads. Bounded by the names of the topics deleted meanwhile.
   */
  private readonly deferredDeletions = new Map<
    number,
    { replica: PartitionReplica; partitionsByTopic: Map<string, Set<number>> }
  >();
  private readonly pending = new Map<RequestToken, Pending>();
  private nextToken = 1;
  private cancelRetention: (() => void) | null = null;
  private closed = false;

  constructor(private readonly options: GroupServiceOptions) {}

  partitionOf(groupId: string): number {
    return groupPartition(groupId, this.options.offsetsPartitions);
  }

  lookup(groupId: string): CoordinatorLookup {
    const partition = this.partitionOf(groupId);
    const entry = this.entryFor(partition);
    if (typeof entry === "string") return { ok: false, error: entry };
    return { ok: true, partition, coordinator: entry.coordinator };
  }

  /** The coordinators of every __consumer_offsets partition this node leads (ListGroups). */
  coordinatorsLedHere(): PartitionGroups[] {
    return [...this.ledHere()].map(([, entry]) => entry.coordinator);
  }

  /** Each __consumer_offsets partition this node leads, with its coordinators (loaded on first sight). */
  private *ledHere(): Generator<[number, PartitionCoordinator]> {
    for (let partition = 0; partition < this.options.offsetsPartitions; partition++) {
      const entry = this.entryFor(partition);
      if (typeof entry !== "string") yield [partition, entry];
    }
  }

  async joinGroup(
    input: Omit<JoinGroupInput, "requestToken">,
  ): Promise<JoinGroupResponse | "NOT_COORDINATOR"> {
    return this.parkable(input.groupId, (coordinator, requestToken, nowMs) =>
      coordinator.joinGroup({ ...input, requestToken }, nowMs),
    ) as Promise<JoinGroupResponse | "NOT_COORDINATOR">;
  }

  async syncGroup(
    input: Omit<SyncGroupInput, "requestToken">,
  ): Promise<SyncGroupResponse | "NOT_COORDINATOR"> {
    return this.parkable(input.groupId, (coordinator, requestToken, nowMs) =>
      coordinator.syncGroup({ ...input, requestToken }, nowMs),
    ) as Promise<SyncGroupResponse | "NOT_COORDINATOR">;
  }

  /** Runs an immediate-answer step (heartbeat, leave, commit, delete) and persists what it produced. */
  async step<R>(
    groupId: string,
    run: (coordinator: PartitionGroups, nowMs: number) => PartitionStep & { response: R },
  ) {
    const partition = this.partitionOf(groupId);
    const entry = this.entryFor(partition);
    if (typeof entry === "string") return "NOT_COORDINATOR" as const;
    const output = run(entry.coordinator, this.options.clock.wallMs());
    await this.persist(partition, entry, output);
    return output.response;
  }

  private async parkable(
    groupId: string,
    run: (
      coordinator: PartitionGroups,
      token: RequestToken,
      nowMs: number,
    ) => PartitionAnswer<JoinGroupResponse | SyncGroupResponse>,
  ): Promise<JoinGroupResponse | SyncGroupResponse | "NOT_COORDINATOR"> {
    const partition = this.partitionOf(groupId);
    const entry = this.entryFor(partition);
    if (typeof entry === "string") return "NOT_COORDINATOR";
    const token = this.nextToken++;
    const parked = new Promise<JoinGroupResponse | SyncGroupResponse>((resolve) =>
      this.pending.set(token, { resolve }),
    );
    const answer = run(entry.coordinator, token, this.options.clock.wallMs());
    if (answer.response) this.pending.delete(token);
    await this.persist(partition, entry, answer);
    return answer.response ?? parked;
  }

  /** Appends the step's records, then releases its completions, then re-arms the tick timer. */
  private async persist(
    partition: number,
    entry: PartitionCoordinator,
    output: PartitionStep,
  ): Promise<void> {
    for (const record of output.records) entry.latest.note(record);
    const appended = entry.persisting.then(() =>
      this.append(entry, output.records.map(encodePartitionRecord)),
    );
    entry.persisting = appended.catch(() => {});
    try {
      await appended;
    } catch (error) {
      this.options.logger.error("group records were not persisted", { partition, error });
    }
    this.complete(output.completions);
    this.armTick(partition, entry);
    this.compactIfDue(partition, entry);
  }

  /**
   * TxnOffsetCommit (KIP-98, KIP-447): the offsets are appended as a transactional batch in the producer's
   * name and held aside until the transaction coordinator's marker settles them (settleTransaction).
   */
  async txnOffsetCommit(input: {
    groupId: string;
    producerId: bigint;
    producerEpoch: number;
    offsets: ReadonlyArray<{
      topic: string;
      partition: number;
      offset: number;
      leaderEpoch: number;
      metadata: string;
    }>;
  }): Promise<"NOT_COORDINATOR" | "COORDINATOR_NOT_AVAILABLE" | null> {
    const partition = this.partitionOf(input.groupId);
    const entry = this.entryFor(partition);
    if (typeof entry === "string") return entry;
    const nowMs = this.options.clock.wallMs();
    const records: PartitionRecord[] = input.offsets.map((offset) => ({
      kind: "offset-commit",
      key: { groupId: input.groupId, topic: offset.topic, partition: offset.partition },
      value: {
        offset: offset.offset,
        leaderEpoch: offset.leaderEpoch,
        metadata: offset.metadata,
        commitTimestampMs: nowMs,
        expireTimestampMs: -1,
      },
    }));
    const pending = entry.pendingTxnOffsets.get(input.producerId) ?? [];
    pending.push(...records);
    entry.pendingTxnOffsets.set(input.producerId, pending);
    const fields = { producerId: input.producerId, producerEpoch: input.producerEpoch, transactional: true };
    const appended = entry.persisting.then(() =>
      this.append(entry, records.map(encodePartitionRecord), fields),
    );
    entry.persisting = appended.catch(() => {});
    try {
      await appended;
      return null;
    } catch (error) {
      this.options.logger.warn("transactional offsets were not persisted", { partition, error });
      return "COORDINATOR_NOT_AVAILABLE";
    }
  }

  /** Whether an offset of the group's partition waits for a transaction to end (OffsetFetch requireStable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    const entry = this.coordinators.get(this.partitionOf(groupId));
    if (entry === undefined) return false;
    for (const records of entry.pendingTxnOffsets.values()) {
      for (const record of records) {
        if (!("kind" in record) || record.kind !== "offset-commit") continue;
        const { key } = record;
        if (key.groupId === groupId && key.topic === topic && key.partition === partition) return true;
      }
    }
    return false;
  }

  /**
   * A COMMIT or ABORT marker was committed on this __consumer_offsets partition: the producer's pending offsets
   * take effect or are dropped. A partition not loaded here settles them when it loads (the log holds both).
   */
  settleTransaction(partition: number, producerId: bigint, commit: boolean): void {
    const entry = this.coordinators.get(partition);
    if (entry === undefined) return;
    const pending = entry.pendingTxnOffsets.get(producerId);
    entry.pendingTxnOffsets.delete(producerId);
    if (!commit || pending === undefined) return;
    for (const record of pending) {
      entry.coordinator.replayRecord(record);
      entry.latest.note(record);
    }
  }

  /** Appends the records as one batch and waits until it is committed; resolves with its base offset. */
  private async append(
    entry: PartitionCoordinator,
    records: readonly EncodedRecord[],
    fields: { producerId: bigint; producerEpoch: number; transactional: boolean } | null = null,
  ): Promise<number> {
    const { replica } = entry;
    if (records.length === 0) return replica.logEndOffset();
    const nowMs = this.options.clock.wallMs();
    const bytes = buildBatch(
      records.map((record) => ({ ...record, timestamp: nowMs })),
      fields === null ? {} : { ...fields, baseSequence: -1 },
    );
    entry.replayBytes += bytes.length;
    const ticket = replica.append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
    if ("errorCode" in ticket.placement) throw new Error(ticket.placement.errorMessage);
    const failure = await ticket.replicated;
    if (failure) throw new Error(failure.errorMessage);
    return ticket.placement.baseOffset;
  }

  /**
   * Restates the partition's live records at the end of its log, then moves the log start to the first of
   * them. Queued behind every step made so far, and ahead of every later one, so the restated state is the
   * state at that point of the log. Until the log start moves, a reload replays the old records and then
   * the restated ones, which is the same state again; a failure leaves just that.
   */
  private compactIfDue(partition: number, entry: PartitionCoordinator): void {
    const policy = this.options.compaction ?? compactionPolicyDefault;
    // A restatement would move the log start past the pending transactional offsets, losing them on a reload.
    if (entry.compacting || this.closed || entry.pendingTxnOffsets.size > 0) return;
    if (!compactionDue(entry.replayBytes, entry.restatedBytes, policy)) return;
    entry.compacting = true;
    const records = entry.latest.snapshot();
    const compacted = entry.persisting.then(() => this.restate(entry, records));
    entry.persisting = compacted.catch(() => {});
    void compacted
      .then(
        (logStart) =>
          this.options.logger.info("compacted group records", {
            partition,
            records: records.length,
            bytes: entry.restatedBytes,
            logStart,
          }),
        (error: unknown) => {
          // Tried again once as much more is to replay, not after every step.
          entry.restatedBytes = entry.replayBytes;
          this.options.logger.warn("compacting group records failed", { partition, error });
        },
      )
      .finally(() => {
        entry.compacting = false;
      });
  }

  /** Appends `records` again, then moves the log start to the first of them; resolves with the new start. */
  private async restate(entry: PartitionCoordinator, records: readonly PartitionRecord[]): Promise<number> {
    const replayBytesBefore = entry.replayBytes;
    let firstOffset: number | null = null;
    for (const batch of batchesOf(records)) {
      const baseOffset = await this.append(entry, batch);
      firstOffset ??= baseOffset;
    }
    // Runs alone in the partition's append queue: every byte appended meanwhile is restated state.
    entry.restatedBytes = entry.replayBytes - replayBytesBefore;
    entry.replayBytes = entry.restatedBytes;
    // No live record at all: everything before the end can go.
    const logStart = firstOffset ?? entry.replica.highWatermark.value;
    const moved = await entry.replica.deleteRecordsBefore(logStart);
    if (typeof moved !== "number") throw new Error(moved.errorMessage);
    return moved;
  }

  private complete(completions: PartitionStep["completions"]): void {
    for (const completion of completions) {
      const pending = this.pending.get(completion.requestToken);
      if (!pending) continue;
      this.pending.delete(completion.requestToken);
      pending.resolve(completion.response);
    }
  }

  private armTick(partition: number, entry: PartitionCoordinator): void {
    entry.cancelTick?.();
    entry.cancelTick = null;
    const deadline = entry.coordinator.nextDeadlineMs();
    if (deadline === null) return;
    const delayMs = Math.max(0, deadline - this.options.clock.wallMs());
    entry.cancelTick = this.options.scheduler.setTimeout(() => {
      entry.cancelTick = null;
      const output = entry.coordinator.tick(this.options.clock.wallMs());
      void this.persist(partition, entry, output);
    }, delayMs);
  }

  private entryFor(partition: number): PartitionCoordinator | CoordinatorUnavailable {
    const replica = this.options.replicaOf(partition);
    if (!replica?.isLeader()) return "NOT_COORDINATOR";
    const entry = this.coordinators.get(partition);
    if (entry && entry.replica === replica && entry.leaderEpoch === replica.leaderEpoch()) return entry;
    if (entry) entry.cancelTick?.();
    // A new leader has not yet committed everything its log holds: loading now would miss groups.
    if (replica.highWatermark.value < replica.logEndOffset()) return "NOT_COORDINATOR";
    return this.loadEntry(partition, replica);
  }

  /**
   * Becoming the leader of this partition (or starting up): rebuilds its groups from its records. A load that
   * fails is logged and answered COORDINATOR_NOT_AVAILABLE (group requests then get NOT_COORDINATOR, as
   * Kafka answers for a coordinator whose load failed): a client retries that, where an exception would close
   * its connection.
   */
  private loadEntry(
    partition: number,
    replica: PartitionReplica,
  ): PartitionCoordinator | "COORDINATOR_NOT_AVAILABLE" {
    const nowMs = this.options.clock.wallMs();
    const failed = this.failedLoads.get(partition);
    if (failed?.replica === replica && nowMs < failed.retryAtMs) return "COORDINATOR_NOT_AVAILABLE";
    let loaded: ReturnType<GroupService["load"]>;
    try {
      loaded = this.load(partition, replica);
    } catch (error) {
      this.options.logger.error("loading groups failed", { partition, retryInMs: loadRetryBackoffMs, error });
      this.failedLoads.set(partition, { replica, retryAtMs: nowMs + loadRetryBackoffMs });
      return "COORDINATOR_NOT_AVAILABLE";
    }
    this.failedLoads.delete(partition);
    const entry: PartitionCoordinator = {
      coordinator: loaded.coordinator,
      replica,
      leaderEpoch: replica.leaderEpoch(),
      cancelTick: null,
      persisting: Promise.resolve(),
      latest: loaded.latest,
      replayBytes: loaded.replayedBytes,
      restatedBytes: 0,
      compacting: false,
      pendingTxnOffsets: loaded.pendingTxnOffsets,
    };
    this.coordinators.set(partition, entry);
    this.armRetention();
    // What loading decided (expired sessions, oversized groups) is persisted like any other step.
    void this.persist(partition, entry, loaded.loadOutput);
    const deferred = this.takeDeferredDeletions(partition, replica);
    if (deferred.length > 0) {
      void this.persist(partition, entry, entry.coordinator.deletePartitionOffsets(deferred, nowMs));
    }
    return entry;
  }

  /** A coordinator holding every group and offset the partition's committed records describe. */
  private load(
    partition: number,
    replica: PartitionReplica,
  ): {
    coordinator: PartitionGroups;
    latest: LatestRecords;
    replayedBytes: number;
    loadOutput: PartitionStep;
    pendingTxnOffsets: Map<bigint, PartitionRecord[]>;
  } {
    const latest = new LatestRecords();
    const coordinator = new PartitionGroups({
      classicConfig: this.options.config,
      consumerConfig: this.options.consumerConfig,
      consumerGroupConfig: this.options.consumerGroupConfig,
      newUuid: this.options.newUuid,
      topics: this.options.topics,
    });
    const highWatermark = replica.highWatermark.value;
    let offset = replica.logStartOffset();
    let recordCount = 0;
    let replayedBytes = 0;
    const pendingTxnOffsets = new Map<bigint, PartitionRecord[]>();
    while (offset < highWatermark) {
      const read = replica.read(offset, { maxBytes: loadReadBytes, maxOffset: highWatermark });
      if ("errorCode" in read)
        throw new Error(`loading groups of partition ${partition}: ${read.errorMessage}`);
      if (read.records.length === 0) break;
      const { spans } = scanBatches(read.records, { verifyCrc: false });
      for (const span of spans) {
        replayedBytes += span.size;
        const batch = read.records.subarray(span.position, span.position + span.size);
        const header = readBatchHeader(batch);
        offset = Number(header.baseOffset) + header.lastOffsetDelta + 1;
        if (isControlBatch(header.attributes)) {
          const commit = markerOfBatch(batch, header);
          const settled = commit === null ? undefined : pendingTxnOffsets.get(header.producerId);
          pendingTxnOffsets.delete(header.producerId);
          for (const record of commit === true ? (settled ?? []) : []) {
            coordinator.replayRecord(record);
            latest.note(record);
          }
        } else if (isTransactionalBatch(header.attributes)) {
          const pending = pendingTxnOffsets.get(header.producerId) ?? [];
          pending.push(...this.decodeBatch(partition, batch));
          pendingTxnOffsets.set(header.producerId, pending);
        } else {
          recordCount += this.replayBatch(partition, batch, coordinator, latest);
        }
      }
    }
    this.options.logger.debug("loaded groups", { partition, records: recordCount, upTo: highWatermark });
    const loadOutput = coordinator.onLoadComplete(this.options.clock.wallMs());
    return { coordinator, latest, replayedBytes, loadOutput, pendingTxnOffsets };
  }

  /** A transactional batch's records, held until its marker (undecodable ones skipped as in replayBatch). */
  private decodeBatch(partition: number, batch: Uint8Array): PartitionRecord[] {
    const decoded: PartitionRecord[] = [];
    for (const record of readAllRecords(batch, { decompressedBytesMax: loadReadBytes * 64 })) {
      const result = decodePartitionRecord(record.key, record.value);
      if (result.ok) decoded.push(result.record);
      else
        this.options.logger.warn("skipping a transactional offset record", {
          partition,
          reason: result.reason,
        });
    }
    return decoded;
  }

  /**
   * Replays one batch's records; returns how many it held. A record that does not decode, or of a key type
   * not known here, is skipped with a warning. Kafka's loader (CoordinatorLoaderImpl) skips unknown key types
   * the same way but fails the whole load on a record that does not deserialize — and a partition that never
   * loads again takes every group on it down until someone edits the log by hand. Skipping loses only what
   * that one record said (an offset or a group's state, which later records usually restate), so skip.
   */
  private replayBatch(
    partition: number,
    batch: Uint8Array,
    coordinator: PartitionGroups,
    latest: LatestRecords,
  ): number {
    const baseOffset = Number(readBatchHeader(batch).baseOffset);
    const records = readAllRecords(batch, { decompressedBytesMax: loadReadBytes * 64 });
    for (const record of records) {
      const decoded = decodePartitionRecord(record.key, record.value);
      if (decoded.ok) {
        coordinator.replayRecord(decoded.record);
        latest.note(decoded.record);
        continue;
      }
      this.options.logger.warn("skipping a __consumer_offsets record that does not decode", {
        partition,
        offset: baseOffset + record.offsetDelta,
        reason: decoded.reason,
      });
    }
    return records.length;
  }

  /**
   * Deletes every group's offsets of partitions the metadata no longer has, as Kafka's onPartitionsDeleted
   * does, on every __consumer_offsets partition led here — loading those not loaded yet — and writes the
   * tombstones, so the deletion survives a restart. A partition led here that cannot load now gets the
   * deletion when it does; partitions led elsewhere are their leaders' to clean.
   *
   * Offsets are keyed by topic name (Kafka's OffsetCommitKey has no topic id), so these tombstones would
   * also delete offsets committed to a topic created again under the same name — were there any yet. There
   * cannot be: OffsetCommit accepts only partitions this node's metadata shows, and this runs in the same
   * synchronous turn that applied the metadata records (the node's metadata follower), before any request can
   * see the new topic. The coordinator drops the offsets from memory at once, and the tombstones join the
   * partition's append queue ahead of every later step's records. So even when deletion and re-creation are
   * applied together (the follower sees the old topic id replaced by a new one), each commit to the new topic
   * is made, and appended, after the old topic's tombstones. A partition not loaded here holds no commit to
   * the new topic either, since only a loaded coordinator accepts commits. What is left: a restart after the
   * metadata change but before the tombstones are durable (or a deferred deletion applied) keeps the old
   * offsets — Kafka has the same window, and deletes only on coordinators loaded at the time.
   */
  onPartitionsDeleted(deleted: readonly DeletedPartitions[]): void {
    if (deleted.length === 0 || this.closed) return;
    const nowMs = this.options.clock.wallMs();
    for (let partition = 0; partition < this.options.offsetsPartitions; partition++) {
      const entry = this.entryFor(partition);
      if (typeof entry !== "string") {
        void this.persist(partition, entry, entry.coordinator.deletePartitionOffsets(deleted, nowMs));
        continue;
      }
      const replica = this.options.replicaOf(partition);
      if (replica?.isLeader()) this.deferDeletions(partition, replica, deleted);
    }
  }

  private deferDeletions(
    partition: number,
    replica: PartitionReplica,
    deleted: readonly DeletedPartitions[],
  ): void {
    let deferred = this.deferredDeletions.get(partition);
    if (deferred?.replica !== replica) {
      deferred = { replica, partitionsByTopic: new Map() };
      this.deferredDeletions.set(partition, deferred);
    }
    for (const { topic, partitions } of deleted) {
      const known = deferred.partitionsByTopic.get(topic) ?? new Set();
      for (const index of partitions) known.add(index);
      deferred.partitionsByTopic.set(topic, known);
    }
  }

  private takeDeferredDeletions(partition: number, replica: PartitionReplica): DeletedPartitions[] {
    const deferred = this.deferredDeletions.get(partition);
    this.deferredDeletions.delete(partition);
    if (deferred?.replica !== replica) return [];
    return [...deferred.partitionsByTopic].map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions],
    }));
  }

  /**
   * Offset retention on every partition led here (Kafka's offsets.retention.ms rules; a consumer group's offsets
   * of its subscribed topics are kept); the tombstones are persisted like any other step's records.
   */
  async expireOffsets(): Promise<void> {
    const nowMs = this.options.clock.wallMs();
    await Promise.all(
      [...this.ledHere()].map(([partition, entry]) =>
        this.persist(partition, entry, entry.coordinator.expireOffsets(nowMs)),
      ),
    );
  }

  /** One timer for the whole node, armed once a partition is led here, re-armed after each run. */
  private armRetention(): void {
    if (this.cancelRetention !== null || this.closed) return;
    const intervalMs = this.options.offsetsRetentionCheckIntervalMs ?? offsetsRetentionCheckIntervalMsDefault;
    this.cancelRetention = this.options.scheduler.setTimeout(() => {
      this.cancelRetention = null;
      void this.expireOffsets().finally(() => this.armRetention());
    }, intervalMs);
  }

  /** Stops every timer (shutdown). */
  close(): void {
    this.closed = true;
    this.cancelRetention?.();
    this.cancelRetention = null;
    for (const entry of this.coordinators.values()) entry.cancelTick?.();
  }
}

/** The records encoded, in consecutive groups of about compactionBatchBytes each. */
function* batchesOf(records: readonly PartitionRecord[]): Generator<EncodedRecord[]> {
  let batch: EncodedRecord[] = [];
  let batchBytes = 0;
  for (const record of records) {
    const encoded = encodePartitionRecord(record);
    batch.push(encoded);
    batchBytes += encoded.key.length + (encoded.value?.length ?? 0);
    if (batchBytes < compactionBatchBytes) continue;
    yield batch;
    batch = [];
    batchBytes = 0;
  }
  if (batch.length > 0) yield batch;
}
