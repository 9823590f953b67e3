// DescribeConfigs v0–4: topic, broker (one broker's, or the cluster default's: name "") and group (KIP-848) configs with their sources, synonyms (v1+), types and
// documentation (v3+). An empty key list asks for every config, as null does (Kafka's ConfigHelper).

import {
  type ConfigEntry,
  describeBrokerConfigs,
  describeClusterDefaultBrokerConfigs,
  describeGroupConfigs,
  describeTopicConfigs,
} from "../../cluster/config-view.ts";
import { ConfigSource } from "../../cluster/topic-config-definitions.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createDescribeConfigsResponse,
  createDescribeConfigsResponseDescribeConfigsResourceResult,
  createDescribeConfigsResponseDescribeConfigsResult,
  createDescribeConfigsResponseDescribeConfigsSynonym,
} from "../../protocol/messages/describe-configs.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import {
  ConfigResourceType,
  checkBrokerResource,
  checkGroupResource,
  findTopic,
  isResourceError,
} from "./config-resources.ts";

type DescribeResult = ApiMessages[32]["response"]["results"][number];
type Resource = ApiMessages[32]["request"]["resources"][number];

/** DescribeConfigs v1 is the first to ask for synonyms (KIP-226). */
const synonymsVersionMin = 1;
/** DescribeConfigs v3 is the first to ask for documentation (KIP-569). */
const documentationVersionMin = 3;

function toWire(
  entry: ConfigEntry,
  options: { includeSynonyms: boolean; includeDocumentation: boolean },
): DescribeResult["configs"][number] {
  return {
    ...createDescribeConfigsResponseDescribeConfigsResourceResult(),
    name: entry.name,
    value: entry.value,
    readOnly: entry.readOnly,
    isDefault: entry.source === ConfigSource.DefaultConfig,
    configSource: entry.source,
    synonyms: options.includeSynonyms
      ? entry.synonyms.map((synonym) => ({
          ...createDescribeConfigsResponseDescribeConfigsSynonym(),
          ...synonym,
        }))
      : [],
    configType: entry.type,
    documentation: options.includeDocumentation ? entry.documentation : null,
  };
}

function describeResource(
  context: BrokerContext,
  resource: Resource,
): ConfigEntry[] | { errorCode: number; errorMessage: string } {
  if (resource.resourceType === ConfigResourceType.Topic) {
    const topic = findTopic(context, resource.resourceName);
    if (isResourceError(topic)) return topic;
    return describeTopicConfigs(topic.configs, context.brokerStatic, resource.configurationKeys);
  }
  if (resource.resourceType === ConfigResourceType.Broker) {
    const problem = checkBrokerResource(context, resource.resourceName);
    if (problem) return problem;
    if (resource.resourceName === "")
      return describeClusterDefaultBrokerConfigs(context.brokerStatic, resource.configurationKeys);
    return describeBrokerConfigs(context.brokerStatic, resource.configurationKeys);
  }
  if (resource.resourceType === ConfigResourceType.Group) {
    const problem = checkGroupResource(resource.resourceName);
    if (problem) return problem;
    const overrides = context.metadata.state.groupConfigs(resource.resourceName);
    return describeGroupConfigs(overrides, context.brokerStatic, resource.configurationKeys);
  }
  return {
    errorCode: ErrorCode.InvalidRequest,
    errorMessage: `resource type ${resource.resourceType} is not supported`,
  };
}

export function describeConfigsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeConfigs,
    minVersion: 0,
    maxVersion: 4,
    handle(request, { apiVersion }) {
      const options = {
        includeSynonyms: apiVersion >= synonymsVersionMin && request.includeSynonyms,
        includeDocumentation: apiVersion >= documentationVersionMin && request.includeDocumentation,
      };
      const results: DescribeResult[] = request.resources.map((resource) => {
        const described = describeResource(context, resource);
        const base = {
          ...createDescribeConfigsResponseDescribeConfigsResult(),
          resourceType: resource.resourceType,
          resourceName: resource.resourceName,
        };
        if (!Array.isArray(described)) return { ...base, ...described };
        return { ...base, errorMessage: null, configs: described.map((entry) => toWire(entry, options)) };
      });
      return { ...createDescribeConfigsResponse(), results };
    },
  });
}
