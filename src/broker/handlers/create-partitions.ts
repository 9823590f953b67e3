// CreatePartitions v0–3: grow a topic to a new partition count, with generated or given replica lists.

import { planCreatePartitions } from "../../cluster/metadata/metadata-commands.ts";
import type { MetadataState } from "../../cluster/metadata/metadata-state.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createCreatePartitionsResponse,
  createCreatePartitionsResponseCreatePartitionsTopicResult,
} from "../../protocol/messages/create-partitions.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { type BrokerContext, planningContext } from "../broker-context.ts";

type PartitionsResult = ApiMessages[37]["response"]["results"][number];

export function createPartitionsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(request) {
      const seen = new Set<string>();
      const results: PartitionsResult[] = [];
      for (const topic of request.topics) {
        const answer: PartitionsResult = {
          ...createCreatePartitionsResponseCreatePartitionsTopicResult(),
          name: topic.name,
        };
        results.push(answer);
        if (seen.has(topic.name)) {
          Object.assign(answer, {
            errorCode: ErrorCode.InvalidRequest,
            errorMessage: "the topic appears more than once",
          });
          continue;
        }
        seen.add(topic.name);
        const command = {
          name: topic.name,
          totalCount: topic.count,
          assignments: topic.assignments?.map((assignment) => assignment.brokerIds) ?? null,
        };
        const plan = (state: MetadataState) => planCreatePartitions(planningContext(context, state), command);
        const result = request.validateOnly
          ? plan(context.metadata.state)
          : await context.metadata.execute(plan);
        if (!result.ok)
          Object.assign(answer, { errorCode: errorCodeByName(result.error), errorMessage: result.message });
      }
      return { ...createCreatePartitionsResponse(), results };
    },
  });
}
