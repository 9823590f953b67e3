// Kafka's checks on the APIs that act on topics (KafkaApis, ControllerApis): WRITE to produce, READ to fetch,
// DESCRIBE to list offsets and epochs, DELETE to delete records or topics, ALTER to add partitions, CREATE (on
// the cluster or the topic) to create one. A topic the client may not touch is answered
// TOPIC_AUTHORIZATION_FAILED whether or not it exists, so its existence is not disclosed.

import { AclOperation, clusterResourceName, ResourceType } from "../../cluster/acls/acl-model.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { createCreatePartitionsResponseCreatePartitionsTopicResult } from "../../protocol/messages/create-partitions.ts";
import { createCreateTopicsResponseCreatableTopicResult } from "../../protocol/messages/create-topics.ts";
import {
  createDeleteRecordsResponseDeleteRecordsPartitionResult,
  createDeleteRecordsResponseDeleteRecordsTopicResult,
} from "../../protocol/messages/delete-records.ts";
import { createDeleteTopicsResponseDeletableTopicResult } from "../../protocol/messages/delete-topics.ts";
import { createDescribeLogDirsResponse } from "../../protocol/messages/describe-log-dirs.ts";
import {
  createElectLeadersResponse,
  createElectLeadersResponsePartitionResult,
  createElectLeadersResponseReplicaElectionResult,
} from "../../protocol/messages/elect-leaders.ts";
import {
  createFetchResponsePartitionData,
  type FetchResponseFetchableTopicResponse,
} from "../../protocol/messages/fetch.ts";
import {
  createListOffsetsResponseListOffsetsPartitionResponse,
  createListOffsetsResponseListOffsetsTopicResponse,
} from "../../protocol/messages/list-offsets.ts";
import {
  createOffsetForLeaderEpochResponseEpochEndOffset,
  createOffsetForLeaderEpochResponseOffsetForLeaderTopicResult,
} from "../../protocol/messages/offset-for-leader-epoch.ts";
import {
  createProduceResponsePartitionProduceResponse,
  createProduceResponseTopicProduceResponse,
} from "../../protocol/messages/produce.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import type { RequestContext } from "../api-handler.ts";
import { closeConnection } from "../dispatcher.ts";
import { afterResponse, type GuardDeps, type GuardTable, partitionBy } from "./guard.ts";

const topicDenied = ErrorCode.TopicAuthorizationFailed;

/** DeleteTopics v6 names topics by name or id (DeleteTopicState); before, by name only. */
const topicStatesVersionMin = 6;
const zeroUuid = createDeleteTopicsResponseDeletableTopicResult().topicId;

/** Fetch v15 moved the follower's id into ReplicaState; a consumer's id is negative. */
const replicaStateVersionMin = 15;

export function topicGuards({ authorizer, broker }: GuardDeps): GuardTable {
  const may = (context: RequestContext, operation: number, topic: string) =>
    authorizer.authorize(context.connection, operation, ResourceType.topic, topic);
  const mayOnCluster = (context: RequestContext, operation: number) =>
    authorizer.authorize(context.connection, operation, ResourceType.cluster, clusterResourceName);
  const topicName = (name: string, topicId: string) =>
    name !== "" ? name : (broker.metadata.state.topicById(topicId)?.name ?? null);

  return {
    [ApiKey.Produce]: (request, context, next) => {
      const transactionDenied =
        request.transactionalId !== null &&
        !authorizer.authorize(
          context.connection,
          AclOperation.write,
          ResourceType.transactionalId,
          request.transactionalId,
        );
      const { allowed, denied } = partitionBy(
        request.topicData,
        (topic) => !transactionDenied && may(context, AclOperation.write, topic.name),
      );
      if (denied.length === 0) return next(request);
      const errorCode = transactionDenied ? ErrorCode.TransactionalIdAuthorizationFailed : topicDenied;
      const answer = next({ ...request, topicData: allowed });
      // acks=0 has no response to carry the error: Kafka closes the connection instead.
      if (request.acks === 0)
        return closeConnection("produce with acks=0 to a topic the client may not write");
      return afterResponse<0>(answer, (response) => {
        for (const topic of denied) {
          response.responses.push({
            ...createProduceResponseTopicProduceResponse(),
            name: topic.name,
            partitionResponses: topic.partitionData.map((partition) => ({
              ...createProduceResponsePartitionProduceResponse(),
              index: partition.index,
              errorCode,
            })),
          });
        }
        return response;
      });
    },

    // Checked on the response rather than the request: a fetch session keeps serving partitions the request
    // no longer names, and READ revoked since must stop those too.
    [ApiKey.Fetch]: (request, context, next) => {
      const replicaId =
        context.apiVersion >= replicaStateVersionMin ? request.replicaState.replicaId : request.replicaId;
      const clusterDenied = replicaId >= 0 && !mayOnCluster(context, AclOperation.clusterAction);
      return afterResponse<1>(next(request), (response) => {
        for (const topic of response.responses) {
          const name = topicName(topic.topic, topic.topicId);
          if (name === null) continue;
          if (clusterDenied || !may(context, AclOperation.read, name)) denyFetchedTopic(topic);
        }
        return response;
      });
    },

    [ApiKey.ListOffsets]: (request, context, next) => {
      const { allowed, denied } = partitionBy(request.topics, (topic) =>
        may(context, AclOperation.describe, topic.name),
      );
      if (denied.length === 0) return next(request);
      return afterResponse<2>(next({ ...request, topics: allowed }), (response) => {
        for (const topic of denied) {
          response.topics.push({
            ...createListOffsetsResponseListOffsetsTopicResponse(),
            name: topic.name,
            partitions: topic.partitions.map((partition) => ({
              ...createListOffsetsResponseListOffsetsPartitionResponse(),
              partitionIndex: partition.partitionIndex,
              errorCode: topicDenied,
            })),
          });
        }
        return response;
      });
    },

    [ApiKey.OffsetForLeaderEpoch]: (request, context, next) => {
      const clusterDenied = request.replicaId >= 0 && !mayOnCluster(context, AclOperation.clusterAction);
      const { allowed, denied } = partitionBy(
        request.topics,
        (topic) => !clusterDenied && may(context, AclOperation.describe, topic.topic),
      );
      if (denied.length === 0) return next(request);
      const errorCode = clusterDenied ? ErrorCode.ClusterAuthorizationFailed : topicDenied;
      return afterResponse<23>(next({ ...request, topics: allowed }), (response) => {
        for (const topic of denied) {
          response.topics.push({
            ...createOffsetForLeaderEpochResponseOffsetForLeaderTopicResult(),
            topic: topic.topic,
            partitions: topic.partitions.map((partition) => ({
              ...createOffsetForLeaderEpochResponseEpochEndOffset(),
              partition: partition.partition,
              errorCode,
            })),
          });
        }
        return response;
      });
    },

    [ApiKey.DeleteRecords]: (request, context, next) => {
      const { allowed, denied } = partitionBy(request.topics, (topic) =>
        may(context, AclOperation.delete, topic.name),
      );
      if (denied.length === 0) return next(request);
      return afterResponse<21>(next({ ...request, topics: allowed }), (response) => {
        for (const topic of denied) {
          response.topics.push({
            ...createDeleteRecordsResponseDeleteRecordsTopicResult(),
            name: topic.name,
            partitions: topic.partitions.map((partition) => ({
              ...createDeleteRecordsResponseDeleteRecordsPartitionResult(),
              partitionIndex: partition.partitionIndex,
              errorCode: topicDenied,
            })),
          });
        }
        return response;
      });
    },

    [ApiKey.CreatePartitions]: (request, context, next) => {
      const { allowed, denied } = partitionBy(request.topics, (topic) =>
        may(context, AclOperation.alter, topic.name),
      );
      if (denied.length === 0) return next(request);
      return afterResponse<37>(next({ ...request, topics: allowed }), (response) => {
        for (const topic of denied) {
          response.results.push({
            ...createCreatePartitionsResponseCreatePartitionsTopicResult(),
            name: topic.name,
            errorCode: topicDenied,
            errorMessage: "Authorization failed.",
          });
        }
        return response;
      });
    },

    // ControllerApis.createTopics: CREATE on the cluster covers every topic, else CREATE on each; a created
    // topic's configs are returned only to a client that may DESCRIBE_CONFIGS it.
    [ApiKey.CreateTopics]: (request, context, next) => {
      const clusterAllowed = mayOnCluster(context, AclOperation.create);
      const { allowed, denied } = partitionBy(
        request.topics,
        (topic) => clusterAllowed || may(context, AclOperation.create, topic.name),
      );
      const answer = denied.length === 0 ? next(request) : next({ ...request, topics: allowed });
      return afterResponse<19>(answer, (response) => {
        for (const topic of response.topics) {
          if (topic.errorCode !== 0 || may(context, AclOperation.describeConfigs, topic.name)) continue;
          topic.topicConfigErrorCode = topicDenied;
          topic.configs = [];
        }
        for (const topic of denied) {
          response.topics.push({
            ...createCreateTopicsResponseCreatableTopicResult(),
            name: topic.name,
            errorCode: topicDenied,
            errorMessage: "Authorization failed.",
          });
        }
        return response;
      });
    },

    // DELETE implies DESCRIBE, so one check answers both of ControllerApis.deleteTopics' questions. A topic id
    // this node does not know is left to the handler (UNKNOWN_TOPIC_ID).
    [ApiKey.DeleteTopics]: (request, context, next) => {
      const mayDelete = (name: string | null, topicId: string) => {
        const known = name ?? broker.metadata.state.topicById(topicId)?.name;
        return known === undefined || may(context, AclOperation.delete, known);
      };
      const deniedResult = (name: string | null, topicId: string) => ({
        ...createDeleteTopicsResponseDeletableTopicResult(),
        name,
        topicId,
        errorCode: topicDenied,
        errorMessage: "Authorization failed.",
      });
      if (context.apiVersion < topicStatesVersionMin) {
        const { allowed, denied } = partitionBy(request.topicNames, (name) => mayDelete(name, ""));
        if (denied.length === 0) return next(request);
        return afterResponse<20>(next({ ...request, topicNames: allowed }), (response) => {
          for (const name of denied) response.responses.push(deniedResult(name, zeroUuid));
          return response;
        });
      }
      const { allowed, denied } = partitionBy(request.topics, (topic) =>
        mayDelete(topic.name, topic.topicId),
      );
      if (denied.length === 0) return next(request);
      return afterResponse<20>(next({ ...request, topics: allowed }), (response) => {
        for (const topic of denied) response.responses.push(deniedResult(topic.name, topic.topicId));
        return response;
      });
    },

    [ApiKey.ElectLeaders]: (request, context, next) => {
      if (mayOnCluster(context, AclOperation.alter)) return next(request);
      return {
        ...createElectLeadersResponse(),
        errorCode: ErrorCode.ClusterAuthorizationFailed,
        replicaElectionResults: (request.topicPartitions ?? []).map((topic) => ({
          ...createElectLeadersResponseReplicaElectionResult(),
          topic: topic.topic,
          partitionResult: topic.partitions.map((partitionId) => ({
            ...createElectLeadersResponsePartitionResult(),
            partitionId,
            errorCode: ErrorCode.ClusterAuthorizationFailed,
            errorMessage: "Authorization failed.",
          })),
        })),
      };
    },

    [ApiKey.DescribeLogDirs]: (request, context, next) => {
      if (mayOnCluster(context, AclOperation.describe)) return next(request);
      return {
        ...createDescribeLogDirsResponse(),
        errorCode: ErrorCode.ClusterAuthorizationFailed,
        results: [],
      };
    },
  };
}

/** Kafka's FetchResponse.partitionResponse(tp, TOPIC_AUTHORIZATION_FAILED): no records, offsets unknown. */
function denyFetchedTopic(topic: FetchResponseFetchableTopicResponse): void {
  topic.partitions = topic.partitions.map((partition) => ({
    ...createFetchResponsePartitionData(),
    partitionIndex: partition.partitionIndex,
    errorCode: topicDenied,
    highWatermark: -1n,
  }));
}
