// CreateTopics v0–7: validate each topic as Kafka does, create it through the metadata log (unless
// validateOnly), and report per-topic errors; v5+ answers with the partitions, replicas and configs it got.

import { describeTopicConfigs } from "../../cluster/config-view.ts";
import { planCreateTopic } from "../../cluster/metadata/metadata-commands.ts";
import type { MetadataState } from "../../cluster/metadata/metadata-state.ts";
import { zeroUuid } from "../../protocol/codec-runtime.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createCreateTopicsResponse,
  createCreateTopicsResponseCreatableTopicConfigs,
  createCreateTopicsResponseCreatableTopicResult,
} from "../../protocol/messages/create-topics.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { type BrokerContext, planningContext } from "../broker-context.ts";

type CreatableTopic = ApiMessages[19]["request"]["topics"][number];
type TopicResult = ApiMessages[19]["response"]["topics"][number];

/** CreateTopics v5 is the first to answer with the partitions, replication factor and configs a topic got. */
const createdDetailsVersionMin = 5;

function topicResult(name: string, errorCode: number, errorMessage: string | null): TopicResult {
  return {
    ...createCreateTopicsResponseCreatableTopicResult(),
    name,
    errorCode,
    errorMessage,
    configs: null,
  };
}

async function createOne(
  context: BrokerContext,
  topic: CreatableTopic,
  options: { validateOnly: boolean; apiVersion: number },
): Promise<TopicResult> {
  const configs = new Map<string, string>();
  for (const config of topic.configs) {
    if (config.value === null)
      return topicResult(topic.name, ErrorCode.InvalidConfig, `null value for ${config.name}`);
    configs.set(config.name, config.value);
  }
  const command = {
    name: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    assignments: topic.assignments,
    configs,
  };
  const plan = (state: MetadataState) => planCreateTopic(planningContext(context, state), command);
  const result = options.validateOnly ? plan(context.metadata.state) : await context.metadata.execute(plan);
  if (!result.ok) return topicResult(topic.name, errorCodeByName(result.error), result.message);
  if (!options.validateOnly) context.logger.info("created topic", { topic: topic.name });
  const created = result.records[0]!;
  if (created.type !== "topic") throw new Error("CreateTopics planned something other than a topic");
  const answer = topicResult(topic.name, 0, null);
  answer.topicId = options.validateOnly ? zeroUuid : created.topicId;
  if (options.apiVersion >= createdDetailsVersionMin) {
    answer.numPartitions = created.partitions.length;
    answer.replicationFactor = created.partitions[0]!.replicas.length;
    answer.configs = describeTopicConfigs(configs, context.brokerStatic, null).map((entry) => ({
      ...createCreateTopicsResponseCreatableTopicConfigs(),
      name: entry.name,
      value: entry.value,
      readOnly: entry.readOnly,
      configSource: entry.source,
    }));
  }
  return answer;
}

export function createTopicsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.CreateTopics,
    minVersion: 0,
    maxVersion: 7,
    async handle(request, { apiVersion }) {
      const counts = new Map<string, number>();
      for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
      const topics: TopicResult[] = [];
      // One at a time: a later topic is checked against the metadata the earlier ones produced.
      for (const topic of request.topics) {
        if (counts.get(topic.name)! > 1) {
          topics.push(topicResult(topic.name, ErrorCode.InvalidRequest, "the topic appears more than once"));
          continue;
        }
        topics.push(await createOne(context, topic, { validateOnly: request.validateOnly, apiVersion }));
      }
      return { ...createCreateTopicsResponse(), topics };
    },
  });
}
