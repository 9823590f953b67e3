// DeleteTopics v0–6: by name (every version) or by topic id (v6+), through the metadata log. The request is
// checked first as Kafka's ControllerApis.deleteTopics checks it: a name or id given twice, both or neither
// given, or a name whose id is also given, is answered INVALID_REQUEST and nothing is deleted for it.

import { planDeleteTopic } from "../../cluster/metadata/metadata-commands.ts";
import type { MetadataState, TopicMetadata } from "../../cluster/metadata/metadata-state.ts";
import { zeroUuid } from "../../protocol/codec-runtime.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createDeleteTopicsResponse,
  createDeleteTopicsResponseDeletableTopicResult,
} from "../../protocol/messages/delete-topics.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

type DeleteResult = ApiMessages[20]["response"]["responses"][number];

/** DeleteTopics v6 is the first to name topics by id (or by name, in one list). */
const topicIdsVersionMin = 6;

interface RequestedTopic {
  name: string | null;
  topicId: string;
}

function deleteResult(
  name: string | null,
  topicId: string,
  error: { code: number; message: string | null } = { code: 0, message: null },
): DeleteResult {
  return {
    ...createDeleteTopicsResponseDeletableTopicResult(),
    name,
    topicId,
    errorCode: error.code,
    errorMessage: error.message,
  };
}

function invalid(name: string | null, topicId: string, message: string): DeleteResult {
  return deleteResult(name, topicId, { code: ErrorCode.InvalidRequest, message });
}

function countInto(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * Splits the request into the topics to delete and the answers known without deleting anything, with Kafka's
 * messages. Kafka answers a duplicated name or id once, whatever the number of its copies; the answers' order
 * means nothing (Kafka shuffles them so that positions reveal nothing).
 */
function checkDeleteRequest(
  state: MetadataState,
  requested: readonly RequestedTopic[],
): { toDelete: TopicMetadata[]; answers: DeleteResult[] } {
  const answers: DeleteResult[] = [];
  const nameCounts = new Map<string, number>();
  const idCounts = new Map<string, number>();
  for (const { name, topicId } of requested) {
    if (name === null && topicId === zeroUuid) {
      answers.push(invalid(null, zeroUuid, "Neither topic name nor id were specified."));
    } else if (name === null) {
      countInto(idCounts, topicId);
    } else if (topicId !== zeroUuid) {
      answers.push(invalid(name, topicId, "You may not specify both topic name and topic id."));
    } else {
      countInto(nameCounts, name);
    }
  }
  const toDelete = new Map<string, TopicMetadata>();
  for (const [topicId, count] of idCounts) {
    const topic = state.topicById(topicId);
    if (count > 1) {
      answers.push(invalid(null, topicId, "Duplicate topic id."));
    } else if (!topic) {
      answers.push(deleteResult(null, topicId, { code: ErrorCode.UnknownTopicId, message: null }));
    } else {
      toDelete.set(topicId, topic);
    }
  }
  for (const [name, count] of nameCounts) {
    const topic = state.topicByName(name);
    if (count > 1) {
      answers.push(invalid(name, zeroUuid, "Duplicate topic name."));
    } else if (!topic) {
      answers.push(deleteResult(name, zeroUuid, { code: ErrorCode.UnknownTopicOrPartition, message: null }));
    } else if (idCounts.has(topic.topicId)) {
      // Named and given by id: neither copy is deleted (Kafka: the id counts as a duplicate).
      toDelete.delete(topic.topicId);
      answers.push(
        invalid(name, topic.topicId, "The provided topic name maps to an ID that was already supplied."),
      );
    } else {
      toDelete.set(topic.topicId, topic);
    }
  }
  return { toDelete: [...toDelete.values()], answers };
}

async function deleteOne(context: BrokerContext, topic: TopicMetadata): Promise<DeleteResult> {
  // Planned by id against the state when its turn comes: a concurrent delete finds it gone.
  const result = await context.metadata.execute((current) =>
    planDeleteTopic(current, current.topicById(topic.topicId)),
  );
  if (!result.ok) {
    return deleteResult(topic.name, topic.topicId, {
      code: errorCodeByName(result.error),
      message: result.message,
    });
  }
  context.logger.info("deleted topic", { topic: topic.name });
  return deleteResult(topic.name, topic.topicId);
}

export function deleteTopicsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(request, { apiVersion }) {
      const requested =
        apiVersion >= topicIdsVersionMin
          ? request.topics
          : request.topicNames.map((name) => ({ name, topicId: zeroUuid }));
      const { toDelete, answers } = checkDeleteRequest(context.metadata.state, requested);
      const responses = [...answers];
      for (const topic of toDelete) responses.push(await deleteOne(context, topic));
      return { ...createDeleteTopicsResponse(), responses };
    },
  });
}
