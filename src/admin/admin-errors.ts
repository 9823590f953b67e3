// The admin API's refusals as Connect errors with one-line messages: what was wrong and, where the answer lives
// on another node (raft-cluster), which node to ask. Kafka error names from cluster/ map onto Connect codes.

import { Code, ConnectError } from "@connectrpc/connect";
import type { BrokerContext } from "../broker/broker-context.ts";
import type { CommandResult } from "../cluster/metadata/metadata-commands.ts";
import type { TopicMetadata } from "../cluster/metadata/metadata-state.ts";

export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export function notFound(message: string): ConnectError {
  return new ConnectError(message, Code.NotFound);
}

export function failedPrecondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

export function unavailable(message: string): ConnectError {
  return new ConnectError(message, Code.Unavailable);
}

export function topicNotFound(name: string): ConnectError {
  return notFound(`topic "${name}" does not exist`);
}

/** The topic by name, or NOT_FOUND. */
export function requireTopic(context: BrokerContext, name: string): TopicMetadata {
  const topic = context.metadata.state.topicByName(name);
  if (topic === undefined) throw topicNotFound(name);
  return topic;
}

const codeByCommandError: Record<Extract<CommandResult, { ok: false }>["error"], Code> = {
  TOPIC_ALREADY_EXISTS: Code.AlreadyExists,
  INVALID_TOPIC_EXCEPTION: Code.InvalidArgument,
  INVALID_PARTITIONS: Code.InvalidArgument,
  INVALID_REPLICATION_FACTOR: Code.InvalidArgument,
  INVALID_REPLICA_ASSIGNMENT: Code.InvalidArgument,
  INVALID_CONFIG: Code.InvalidArgument,
  INVALID_REQUEST: Code.InvalidArgument,
  UNKNOWN_TOPIC_OR_PARTITION: Code.NotFound,
  UNKNOWN_TOPIC_ID: Code.NotFound,
};

/** A metadata command's refusal, with the planner's message. */
export function commandError(result: Extract<CommandResult, { ok: false }>): ConnectError {
  return new ConnectError(result.message, codeByCommandError[result.error]);
}

/** `metadata.execute` rejects when this node cannot reach a metadata leader (an election, a partition). */
export async function executed(
  context: BrokerContext,
  plan: Parameters<BrokerContext["metadata"]["execute"]>[0],
): Promise<Extract<CommandResult, { ok: true }>> {
  let result: CommandResult;
  try {
    result = await context.metadata.execute(plan);
  } catch (error) {
    throw unavailable(`the metadata change was not committed: ${(error as Error).message}`);
  }
  if (!result.ok) throw commandError(result);
  return result;
}

/** "node 2 (h2:9092)", or "no node" while none is known. */
export function describeNode(context: BrokerContext, nodeId: number | undefined): string {
  if (nodeId === undefined || nodeId < 0) return "no node (no leader is known yet; retry)";
  const broker = context.metadata.state.broker(nodeId);
  return broker === undefined ? `node ${nodeId}` : `node ${nodeId} (${broker.host}:${broker.port})`;
}

/**
 * FAILED_PRECONDITION for partition data that needs a replica (or the leader) this node does not host: names
 * the leader as this node knows it, whose admin API can answer.
 */
export function elsewhere(
  context: BrokerContext,
  topic: TopicMetadata,
  partition: number,
  need: "the leader" | "a replica",
): ConnectError {
  const leaderId = context.partitions.leadership(topic.topicId, partition)?.leaderId;
  const where = need === "the leader" ? "does not lead" : "hosts no replica of";
  return failedPrecondition(
    `node ${context.nodeId} ${where} ${topic.name}-${partition}; its leader is ${describeNode(context, leaderId)}: ` +
      "send this call to that node's admin API",
  );
}
