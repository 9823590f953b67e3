// DeleteTopics v0–6: by name (every version) or by topic id (v6+), through the metadata log.

import { planDeleteTopic } from "../../cluster/metadata/metadata-commands.ts";
import type { TopicMetadata } from "../../cluster/metadata/metadata-state.ts";
import { zeroUuid } from "../../protocol/codec-runtime.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

type DeleteResult = ApiMessages[20]["response"]["responses"][number];

async function deleteOne(
  context: BrokerContext,
  requested: { name: string | null; topicId: string },
): Promise<DeleteResult> {
  const state = context.metadata.state;
  const byId = requested.name === null;
  const topic: TopicMetadata | undefined = byId
    ? state.topicById(requested.topicId)
    : state.topicByName(requested.name!);
  const answer: DeleteResult = {
    name: topic?.name ?? requested.name,
    topicId: topic?.topicId ?? requested.topicId,
    errorCode: 0,
    errorMessage: null,
    unknownTaggedFields: [],
  };
  if (!topic) {
    answer.errorCode = byId ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition;
    return answer;
  }
  // Planned by id against the state when its turn comes: a concurrent delete finds it gone.
  const result = await context.metadata.execute((current) =>
    planDeleteTopic(current, current.topicById(topic.topicId)),
  );
  if (!result.ok)
    return { ...answer, errorCode: errorCodeByName(result.error), errorMessage: result.message };
  context.logger.info("deleted topic", { topic: topic.name });
  return answer;
}

export function deleteTopicsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(request, { apiVersion }) {
      const requested =
        apiVersion >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: zeroUuid }));
      const responses: DeleteResult[] = [];
      for (const topic of requested) responses.push(await deleteOne(context, topic));
      return { throttleTimeMs: 0, responses, unknownTaggedFields: [] };
    },
  });
}
