// Fetch v0–17 for consumers. Reads whole batches up to the high watermark; if fewer than minBytes are there, the
// request waits on the partitions' high-watermark notifiers (the same ones acks=-1 produces wait on) until data
// commits, maxWaitMs passes, or the connection closes. maxBytes bounds the response's records as in KIP-74: only
// the first batch of the first partition with data may exceed it (or its partition's limit), so a consumer always
// makes progress. Incremental fetch sessions (KIP-227) trim requests and responses; v13+ names topics by id;
// v0–3 get magic 0/1 message sets converted down. At isolation level 1 (read_committed, v4+) reads stop at the
// last stable offset and the response names the aborted transactions they overlap (KIP-98).

import type { Clock, Scheduler } from "../../base/clock.ts";
import type { AbortedTransaction } from "../../cluster/aborted-transactions.ts";
import type { PartitionReplica, ReadOutcome, ReplicaError } from "../../cluster/partition-replica.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createFetchResponse,
  createFetchResponseAbortedTransaction,
  createFetchResponseFetchableTopicResponse,
  createFetchResponsePartitionData,
} from "../../protocol/messages/fetch.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { ProtocolError } from "../../protocol/protocol-error.ts";
import { batchesToMessageSet } from "../../protocol/records/legacy-convert.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { consumerFetchBytesMax } from "../client-quota-enforcer.ts";
import { withoutControlBatches } from "../control-batch-filter.ts";
import {
  type FetchSessionCache,
  type PartitionOutcome,
  partitionKey,
  type SessionPartition,
} from "../fetch-sessions.ts";
import {
  type CurrentLeader,
  LeaderHints,
  noLeader,
  notLeaderHere,
  partitionExists,
} from "../leader-hints.ts";

type FetchRequest = ApiMessages[1]["request"];
type FetchResponse = ApiMessages[1]["response"];
type PartitionData = FetchResponse["responses"][number]["partitions"][number];

/** Ceiling on any one fetch's wait, whatever the client asks: a stuck request must end. */
export const fetchWaitMsMax = 30_000;
/** The most a down-conversion (Fetch v0–3) may inflate compressed batches to. */
const downConvertBytesMax = 64 * 1024 * 1024;

/** Fetch v2 is the first to carry magic-1 message sets (v0–1 get magic 0). */
const magicOneVersionMin = 2;
/** Fetch v3 is the first with a response-wide maxBytes (KIP-74). */
const responseMaxBytesVersionMin = 3;
/** Fetch v4 is the first to carry magic-2 record batches as they are stored; older ones get them converted. */
const recordBatchVersionMin = 4;
/** Fetch v11 is the first to name the consumer's rack (KIP-392). */
const rackIdVersionMin = 11;
/** Fetch v13 is the first to name topics by id. */
const topicIdsVersionMin = 13;

/** FetchRequest.isolationLevel: 1 is READ_COMMITTED. */
const readCommitted = 1;

interface PartitionRead {
  key: string;
  /** The last stable offset when read; -1 on an error. */
  lastStableOffset: number;
  /** read_committed: the aborted transactions the records overlap; null at read_uncommitted. */
  aborted: AbortedTransaction[] | null;
  request: SessionPartition;
  replica: PartitionReplica | null;
  outcome: ReadOutcome | ReplicaError;
  /** NOT_LEADER_OR_FOLLOWER: the leader to move to (KIP-951). */
  currentLeader: CurrentLeader;
  /** KIP-392: a caught-up replica in the consumer's rack to read from instead of this leader; -1 for none. */
  preferredReadReplica: number;
}

/**
 * KIP-392 (Kafka's RackAwareReplicaSelector): a leader outside the consumer's rack names an in-sync replica on a
 * live broker in that rack, and the consumer fetches from it from then on; -1 when the leader is as close.
 */
function preferredReadReplica(
  context: BrokerContext,
  replica: PartitionReplica,
  consumerRack: string,
): number {
  if (consumerRack === "" || !replica.isLeader()) return -1;
  const state = context.metadata.state;
  if (state.broker(context.nodeId)?.rack === consumerRack) return -1;
  const isr = context.partitions.leadership(replica.topicId, replica.partition)?.isr ?? [];
  const inRack = isr.find((id) => {
    const broker = state.broker(id);
    return id !== context.nodeId && broker !== undefined && !broker.fenced && broker.rack === consumerRack;
  });
  return inRack ?? -1;
}

/** A refusal that names the leader to move to. */
interface Redirect extends ReplicaError {
  currentLeader: CurrentLeader;
}

function isError(outcome: ReadOutcome | ReplicaError): outcome is ReplicaError {
  return "errorCode" in outcome;
}

function findReplica(
  context: BrokerContext,
  partition: SessionPartition,
  options: { byId: boolean; hints: LeaderHints },
): PartitionReplica | Redirect {
  const replica = options.byId
    ? context.replicas.byId(partition.topicKey, partition.partition)
    : context.replicas.byName(partition.topicKey, partition.partition);
  // A follower serves what it has committed (its own high watermark), unless only leaders may answer.
  const servesHere = replica !== undefined && (replica.isLeader() || context.fetchFromFollowers);
  if (!servesHere) {
    const state = context.metadata.state;
    const topic = options.byId ? state.topicById(partition.topicKey) : state.topicByName(partition.topicKey);
    if (!partitionExists(topic, partition.partition)) {
      const errorCode = options.byId ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition;
      return {
        errorCode,
        errorMessage: "this server does not host this topic-partition",
        currentLeader: noLeader,
      };
    }
    return { ...notLeaderHere, currentLeader: options.hints.currentLeader(topic, partition.partition) };
  }
  const epoch = partition.currentLeaderEpoch;
  if (epoch >= 0 && epoch < replica.leaderEpoch())
    return { errorCode: ErrorCode.FencedLeaderEpoch, errorMessage: "", currentLeader: noLeader };
  if (epoch > replica.leaderEpoch())
    return { errorCode: ErrorCode.UnknownLeaderEpoch, errorMessage: "", currentLeader: noLeader };
  return replica;
}

/** Reads of nothing but control batches that a fetch may skip past in one pass before answering empty. */
const controlOnlyReadsMax = 16;

/**
 * Committed batches from `offset`, control batches left out. A read that held only control batches moves past
 * them and reads again, so a consumer whose fetch offset sits on one is never answered empty forever.
 */
function readForConsumer(
  replica: PartitionReplica,
  offset: number,
  limits: { maxBytes: number; minOneBatch: boolean; maxOffset: number },
): ReadOutcome | ReplicaError {
  let from = offset;
  for (let attempt = 0; ; attempt++) {
    const outcome = replica.read(from, limits);
    if (isError(outcome) || outcome.records.length === 0) return outcome;
    const filtered = withoutControlBatches(outcome.records);
    if (filtered.records.length > 0 || filtered.nextOffset === null || attempt === controlOnlyReadsMax) {
      return { ...outcome, records: filtered.records };
    }
    from = filtered.nextOffset;
  }
}

/** One pass over the partitions, spending the response's byte budget in order. */
function readPartitions(
  context: BrokerContext,
  partitions: readonly SessionPartition[],
  options: {
    byId: boolean;
    maxBytes: number;
    hints: LeaderHints;
    consumerRack: string;
    isolationLevel: number;
  },
): { reads: PartitionRead[]; bytes: number } {
  let budget = options.maxBytes;
  let bytes = 0;
  const reads = partitions.map((request): PartitionRead => {
    const key = partitionKey(request.topicKey, request.partition);
    const found = findReplica(context, request, options);
    if ("errorCode" in found) {
      return {
        key,
        lastStableOffset: -1,
        aborted: null,
        request,
        replica: null,
        outcome: found,
        currentLeader: found.currentLeader,
        preferredReadReplica: -1,
      };
    }
    const committedOnly = options.isolationLevel === readCommitted;
    const lastStableOffset = found.lastStableOffset();
    const maxOffset = committedOnly ? lastStableOffset : found.highWatermark.value;
    const aborted = committedOnly ? found.abortedTransactions(request.fetchOffset, maxOffset) : null;
    const preferred = preferredReadReplica(context, found, options.consumerRack);
    if (preferred !== -1) {
      // Kafka answers such a partition without records: the consumer fetches them from the named replica.
      const outcome = nothingRead(found);
      return {
        key,
        lastStableOffset,
        aborted: null,
        request,
        replica: found,
        outcome,
        currentLeader: noLeader,
        preferredReadReplica: preferred,
      };
    }
    // KIP-74 (Kafka's ReplicaManager.readFromLog): every partition reads within what the budget has left and its
    // own limit; only until some data is in the response may one first batch exceed both (minOneMessage).
    const minOneBatch = bytes === 0;
    const maxBytes = Math.min(request.partitionMaxBytes, budget);
    const outcome =
      maxBytes <= 0 && !minOneBatch
        ? nothingRead(found)
        : readForConsumer(found, request.fetchOffset, {
            maxBytes: Math.max(maxBytes, 1),
            minOneBatch,
            maxOffset,
          });
    if (!isError(outcome)) {
      bytes += outcome.records.length;
      budget -= outcome.records.length;
    }
    return {
      key,
      lastStableOffset,
      aborted,
      request,
      replica: found,
      outcome,
      currentLeader: noLeader,
      preferredReadReplica: -1,
    };
  });
  return { reads, bytes };
}

function nothingRead(replica: PartitionReplica): ReadOutcome {
  return {
    records: new Uint8Array(0),
    highWatermark: replica.highWatermark.value,
    consumerHighWatermark: replica.consumerHighWatermark(),
    logStartOffset: replica.logStartOffset(),
  };
}

/**
 * Resolves when any partition's high watermark moves past what this pass saw (not merely past the fetch
 * offset: data below minBytes may already be committed), or when `signal` aborts.
 */
function anyCommit(reads: readonly PartitionRead[], signal: AbortSignal): Promise<unknown> {
  const aborted = new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  const waits = reads.flatMap((read) =>
    read.replica === null || isError(read.outcome)
      ? []
      : [read.replica.highWatermark.waitFor(read.outcome.highWatermark + 1, signal)],
  );
  return Promise.race([aborted, ...waits]);
}

function sessionPartitions(request: FetchRequest, byId: boolean): SessionPartition[] {
  return request.topics.flatMap((topic) =>
    topic.partitions.map((partition) => ({
      topicKey: byId ? topic.topicId : topic.topic,
      partition: partition.partition,
      fetchOffset: Number(partition.fetchOffset),
      partitionMaxBytes: partition.partitionMaxBytes,
      logStartOffset: Number(partition.logStartOffset),
      currentLeaderEpoch: partition.currentLeaderEpoch,
    })),
  );
}

function toPartitionData(read: PartitionRead, apiVersion: number): PartitionData {
  const outcome = read.outcome;
  const failed = isError(outcome);
  const hw = failed ? -1n : BigInt(outcome.consumerHighWatermark);
  let records = failed ? new Uint8Array(0) : outcome.records;
  let errorCode = failed ? outcome.errorCode : 0;
  if (!failed && apiVersion < recordBatchVersionMin && records.length > 0) {
    try {
      records = batchesToMessageSet(records, {
        magic: apiVersion < magicOneVersionMin ? 0 : 1,
        decompressedBytesMax: downConvertBytesMax,
      });
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      errorCode = ErrorCode.CorruptMessage;
      records = new Uint8Array(0);
    }
  }
  return {
    ...createFetchResponsePartitionData(),
    partitionIndex: read.request.partition,
    errorCode,
    highWatermark: hw,
    lastStableOffset: failed ? -1n : BigInt(read.lastStableOffset),
    logStartOffset: failed ? -1n : BigInt(outcome.logStartOffset),
    currentLeader: read.currentLeader,
    // Null at read_uncommitted, as Kafka answers (the default, [], would go out as an empty list).
    abortedTransactions:
      failed || read.aborted === null
        ? null
        : read.aborted.map((aborted) => ({
            ...createFetchResponseAbortedTransaction(),
            producerId: aborted.producerId,
            firstOffset: BigInt(aborted.firstOffset),
          })),
    preferredReadReplica: read.preferredReadReplica,
    records,
  };
}

function outcomesOf(reads: readonly PartitionRead[]): Map<string, PartitionOutcome> {
  return new Map(
    reads.map((read) => {
      const outcome = read.outcome;
      const failed = isError(outcome);
      return [
        read.key,
        {
          errorCode: failed ? outcome.errorCode : 0,
          highWatermark: failed ? -1 : outcome.consumerHighWatermark,
          lastStableOffset: failed ? -1 : read.lastStableOffset,
          logStartOffset: failed ? -1 : outcome.logStartOffset,
          recordBytes: failed ? 0 : outcome.records.length,
        },
      ];
    }),
  );
}

/** Groups the included partitions by topic, in the order they were read. */
function toResponseTopics(
  reads: readonly PartitionRead[],
  include: readonly string[],
  options: { byId: boolean; apiVersion: number },
) {
  const byKey = new Map(reads.map((read) => [read.key, read]));
  const topics: FetchResponse["responses"] = [];
  for (const key of include) {
    const read = byKey.get(key)!;
    let topic = topics.at(-1);
    const topicKey = read.request.topicKey;
    if (!topic || (options.byId ? topic.topicId : topic.topic) !== topicKey) {
      topic = createFetchResponseFetchableTopicResponse();
      if (options.byId) topic.topicId = topicKey;
      else topic.topic = topicKey;
      topics.push(topic);
    }
    topic.partitions.push(toPartitionData(read, options.apiVersion));
  }
  return topics;
}

/** `clock`'s monotonic half ages fetch sessions; `scheduler` ends the long poll at maxWaitMs. */
export function fetchHandler(
  context: BrokerContext,
  sessions: FetchSessionCache,
  time: { clock: Clock; scheduler: Scheduler },
) {
  return defineHandler({
    apiKey: ApiKey.Fetch,
    minVersion: 0,
    maxVersion: 17,
    async handle(request, { apiVersion, connection, clientId }) {
      const byId = apiVersion >= topicIdsVersionMin;
      const forgotten = request.forgottenTopicsData.flatMap((topic) =>
        topic.partitions.map((partition) => ({ topicKey: byId ? topic.topicId : topic.topic, partition })),
      );
      const plan = sessions.plan(
        {
          sessionId: request.sessionId,
          sessionEpoch: request.sessionEpoch,
          partitions: sessionPartitions(request, byId),
          forgotten,
        },
        time.clock.monotonicMs(),
      );
      if (typeof plan === "string") return { ...createFetchResponse(), errorCode: errorCodeByName(plan) };
      const requestMaxBytes =
        apiVersion >= responseMaxBytesVersionMin ? request.maxBytes : Number.MAX_SAFE_INTEGER;
      // A consumer under a byte-rate quota gets at most its quota window per response, as Kafka's KafkaApis does.
      const quotaMaxBytes =
        request.replicaId < 0
          ? consumerFetchBytesMax(context.metadata.state, connection.principal, clientId ?? "")
          : Number.MAX_SAFE_INTEGER;
      const maxBytes = Math.min(requestMaxBytes, quotaMaxBytes);
      const waitMs = Math.min(Math.max(request.maxWaitMs, 0), fetchWaitMsMax);
      const waited = new AbortController();
      const cancelWait = time.scheduler.setTimeout(() => waited.abort(), waitMs);
      const deadline = AbortSignal.any([waited.signal, connection.closed]);
      const hints = new LeaderHints(context, connection.listenerName);
      // Followers fetching for replication are Raft's business: only consumers (replicaId -1) get a preference.
      const consumerRack = apiVersion >= rackIdVersionMin && request.replicaId < 0 ? request.rackId : "";
      const isolationLevel = request.isolationLevel;
      const readOptions = { byId, maxBytes, hints, consumerRack, isolationLevel };
      let pass = readPartitions(context, plan.partitions, readOptions);
      try {
        while (
          pass.bytes < Math.min(request.minBytes, maxBytes) &&
          !deadline.aborted &&
          pass.reads.every((read) => !isError(read.outcome) && read.preferredReadReplica === -1)
        ) {
          await anyCommit(pass.reads, deadline);
          pass = readPartitions(context, plan.partitions, readOptions);
        }
      } finally {
        cancelWait();
      }
      const answer = plan.complete(outcomesOf(pass.reads), time.clock.monotonicMs());
      return {
        ...createFetchResponse(),
        sessionId: answer.sessionId,
        responses: toResponseTopics(pass.reads, answer.include, { byId, apiVersion }),
        nodeEndpoints: hints.nodeEndpoints(),
      } satisfies FetchResponse;
    },
  });
}
