// CreatePartitions v0–3: grow a topic to a new partition count, with generated or given replica lists.

import { planCreatePartitions } from "../../cluster/metadata/metadata-commands.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
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
          name: topic.name,
          errorCode: 0,
          errorMessage: null,
          unknownTaggedFields: [],
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
        const plan = planCreatePartitions(planningContext(context), {
          name: topic.name,
          totalCount: topic.count,
          assignments: topic.assignments?.map((assignment) => assignment.brokerIds) ?? null,
        });
        if (!plan.ok) {
          Object.assign(answer, { errorCode: errorCodeByName(plan.error), errorMessage: plan.message });
          continue;
        }
        if (!request.validateOnly) await context.metadata.propose(plan.records);
      }
      return { throttleTimeMs: 0, results, unknownTaggedFields: [] };
    },
  });
}
