// Config resources as the config APIs name them: resource type numbers and the checks shared by
// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs.

import type { MetadataState, TopicMetadata } from "../../cluster/metadata/metadata-state.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { BrokerContext } from "../broker-context.ts";

/** org.apache.kafka.common.config.ConfigResource.Type, as numbered on the wire. */
export const ConfigResourceType = { Topic: 2, Broker: 4, BrokerLogger: 8, Group: 32 } as const;

export interface ResourceError {
  errorCode: number;
  errorMessage: string;
}

/** The topic a config request names, or the error Kafka answers with. */
export function findTopic(
  context: BrokerContext,
  name: string,
  state: MetadataState = context.metadata.state,
): TopicMetadata | ResourceError {
  const topic = state.topicByName(name);
  if (topic) return topic;
  return { errorCode: ErrorCode.UnknownTopicOrPartition, errorMessage: `topic '${name}' does not exist` };
}

/** A broker resource names this broker's id, or "" for the cluster-wide defaults. */
export function checkBrokerResource(context: BrokerContext, name: string): ResourceError | null {
  if (name === "" || name === String(context.nodeId)) return null;
  return {
    errorCode: ErrorCode.InvalidRequest,
    errorMessage: `this is broker ${context.nodeId}, not ${name}`,
  };
}

export function isResourceError(value: unknown): value is ResourceError {
  return typeof value === "object" && value !== null && "errorCode" in value;
}

/** A group resource names a group; Kafka refuses an empty name (ConfigHelper, ConfigAdminManager). */
export function checkGroupResource(name: string): ResourceError | null {
  if (name !== "") return null;
  return { errorCode: ErrorCode.InvalidRequest, errorMessage: "Group name must not be empty" };
}
