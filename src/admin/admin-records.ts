// Records through the admin API: Produce (acks=all, keyed records placed by Kafka's murmur2 partitioner),
// a server-streaming Consume from an offset or a time, bounded by a count, a time or the log's end, and
// DeleteRecords. Produce and DeleteRecords need the partition's leader; Consume reads any replica this node
// hosts (a follower serves what it has committed, as Fetch from followers does). A partition this node cannot
// serve is answered FAILED_PRECONDITION naming its leader.

import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import { validateForTopic } from "../broker/handlers/produce.ts";
import { WatermarkClosedError } from "../cluster/high-watermark.ts";
import { internalTopicNames } from "../cluster/internal-topics.ts";
import type { TopicMetadata } from "../cluster/metadata/metadata-state.ts";
import type { PartitionReplica } from "../cluster/partition-replica.ts";
import {
  ConsumedRecordSchema,
  type ConsumeRequest,
  type ConsumeResponse,
  ConsumeResponseSchema,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  DeleteRecordsResponseSchema,
  PartitionLowWatermarkSchema,
  PartitionPositionSchema,
  ProducedRecordSchema,
  type ProduceRequest,
  type ProduceResponse,
  ProduceResponseSchema,
  RecordHeaderSchema,
} from "../gen/chronik/admin/v1/admin_pb.ts";
import { buildBatch } from "../protocol/records/batch-builder.ts";
import { isControlBatch, readBatchHeader, scanBatches } from "../protocol/records/batch-header.ts";
import { batchRecords } from "../protocol/records/batch-records.ts";
import { elsewhere, failedPrecondition, invalidArgument, requireTopic, unavailable } from "./admin-errors.ts";
import type { AdminNode } from "./admin-node.ts";
import {
  bounded,
  int32Max,
  int64From,
  listOf,
  parseRequest,
  partitionIndex,
  topicName,
} from "./admin-validation.ts";
import { partitionForKey } from "./kafka-partitioner.ts";
import { recordDataBytes, recordDataOf } from "./record-data.ts";

/** Records one Produce call may carry (its bytes are bounded by the admin API's request size). */
const produceRecordsMax = 10_000;
const headersPerRecordMax = 1_000;
/** How long a Produce waits for its records to be committed. */
const produceReplicationMsMax = 30_000;
/** The Produce version whose rules an admin Produce's records are checked by (the newest the broker serves). */
const produceApiVersion = 11;
/** A Consume stream ends after this long at most (a client wanting more starts another from where it stood). */
export const consumeStreamMsMax = 3_600_000;
/** A quiet Consume stream says where it stands this often, so proxies and clients see it alive. */
export const consumeProgressIntervalMs = 5_000;
/** One read of one partition takes at most this much (at least one whole batch). */
const consumeReadBytes = 256 * 1024;
/** The most a stored compressed batch may inflate to while a Consume reads it. */
const consumeDecompressedBytesMax = 64 * 1024 * 1024;

// ---- produce ----------------------------------------------------------------------------------------------

const produceSchema = v.object({
  topic: topicName,
  records: v.pipe(
    v.array(
      v.object({
        headers: listOf(v.object({ key: v.pipe(v.string(), v.maxLength(32_767)) }), headersPerRecordMax),
        partition: v.optional(partitionIndex),
        timestampMs: v.optional(int64From(0n)),
      }),
    ),
    v.minLength(1, "give at least one record"),
    v.maxLength(produceRecordsMax, `at most ${produceRecordsMax} records per call`),
  ),
});

interface PlacedRecord {
  index: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Array<{ key: string; value: Uint8Array | null }>;
  timestampMs: number;
}

function refuseInternal(topic: TopicMetadata): void {
  if (internalTopicNames.has(topic.name)) {
    throw invalidArgument(`topic: cannot append to internal topic ${topic.name}`);
  }
}

/** The request's records by partition, in request order: explicit, by key, else one random partition. */
function placeRecords(
  node: AdminNode,
  topic: TopicMetadata,
  request: ProduceRequest,
): Map<number, PlacedRecord[]> {
  const partitionCount = topic.partitions.length;
  const nowMs = node.clock.wallMs();
  let sticky: number | undefined;
  const byPartition = new Map<number, PlacedRecord[]>();
  request.records.forEach((record, index) => {
    const field = `records.${index}`;
    const key = recordDataBytes(record.key, `${field}.key`);
    let partition = record.partition;
    if (partition !== undefined && partition >= partitionCount) {
      throw invalidArgument(
        `${field}.partition: topic "${topic.name}" has ${partitionCount} partitions, no ${partition}`,
      );
    }
    if (partition === undefined && key !== null) partition = partitionForKey(key, partitionCount);
    if (partition === undefined) {
      sticky ??= node.context.randomIndex(partitionCount);
      partition = sticky;
    }
    const placed: PlacedRecord = {
      index,
      key,
      value: recordDataBytes(record.value, `${field}.value`),
      headers: record.headers.map((header, headerIndex) => ({
        key: header.key,
        value: recordDataBytes(header.value, `${field}.headers.${headerIndex}.value`),
      })),
      timestampMs: record.timestampMs === undefined ? nowMs : Number(record.timestampMs),
    };
    const list = byPartition.get(partition) ?? [];
    list.push(placed);
    byPartition.set(partition, list);
  });
  return byPartition;
}

/** The partition's records as one validated batch, as the Produce handler would take it from a client. */
function validatedBatch(
  node: AdminNode,
  topic: TopicMetadata,
  partition: number,
  records: readonly PlacedRecord[],
) {
  const { context } = node;
  const batch = buildBatch(
    records.map((record) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestampMs,
    })),
  );
  const validated = validateForTopic(context, topic, partition, batch, {
    apiVersion: produceApiVersion,
    nowMs: node.clock.wallMs(),
  });
  if (!validated.ok) throw invalidArgument(`records: ${validated.errorMessage}`);
  return validated;
}

export async function produce(node: AdminNode, request: ProduceRequest): Promise<ProduceResponse> {
  const checked = parseRequest(produceSchema, request);
  const topic = requireTopic(node.context, checked.topic);
  refuseInternal(topic);
  const byPartition = placeRecords(node, topic, request);
  // Every partition is checked before anything is appended: a call refused here wrote nothing.
  const batches = [...byPartition].map(([partition, records]) => {
    const replica = node.context.replicas.byName(topic.name, partition);
    if (!replica?.isLeader()) throw elsewhere(node.context, topic, partition, "the leader");
    return { partition, records, replica, batch: validatedBatch(node, topic, partition, records) };
  });
  const offsets = new Array<{ partition: number; offset: bigint }>(request.records.length);
  await Promise.all(
    batches.map(async ({ partition, records, replica, batch }) => {
      const ticket = replica.append({ bytes: batch.batch, header: batch.header }, { acks: -1 });
      if ("errorCode" in ticket.placement)
        throw unavailable(`${topic.name}-${partition}: ${ticket.placement.errorMessage}`);
      const baseOffset = ticket.placement.baseOffset;
      const failure = await withTimeout(node, ticket.replicated, produceReplicationMsMax);
      if (failure === "timeout") {
        throw unavailable(`${topic.name}-${partition}: not committed within ${produceReplicationMsMax} ms`);
      }
      if (failure !== null) throw unavailable(`${topic.name}-${partition}: ${failure.errorMessage}`);
      records.forEach((record, position) => {
        offsets[record.index] = { partition, offset: BigInt(baseOffset + position) };
      });
    }),
  );
  return create(ProduceResponseSchema, {
    records: offsets.map((entry) => create(ProducedRecordSchema, entry)),
  });
}

function withTimeout<T>(node: AdminNode, promise: Promise<T>, timeoutMs: number): Promise<T | "timeout"> {
  return new Promise((resolve, reject) => {
    const cancel = node.scheduler.setTimeout(() => resolve("timeout"), timeoutMs);
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error) => {
        cancel();
        reject(error);
      },
    );
  });
}

// ---- consume ----------------------------------------------------------------------------------------------

const consumeSchema = v.object({
  topic: topicName,
  partitions: listOf(partitionIndex, 100_000),
  maxRecords: bounded(0, int32Max),
  timeoutMs: bounded(0, consumeStreamMsMax),
  stopAtEnd: v.boolean(),
});

interface Cursor {
  partition: number;
  replica: PartitionReplica;
  next: number;
  /** stopAtEnd: where the partition ended when the call began. */
  end: number;
}

function startOffset(replica: PartitionReplica, start: ConsumeRequest["start"]): number {
  const first = replica.logStartOffset();
  const end = replica.consumerHighWatermark();
  const clamp = (offset: number) => Math.min(Math.max(offset, first), end);
  switch (start.case) {
    case "fromEnd":
      return end;
    case "offset":
      return clamp(parseRequest(v.object({ offset: int64From(0n) }), { offset: start.value }).offset);
    case "timestampMs": {
      const { timestampMs } = parseRequest(v.object({ timestampMs: int64From(0n) }), {
        timestampMs: start.value,
      });
      return clamp(replica.offsetForTimestamp(timestampMs)?.offset ?? end);
    }
    default:
      return first;
  }
}

function openCursors(
  node: AdminNode,
  topic: TopicMetadata,
  request: ConsumeRequest,
  partitions: number[],
): Cursor[] {
  const { context } = node;
  const chosen = partitions.length > 0 ? [...new Set(partitions)] : topic.partitions.map((_, p) => p);
  return chosen.map((partition) => {
    if (partition >= topic.partitions.length) {
      throw invalidArgument(
        `partitions: topic "${topic.name}" has ${topic.partitions.length} partitions, no ${partition}`,
      );
    }
    const replica = context.replicas.byName(topic.name, partition);
    if (replica === undefined) throw elsewhere(context, topic, partition, "a replica");
    if (!replica.isLeader() && !context.fetchFromFollowers)
      throw elsewhere(context, topic, partition, "the leader");
    return {
      partition,
      replica,
      next: startOffset(replica, request.start),
      end: replica.consumerHighWatermark(),
    };
  });
}

export async function* consume(
  node: AdminNode,
  request: ConsumeRequest,
  signal: AbortSignal,
): AsyncGenerator<ConsumeResponse> {
  const checked = parseRequest(consumeSchema, request);
  const topic = requireTopic(node.context, checked.topic);
  const cursors = openCursors(node, topic, request, checked.partitions);
  const recordsMax = checked.maxRecords === 0 ? Number.POSITIVE_INFINITY : checked.maxRecords;
  const deadlineMs =
    node.clock.monotonicMs() + (checked.timeoutMs === 0 ? consumeStreamMsMax : checked.timeoutMs);
  let sent = 0;
  let lastSentMs = node.clock.monotonicMs();
  for (;;) {
    let readAny = false;
    for (const cursor of cursors) {
      for (const record of readRecords(topic, cursor)) {
        yield record;
        readAny = true;
        sent += 1;
        if (sent >= recordsMax) return;
      }
    }
    if (readAny) lastSentMs = node.clock.monotonicMs();
    if (checked.stopAtEnd && cursors.every((cursor) => cursor.next >= cursor.end)) return;
    if (signal.aborted || node.clock.monotonicMs() >= deadlineMs) return;
    if (readAny) continue;
    const waitMs = Math.min(deadlineMs, lastSentMs + consumeProgressIntervalMs) - node.clock.monotonicMs();
    await anyCommit(node, cursors, waitMs, signal);
    if (node.clock.monotonicMs() - lastSentMs >= consumeProgressIntervalMs) {
      lastSentMs = node.clock.monotonicMs();
      yield progress(sent, cursors);
    }
  }
}

/** The records of one read at the cursor (possibly none), moving it on. */
function* readRecords(topic: TopicMetadata, cursor: Cursor): Generator<ConsumeResponse> {
  const { replica } = cursor;
  const end = replica.consumerHighWatermark();
  if (cursor.next < replica.logStartOffset()) cursor.next = replica.logStartOffset();
  if (cursor.next >= end) return;
  const read = replica.read(cursor.next, { maxBytes: consumeReadBytes, maxOffset: end });
  if ("errorCode" in read) throw unavailable(`${topic.name}-${cursor.partition}: ${read.errorMessage}`);
  const { spans } = scanBatches(read.records, { verifyCrc: false });
  for (const span of spans) {
    const bytes = read.records.subarray(span.position, span.position + span.size);
    const header = readBatchHeader(bytes);
    const baseOffset = Number(header.baseOffset);
    const nextOffset = baseOffset + header.lastOffsetDelta + 1;
    if (!isControlBatch(header.attributes)) {
      for (const record of batchRecords(bytes, { decompressedBytesMax: consumeDecompressedBytesMax })) {
        const offset = baseOffset + record.offsetDelta;
        if (offset < cursor.next || offset >= end) continue;
        yield create(ConsumeResponseSchema, {
          item: {
            case: "record",
            value: create(ConsumedRecordSchema, {
              partition: cursor.partition,
              offset: BigInt(offset),
              timestampMs: BigInt(record.timestamp),
              key: recordDataOf(record.key),
              value: recordDataOf(record.value),
              headers: record.headers.map((h) =>
                create(RecordHeaderSchema, { key: h.key, value: recordDataOf(h.value) }),
              ),
            }),
          },
        });
      }
    }
    cursor.next = Math.max(cursor.next, Math.min(nextOffset, end));
  }
}

/** Waits until some partition commits more, `waitMs` passes, or the client goes away. */
async function anyCommit(node: AdminNode, cursors: readonly Cursor[], waitMs: number, signal: AbortSignal) {
  if (waitMs <= 0) return;
  const waited = new AbortController();
  const cancel = node.scheduler.setTimeout(() => waited.abort(), waitMs);
  const both = AbortSignal.any([waited.signal, signal]);
  try {
    await Promise.race(
      cursors.map((cursor) =>
        cursor.replica.highWatermark.waitFor(cursor.replica.highWatermark.value + 1, both),
      ),
    );
  } catch (error) {
    if (error instanceof WatermarkClosedError)
      throw unavailable(`a partition stopped serving here: ${error.message}`);
    throw error;
  } finally {
    cancel();
    waited.abort();
  }
}

function progress(sent: number, cursors: readonly Cursor[]): ConsumeResponse {
  return create(ConsumeResponseSchema, {
    item: {
      case: "progress",
      value: {
        records: BigInt(sent),
        partitions: cursors.map((cursor) =>
          create(PartitionPositionSchema, {
            partition: cursor.partition,
            nextOffset: BigInt(cursor.next),
            highWatermark: BigInt(cursor.replica.consumerHighWatermark()),
          }),
        ),
      },
    },
  });
}

// ---- delete records ---------------------------------------------------------------------------------------

const deleteRecordsSchema = v.object({
  topic: topicName,
  partitions: v.pipe(
    listOf(v.object({ partition: partitionIndex, offset: int64From(-1n) }), 100_000),
    v.minLength(1, "give at least one partition"),
  ),
});

export async function deleteRecords(
  node: AdminNode,
  request: DeleteRecordsRequest,
): Promise<DeleteRecordsResponse> {
  const checked = parseRequest(deleteRecordsSchema, request);
  const topic = requireTopic(node.context, checked.topic);
  // Kafka's ReplicaManager refuses internal topics: cutting __consumer_offsets would drop committed offsets.
  refuseInternal(topic);
  const replicas = checked.partitions.map(({ partition, offset }, index) => {
    if (partition >= topic.partitions.length) {
      throw invalidArgument(
        `partitions.${index}.partition: topic "${topic.name}" has ${topic.partitions.length} partitions, no ${partition}`,
      );
    }
    const replica = node.context.replicas.byName(topic.name, partition);
    if (!replica?.isLeader()) throw elsewhere(node.context, topic, partition, "the leader");
    // Checked for every partition before any is cut: a refused call deletes nothing.
    if (offset > replica.highWatermark.value) {
      throw failedPrecondition(
        `partitions.${index}.offset: ${offset} is past the high watermark ${replica.highWatermark.value} of ${topic.name}-${partition}`,
      );
    }
    return { partition, offset, replica };
  });
  const partitions = await Promise.all(
    replicas.map(async ({ partition, offset, replica }) => {
      const target = offset === -1 ? replica.highWatermark.value : offset;
      const moved = await replica.deleteRecordsBefore(target);
      if (typeof moved !== "number") {
        throw failedPrecondition(`${topic.name}-${partition}: ${moved.errorMessage}`);
      }
      return create(PartitionLowWatermarkSchema, { partition, lowWatermark: BigInt(moved) });
    }),
  );
  node.context.logger.info("deleted records", {
    topic: topic.name,
    partitions: partitions.length,
    via: "admin api",
  });
  return create(DeleteRecordsResponseSchema, { partitions });
}
