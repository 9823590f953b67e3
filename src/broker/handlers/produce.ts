// Produce v0–11. Every partition's batch is validated and *placed* (given its offsets) synchronously, in request
// order, so produces pipelined on one connection never reorder; then the response waits until each placement
// is as durable as acks asks, or timeoutMs passes. acks=0 gets no response — and, as in Kafka, a closed
// connection when something failed, since that is the only way such a client can learn of it.

import type { Clock, Scheduler } from "../../base/clock.ts";
import { topicConfigValue } from "../../cluster/config-view.ts";
import { internalTopicNames } from "../../cluster/internal-topics.ts";
import type { TopicMetadata } from "../../cluster/metadata/metadata-state.ts";
import type { AppendTicket, ReplicaError } from "../../cluster/partition-replica.ts";
import { topicRecompression } from "../../cluster/topic-compression.ts";
import { topicConfigDefinition } from "../../cluster/topic-config-definitions.ts";
import { cleanupPolicyOf } from "../../cluster/topic-log-config.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createProduceResponse,
  createProduceResponseBatchIndexAndErrorMessage,
  createProduceResponsePartitionProduceResponse,
  createProduceResponseTopicProduceResponse,
} from "../../protocol/messages/produce.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { TimestampType } from "../../protocol/records/batch-header.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { closeConnection } from "../dispatcher.ts";
import { LeaderHints, notLeaderHere, partitionExists, unknownPartition } from "../leader-hints.ts";
import { timestampAfterMaxMsDefault, validateProducedRecords } from "../produce-validation.ts";

type ProduceRequest = ApiMessages[0]["request"];
type PartitionResponse = ApiMessages[0]["response"]["responses"][number]["partitionResponses"][number];

const maxMessageBytesDefinition = topicConfigDefinition("max.message.bytes")!;
const timestampTypeDefinition = topicConfigDefinition("message.timestamp.type")!;
const minInsyncReplicasDefinition = topicConfigDefinition("min.insync.replicas")!;

/** The most a compressed batch may inflate to when the broker must read its records. */
export const produceDecompressedBytesMax = 64 * 1024 * 1024;

interface PartitionOutcome {
  response: PartitionResponse;
  ticket: AppendTicket | null;
}

function partitionResponse(index: number, error: ReplicaError | null): PartitionResponse {
  return {
    ...createProduceResponsePartitionProduceResponse(),
    index,
    errorCode: error?.errorCode ?? 0,
    baseOffset: -1n,
    errorMessage: error?.errorMessage ?? null,
  };
}

/**
 * What Kafka's ReplicaManager and Partition.appendRecordsToLeader refuse before touching the log: clients may
 * not append to internal topics (only the broker's own coordinators write __consumer_offsets, and one record
 * it cannot read would break every group of that partition), and acks=all needs at least min.insync.replicas
 * replicas in sync.
 */
function refuseForTopic(
  context: BrokerContext,
  topic: TopicMetadata,
  partitionIndex: number,
  acks: 1 | -1,
): ReplicaError | null {
  if (internalTopicNames.has(topic.name)) {
    return {
      errorCode: ErrorCode.InvalidTopicException,
      errorMessage: `Cannot append to internal topic ${topic.name}`,
    };
  }
  if (acks !== -1) return null;
  const minInsync = Number(
    topicConfigValue(topic.configs, context.brokerStatic, minInsyncReplicasDefinition),
  );
  // A leader is always in its own ISR: the default of 1 needs no look-up on the hot path.
  if (minInsync <= 1) return null;
  const isr = context.partitions.leadership(topic.topicId, partitionIndex)?.isr ?? [];
  if (isr.length >= minInsync) return null;
  return {
    errorCode: ErrorCode.NotEnoughReplicas,
    errorMessage:
      `The size of the current ISR [${isr.join(", ")}] is insufficient to satisfy the min.isr requirement ` +
      `of ${minInsync} for partition ${topic.name}-${partitionIndex}`,
  };
}

/**
 * A produced batch checked against its topic's configs (max.message.bytes, message.timestamp.type, and
 * recompression to compression.type): the one place both the Kafka Produce handler and the admin API's Produce
 * decide what a topic accepts.
 */
export function validateForTopic(
  context: BrokerContext,
  topic: TopicMetadata,
  partitionIndex: number,
  records: Uint8Array | null,
  options: { apiVersion: number; nowMs: number },
) {
  return validateProducedRecords(records, {
    apiVersion: options.apiVersion,
    maxMessageBytes: Number(topicConfigValue(topic.configs, context.brokerStatic, maxMessageBytesDefinition)),
    timestampType:
      topicConfigValue(topic.configs, context.brokerStatic, timestampTypeDefinition) === "LogAppendTime"
        ? TimestampType.LogAppendTime
        : TimestampType.CreateTime,
    timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    timestampAfterMaxMs: timestampAfterMaxMsDefault,
    nowMs: options.nowMs,
    decompressedBytesMax: produceDecompressedBytesMax,
    recompression: topicRecompression(topic.configs, context.brokerStatic),
    compacted: cleanupPolicyOf(topic.configs, context.brokerStatic).compact,
    topicName: topic.name,
    partitionIndex,
  });
}

function placeOne(
  context: BrokerContext,
  topicName: string,
  partition: { index: number; records: Uint8Array | null },
  options: { acks: 1 | -1; apiVersion: number; nowMs: number; hints: LeaderHints },
): PartitionOutcome {
  const topic = context.metadata.state.topicByName(topicName);
  if (!partitionExists(topic, partition.index)) {
    return { response: partitionResponse(partition.index, unknownPartition), ticket: null };
  }
  const replica = context.replicas.byName(topicName, partition.index);
  if (!replica?.isLeader()) {
    const response = partitionResponse(partition.index, notLeaderHere);
    response.currentLeader = options.hints.currentLeader(topic, partition.index);
    return { response, ticket: null };
  }
  const refusal = refuseForTopic(context, topic, partition.index, options.acks);
  if (refusal) return { response: partitionResponse(partition.index, refusal), ticket: null };
  const validated = validateForTopic(context, topic, partition.index, partition.records, {
    apiVersion: options.apiVersion,
    nowMs: options.nowMs,
  });
  if (!validated.ok) {
    const response = partitionResponse(partition.index, validated);
    response.recordErrors = validated.recordErrors.map((error) => ({
      ...createProduceResponseBatchIndexAndErrorMessage(),
      batchIndex: error.batchIndex,
      batchIndexErrorMessage: error.message,
    }));
    return { response, ticket: null };
  }
  const ticket = replica.append({ bytes: validated.batch, header: validated.header }, { acks: options.acks });
  const response = partitionResponse(
    partition.index,
    "errorCode" in ticket.placement ? ticket.placement : null,
  );
  if (!("errorCode" in ticket.placement)) {
    response.baseOffset = BigInt(ticket.placement.baseOffset);
    response.logAppendTimeMs = BigInt(ticket.placement.logAppendTimeMs);
    response.logStartOffset = BigInt(replica.logStartOffset());
  }
  return { response, ticket: "errorCode" in ticket.placement ? null : ticket };
}

/**
 * Waits until every placed batch is replicated or the request's timeout passes, marking those that fail or
 * outlast it. One promise and one timer per request, whatever its partition count: this runs for every
 * produce, and each promise, closure and race it saves is garbage the collector's pauses would add to the
 * latency's tail (bench/RESULTS.md). The timer is cleared as soon as replication completes: an
 * uncancellable one per request (AbortSignal.timeout) kept ~30 s of requests' closures alive.
 */
function awaitReplication(
  outcomes: readonly PartitionOutcome[],
  timeoutMs: number,
  scheduler: Scheduler,
): Promise<void> {
  const placed = outcomes.filter((outcome) => outcome.ticket !== null);
  if (placed.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let waiting = placed.length;
    const cancelTimeout = scheduler.setTimeout(
      () => {
        waiting = 0;
        const timedOut = {
          errorCode: ErrorCode.RequestTimedOut,
          errorMessage: `not replicated within ${timeoutMs} ms`,
        };
        for (const outcome of placed) if (outcome.ticket !== null) markFailed(outcome, timedOut);
        resolve();
      },
      Math.max(timeoutMs, 0),
    );
    for (const outcome of placed) {
      outcome.ticket!.replicated.then(
        (error) => {
          if (waiting === 0) return; // answered already, by the timeout
          outcome.ticket = null;
          if (error !== null) markFailed(outcome, error);
          waiting -= 1;
          if (waiting > 0) return;
          cancelTimeout();
          resolve();
        },
        (bug: unknown) => {
          // Replicas answer failures as values; a rejection is a bug, and fails the request (and its connection).
          if (waiting === 0) return;
          waiting = 0;
          cancelTimeout();
          reject(bug);
        },
      );
    }
  });
}

function markFailed(outcome: PartitionOutcome, error: ReplicaError): void {
  outcome.response.errorCode = error.errorCode;
  outcome.response.errorMessage = error.errorMessage;
}

function topicsOf(request: ProduceRequest, outcomes: PartitionOutcome[][]) {
  return request.topicData.map((topic, topicIndex) => ({
    ...createProduceResponseTopicProduceResponse(),
    name: topic.name,
    partitionResponses: outcomes[topicIndex]!.map((outcome) => outcome.response),
  }));
}

/** `clock`'s wall half stamps LogAppendTime and bounds CreateTime; `scheduler` times out the wait for acks. */
export function produceHandler(context: BrokerContext, time: { clock: Clock; scheduler: Scheduler }) {
  return defineHandler({
    apiKey: ApiKey.Produce,
    minVersion: 0,
    maxVersion: 11,
    handle(request, { apiVersion, connection }) {
      const acks = request.acks;
      const refusal =
        acks !== 0 && acks !== 1 && acks !== -1
          ? { errorCode: ErrorCode.InvalidRequiredAcks, errorMessage: `acks must be -1, 0 or 1, not ${acks}` }
          : request.transactionalId !== null && acks !== -1
            ? // Kafka's KafkaApis: a transactional producer must wait for every in-sync replica.
              {
                errorCode: ErrorCode.InvalidRequiredAcks,
                errorMessage: "transactional produce needs acks=-1",
              }
            : null;
      const now = time.clock.wallMs();
      const hints = new LeaderHints(context, connection.listenerName);
      const outcomes = request.topicData.map((topic) =>
        topic.partitionData.map((partition) =>
          refusal
            ? { response: partitionResponse(partition.index, refusal), ticket: null }
            : placeOne(context, topic.name, partition, {
                acks: acks === 0 ? 1 : (acks as 1 | -1),
                apiVersion,
                nowMs: now,
                hints,
              }),
        ),
      );
      if (acks === 0) {
        const failed = outcomes.flat().find((outcome) => outcome.response.errorCode !== 0);
        return failed ? closeConnection(`acks=0 produce failed: ${failed.response.errorMessage}`) : null;
      }
      return awaitReplication(outcomes.flat(), request.timeoutMs, time.scheduler).then(() => ({
        ...createProduceResponse(),
        responses: topicsOf(request, outcomes),
        nodeEndpoints: hints.nodeEndpoints(),
      }));
    },
  });
}
