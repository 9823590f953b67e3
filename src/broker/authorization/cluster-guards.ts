// Kafka's checks on Metadata, DescribeCluster and the config APIs (KafkaApis, ConfigAdminManager): a topic the
// client may not DESCRIBE is left out of an all-topics Metadata answer and answered TOPIC_AUTHORIZATION_FAILED
// when named; an unknown topic is auto-created only for a client that may CREATE it; authorized operations
// come from the ACLs; configs need DESCRIBE_CONFIGS or ALTER_CONFIGS on their topic, group or the cluster.

import { AclOperation, clusterResourceName, ResourceType } from "../../cluster/acls/acl-model.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { createAlterConfigsResponseAlterConfigsResourceResponse } from "../../protocol/messages/alter-configs.ts";
import { createDescribeConfigsResponseDescribeConfigsResult } from "../../protocol/messages/describe-configs.ts";
import { createIncrementalAlterConfigsResponseAlterConfigsResourceResponse } from "../../protocol/messages/incremental-alter-configs.ts";
import { createMetadataResponseTopic } from "../../protocol/messages/metadata.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import type { RequestContext } from "../api-handler.ts";
import { authorizedOperationsNotRequested } from "../broker-context.ts";
import { ConfigResourceType } from "../handlers/config-resources.ts";
import { afterResponse, type GuardDeps, type GuardTable, partitionBy } from "./guard.ts";

/** Metadata v0 asks for every topic with an empty list; v1+ with null. */
const nullTopicsVersionMin = 1;
/** Metadata v4 is the first whose clients say whether they allow auto-creation. */
const autoCreateFlagVersionMin = 4;
/** Metadata v12 is the first to name topics by id. */
const topicIdsVersionMin = 12;

export function clusterGuards({ authorizer, broker }: GuardDeps): GuardTable {
  const mayTopic = (context: RequestContext, operation: number, topic: string) =>
    authorizer.authorize(context.connection, operation, ResourceType.topic, topic);
  const mayOnCluster = (context: RequestContext, operation: number) =>
    authorizer.authorize(context.connection, operation, ResourceType.cluster, clusterResourceName);
  const clusterOperations = (context: RequestContext) =>
    mayOnCluster(context, AclOperation.describe)
      ? authorizer.authorizedOperations(context.connection, ResourceType.cluster, clusterResourceName)
      : 0;

  /** The error for a config resource the client may not touch with `operation`; 0 when it may. */
  const configDenial = (context: RequestContext, operation: number, resourceType: number, name: string) => {
    switch (resourceType) {
      case ConfigResourceType.Topic:
        return mayTopic(context, operation, name) ? 0 : ErrorCode.TopicAuthorizationFailed;
      case ConfigResourceType.Broker:
      case ConfigResourceType.BrokerLogger:
        return mayOnCluster(context, operation) ? 0 : ErrorCode.ClusterAuthorizationFailed;
      case ConfigResourceType.Group:
        return authorizer.authorize(context.connection, operation, ResourceType.group, name)
          ? 0
          : ErrorCode.GroupAuthorizationFailed;
      default:
        return 0;
    }
  };

  return {
    [ApiKey.Metadata]: (request, context, next) => {
      const state = broker.metadata.state;
      const wantsAll =
        request.topics === null || (context.apiVersion < nullTopicsVersionMin && request.topics.length === 0);
      const allowAutoCreate =
        broker.defaults.autoCreateTopics &&
        (context.apiVersion < autoCreateFlagVersionMin || request.allowAutoTopicCreation);
      const mayCreate = (name: string) =>
        mayOnCluster(context, AclOperation.create) || mayTopic(context, AclOperation.create, name);
      const byId = context.apiVersion >= topicIdsVersionMin;
      const { allowed, denied } = partitionBy(request.topics ?? [], (topic) => {
        const name = topic.name ?? (byId ? state.topicById(topic.topicId)?.name : undefined);
        if (name === undefined) return true;
        if (!mayTopic(context, AclOperation.describe, name)) return false;
        return !allowAutoCreate || state.topicByName(name) !== undefined || mayCreate(name);
      });
      const passed = wantsAll ? request : { ...request, topics: allowed };
      const keep = new Set(allowed.map((topic) => topic.name ?? topic.topicId));
      return afterResponse<3>(next(passed), (response) => {
        response.topics = response.topics.filter((topic) =>
          wantsAll
            ? topic.name === null || mayTopic(context, AclOperation.describe, topic.name)
            : keep.has(topic.name ?? topic.topicId) || keep.has(topic.topicId),
        );
        for (const topic of response.topics) {
          if (topic.topicAuthorizedOperations !== authorizedOperationsNotRequested && topic.name !== null)
            topic.topicAuthorizedOperations = authorizer.authorizedOperations(
              context.connection,
              ResourceType.topic,
              topic.name,
            );
        }
        for (const topic of denied) {
          response.topics.push({
            ...createMetadataResponseTopic(),
            errorCode: ErrorCode.TopicAuthorizationFailed,
            name: topic.name,
            topicId: topic.topicId,
          });
        }
        if (response.clusterAuthorizedOperations !== authorizedOperationsNotRequested)
          response.clusterAuthorizedOperations = clusterOperations(context);
        return response;
      });
    },

    [ApiKey.DescribeCluster]: (request, context, next) =>
      afterResponse<60>(next(request), (response) => {
        if (response.clusterAuthorizedOperations !== authorizedOperationsNotRequested)
          response.clusterAuthorizedOperations = clusterOperations(context);
        return response;
      }),

    [ApiKey.DescribeConfigs]: (request, context, next) => {
      const denial = (resource: { resourceType: number; resourceName: string }) =>
        configDenial(context, AclOperation.describeConfigs, resource.resourceType, resource.resourceName);
      const { allowed, denied } = partitionBy(request.resources, (resource) => denial(resource) === 0);
      if (denied.length === 0) return next(request);
      return afterResponse<32>(next({ ...request, resources: allowed }), (response) => {
        for (const resource of denied) {
          response.results.push({
            ...createDescribeConfigsResponseDescribeConfigsResult(),
            errorCode: denial(resource),
            errorMessage: "Authorization failed.",
            resourceType: resource.resourceType,
            resourceName: resource.resourceName,
          });
        }
        return response;
      });
    },

    [ApiKey.AlterConfigs]: (request, context, next) => {
      const denial = (resource: { resourceType: number; resourceName: string }) =>
        configDenial(context, AclOperation.alterConfigs, resource.resourceType, resource.resourceName);
      const { allowed, denied } = partitionBy(request.resources, (resource) => denial(resource) === 0);
      if (denied.length === 0) return next(request);
      return afterResponse<33>(next({ ...request, resources: allowed }), (response) => {
        for (const resource of denied) {
          response.responses.push({
            ...createAlterConfigsResponseAlterConfigsResourceResponse(),
            errorCode: denial(resource),
            errorMessage: "Authorization failed.",
            resourceType: resource.resourceType,
            resourceName: resource.resourceName,
          });
        }
        return response;
      });
    },

    [ApiKey.IncrementalAlterConfigs]: (request, context, next) => {
      const denial = (resource: { resourceType: number; resourceName: string }) =>
        configDenial(context, AclOperation.alterConfigs, resource.resourceType, resource.resourceName);
      const { allowed, denied } = partitionBy(request.resources, (resource) => denial(resource) === 0);
      if (denied.length === 0) return next(request);
      return afterResponse<44>(next({ ...request, resources: allowed }), (response) => {
        for (const resource of denied) {
          response.responses.push({
            ...createIncrementalAlterConfigsResponseAlterConfigsResourceResponse(),
            errorCode: denial(resource),
            errorMessage: "Authorization failed.",
            resourceType: resource.resourceType,
            resourceName: resource.resourceName,
          });
        }
        return response;
      });
    },
  };
}
