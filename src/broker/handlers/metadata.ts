// Metadata v0–12: brokers, the cluster id, and each topic's partitions with their leaders. Unknown topics are
// created when the client allows it (v4+) and auto.create.topics.enable is on, as Kafka does.

import { internalTopicNames } from "../../cluster/internal-topics.ts";
import { brokerEndpoint } from "../../cluster/metadata/broker-endpoints.ts";
import { checkTopicName, planCreateTopic } from "../../cluster/metadata/metadata-commands.ts";
import type { TopicMetadata } from "../../cluster/metadata/metadata-state.ts";
import { zeroUuid } from "../../protocol/codec-runtime.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createMetadataResponse,
  createMetadataResponseBroker,
  createMetadataResponsePartition,
  createMetadataResponseTopic,
} from "../../protocol/messages/metadata.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { allClusterOperations, allTopicOperations, authorizedOperations } from "../authorized-operations.ts";
import { type BrokerContext, planningContext } from "../broker-context.ts";

type MetadataRequest = ApiMessages[3]["request"];
type MetadataResponse = ApiMessages[3]["response"];
type TopicResult = MetadataResponse["topics"][number];

/** Metadata v1 is the first to ask for every topic with a null list (v0: an empty one). */
const nullTopicsVersionMin = 1;
/** Metadata v4 is the first whose clients say whether they allow auto-creation. */
const autoCreateFlagVersionMin = 4;
/** Metadata v8 is the first to ask for the topics' authorized operations (KIP-430). */
const topicOperationsVersionMin = 8;
/** Metadata v12 is the first to name topics by id (v10–11 carry the id field, but Kafka refuses it there). */
const topicIdsVersionMin = 12;

function topicResult(context: BrokerContext, topic: TopicMetadata, includeOperations: boolean): TopicResult {
  const state = context.metadata.state;
  // Replicas on a fenced (or never registered) broker are offline, as Kafka lists replicas on dead brokers.
  const isOffline = (nodeId: number) => state.broker(nodeId)?.fenced !== false;
  return {
    ...createMetadataResponseTopic(),
    name: topic.name,
    topicId: topic.topicId,
    isInternal: internalTopicNames.has(topic.name),
    partitions: topic.partitions.map((assignment, partitionIndex) => {
      const leadership = context.partitions.leadership(topic.topicId, partitionIndex);
      return {
        ...createMetadataResponsePartition(),
        errorCode: leadership ? 0 : ErrorCode.LeaderNotAvailable,
        partitionIndex,
        leaderId: leadership?.leaderId ?? -1,
        leaderEpoch: leadership?.leaderEpoch ?? -1,
        replicaNodes: [...assignment.replicas],
        isrNodes: [...(leadership?.isr ?? [])],
        offlineReplicas: assignment.replicas.filter(isOffline),
      };
    }),
    topicAuthorizedOperations: authorizedOperations(includeOperations, allTopicOperations),
  };
}

function errorTopic(name: string | null, topicId: string, errorCode: number): TopicResult {
  return { ...createMetadataResponseTopic(), errorCode, name, topicId };
}

/** Creates `name` with the broker defaults; the topic exists when this resolves, or an error code says why not. */
async function autoCreate(context: BrokerContext, name: string): Promise<number> {
  const command = { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: new Map() };
  try {
    const result = await context.metadata.execute((state) =>
      planCreateTopic(planningContext(context, state), command),
    );
    // Another request may have created it first: that is success too. Other refusals are answered as a KRaft
    // broker's AutoTopicCreationManager answers them: too few brokers is INVALID_REPLICATION_FACTOR (checked
    // before forwarding); the rest (an internal name, a colliding one) the controller refuses after the broker
    // has answered UNKNOWN_TOPIC_OR_PARTITION. Malformed names were answered before this.
    if (!result.ok) {
      if (result.error === "TOPIC_ALREADY_EXISTS") return 0;
      context.logger.info("auto-creating a topic was refused", { topic: name, reason: result.message });
      return result.error === "INVALID_REPLICATION_FACTOR"
        ? ErrorCode.InvalidReplicationFactor
        : ErrorCode.UnknownTopicOrPartition;
    }
    context.logger.info("auto-created topic", { topic: name });
    return 0;
  } catch (error) {
    context.logger.warn("auto-creating a topic failed", { topic: name, error });
    return ErrorCode.LeaderNotAvailable;
  }
}

async function resolveTopic(
  context: BrokerContext,
  requested: { name: string | null; topicId: string },
  allowAutoCreate: boolean,
  includeOperations: boolean,
): Promise<TopicResult> {
  const state = context.metadata.state;
  if (requested.name === null) {
    const byId = state.topicById(requested.topicId);
    return byId
      ? topicResult(context, byId, includeOperations)
      : errorTopic(null, requested.topicId, ErrorCode.UnknownTopicId);
  }
  const name = requested.name;
  if (checkTopicName(name) !== null) return errorTopic(name, zeroUuid, ErrorCode.InvalidTopicException);
  let topic = state.topicByName(name);
  if (!topic && allowAutoCreate) {
    const errorCode = await autoCreate(context, name);
    if (errorCode !== 0) return errorTopic(name, zeroUuid, errorCode);
    topic = state.topicByName(name);
  }
  return topic
    ? topicResult(context, topic, includeOperations)
    : errorTopic(name, zeroUuid, ErrorCode.UnknownTopicOrPartition);
}

/**
 * Kafka's KafkaApis refuses a v10–11 request that names a topic by id (or by no name, which the response could not
 * carry before v12) with INVALID_REQUEST, and answers it as MetadataRequest.getErrorResponse does: every
 * requested topic with that error, a null name as "", and no brokers.
 */
function refuseTopicIds(request: MetadataRequest): MetadataResponse {
  return {
    ...createMetadataResponse(),
    topics: (request.topics ?? []).map((topic) => ({
      ...createMetadataResponseTopic(),
      errorCode: ErrorCode.InvalidRequest,
      name: topic.name ?? "",
      topicId: topic.topicId,
    })),
  };
}

export function metadataHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(request, { apiVersion, connection }) {
      const state = context.metadata.state;
      const includeOperations =
        apiVersion >= topicOperationsVersionMin && request.includeTopicAuthorizedOperations;
      // v0 asks for every topic with an empty list; v1+ with null.
      const wantsAll =
        request.topics === null || (apiVersion < nullTopicsVersionMin && request.topics.length === 0);
      const namesById = request.topics?.some((topic) => topic.name === null || topic.topicId !== zeroUuid);
      if (!wantsAll && apiVersion < topicIdsVersionMin && namesById) return refuseTopicIds(request);
      // v0–v3 predate the flag: Kafka let them auto-create.
      const allowAutoCreate =
        context.defaults.autoCreateTopics &&
        (apiVersion < autoCreateFlagVersionMin || request.allowAutoTopicCreation);
      const topics = wantsAll
        ? [...state.topics()].map((topic) => topicResult(context, topic, includeOperations))
        : await Promise.all(
            request.topics!.map((topic) => resolveTopic(context, topic, allowAutoCreate, includeOperations)),
          );
      return {
        ...createMetadataResponse(),
        // Each broker's address on the listener the client came in on; one without that listener is left out.
        brokers: state.liveBrokers().flatMap((broker) => {
          const endpoint = brokerEndpoint(broker, connection.listenerName);
          if (endpoint === undefined) return [];
          return [
            { ...createMetadataResponseBroker(), nodeId: broker.nodeId, ...endpoint, rack: broker.rack },
          ];
        }),
        clusterId: state.clusterId,
        controllerId: context.controllerId(),
        topics,
        // Asked for only in v8–10 (the field decodes as false in other versions).
        clusterAuthorizedOperations: authorizedOperations(
          request.includeClusterAuthorizedOperations,
          allClusterOperations,
        ),
      } satisfies MetadataResponse;
    },
  });
}
