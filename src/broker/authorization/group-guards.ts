// Kafka's checks on the group and producer APIs (KafkaApis): READ on the group to join, sync, heartbeat, leave
// and commit; DESCRIBE to find its coordinator, describe it and fetch its offsets; DELETE to delete it or its
// offsets; the topics' READ or DESCRIBE beside. InitProducerId needs WRITE on its transactional id, or, for
// an idempotent producer, IDEMPOTENT_WRITE on the cluster or WRITE on some topic.

import { AclOperation, clusterResourceName, ResourceType } from "../../cluster/acls/acl-model.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { createConsumerGroupDescribeResponseDescribedGroup } from "../../protocol/messages/consumer-group-describe.ts";
import { createConsumerGroupHeartbeatResponse } from "../../protocol/messages/consumer-group-heartbeat.ts";
import { createDeleteGroupsResponseDeletableGroupResult } from "../../protocol/messages/delete-groups.ts";
import { createDescribeGroupsResponseDescribedGroup } from "../../protocol/messages/describe-groups.ts";
import {
  createFindCoordinatorResponse,
  createFindCoordinatorResponseCoordinator,
} from "../../protocol/messages/find-coordinator.ts";
import { createHeartbeatResponse } from "../../protocol/messages/heartbeat.ts";
import { createInitProducerIdResponse } from "../../protocol/messages/init-producer-id.ts";
import { createJoinGroupResponse } from "../../protocol/messages/join-group.ts";
import { createLeaveGroupResponse } from "../../protocol/messages/leave-group.ts";
import {
  createOffsetCommitResponse,
  createOffsetCommitResponsePartition,
  createOffsetCommitResponseTopic,
} from "../../protocol/messages/offset-commit.ts";
import {
  createOffsetDeleteResponse,
  createOffsetDeleteResponsePartition,
  createOffsetDeleteResponseTopic,
} from "../../protocol/messages/offset-delete.ts";
import {
  createOffsetFetchResponse,
  createOffsetFetchResponseGroup,
  createOffsetFetchResponsePartition,
  createOffsetFetchResponsePartitions,
  createOffsetFetchResponseTopic,
  createOffsetFetchResponseTopics,
} from "../../protocol/messages/offset-fetch.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { createSyncGroupResponse } from "../../protocol/messages/sync-group.ts";
import type { RequestContext } from "../api-handler.ts";
import { authorizedOperationsNotRequested } from "../broker-context.ts";
import { afterResponse, type GuardDeps, type GuardTable, partitionBy } from "./guard.ts";

const groupDenied = ErrorCode.GroupAuthorizationFailed;
const topicDenied = ErrorCode.TopicAuthorizationFailed;
/** FindCoordinator's key types. */
const transactionKeyType = 1;
/** FindCoordinator v4 looks up a batch of keys. */
const coordinatorKeysVersionMin = 4;
/** OffsetFetch v8 fetches for a batch of groups. */
const offsetFetchGroupsVersionMin = 8;

export function groupGuards({ authorizer }: GuardDeps): GuardTable {
  const mayGroup = (context: RequestContext, operation: number, groupId: string) =>
    authorizer.authorize(context.connection, operation, ResourceType.group, groupId);
  const mayTopic = (context: RequestContext, operation: number, topic: string) =>
    authorizer.authorize(context.connection, operation, ResourceType.topic, topic);
  const mayCoordinatorKey = (context: RequestContext, keyType: number, key: string) =>
    keyType === transactionKeyType
      ? authorizer.authorize(context.connection, AclOperation.describe, ResourceType.transactionalId, key)
      : mayGroup(context, AclOperation.describe, key);

  return {
    [ApiKey.FindCoordinator]: (request, context, next) => {
      const errorCode =
        request.keyType === transactionKeyType ? ErrorCode.TransactionalIdAuthorizationFailed : groupDenied;
      const deniedFields = {
        nodeId: -1,
        host: "",
        port: -1,
        errorCode,
        errorMessage: "Authorization failed.",
      };
      if (context.apiVersion < coordinatorKeysVersionMin) {
        if (mayCoordinatorKey(context, request.keyType, request.key)) return next(request);
        return { ...createFindCoordinatorResponse(), ...deniedFields };
      }
      const { allowed, denied } = partitionBy(request.coordinatorKeys, (key) =>
        mayCoordinatorKey(context, request.keyType, key),
      );
      if (denied.length === 0) return next(request);
      const deniedCoordinators = denied.map((key) => ({
        ...createFindCoordinatorResponseCoordinator(),
        key,
        ...deniedFields,
      }));
      if (allowed.length === 0)
        return { ...createFindCoordinatorResponse(), coordinators: deniedCoordinators };
      return afterResponse<10>(next({ ...request, coordinatorKeys: allowed }), (response) => {
        response.coordinators.push(...deniedCoordinators);
        return response;
      });
    },

    [ApiKey.JoinGroup]: (request, context, next) =>
      mayGroup(context, AclOperation.read, request.groupId)
        ? next(request)
        : {
            ...createJoinGroupResponse(),
            errorCode: groupDenied,
            generationId: -1,
            memberId: request.memberId,
          },
    [ApiKey.SyncGroup]: (request, context, next) =>
      mayGroup(context, AclOperation.read, request.groupId)
        ? next(request)
        : { ...createSyncGroupResponse(), errorCode: groupDenied },
    [ApiKey.Heartbeat]: (request, context, next) =>
      mayGroup(context, AclOperation.read, request.groupId)
        ? next(request)
        : { ...createHeartbeatResponse(), errorCode: groupDenied },
    [ApiKey.LeaveGroup]: (request, context, next) =>
      mayGroup(context, AclOperation.read, request.groupId)
        ? next(request)
        : { ...createLeaveGroupResponse(), errorCode: groupDenied },

    [ApiKey.OffsetCommit]: (request, context, next) => {
      const groupAllowed = mayGroup(context, AclOperation.read, request.groupId);
      const { allowed, denied } = partitionBy(
        request.topics,
        (topic) => groupAllowed && mayTopic(context, AclOperation.read, topic.name),
      );
      const deniedTopics = denied.map((topic) => ({
        ...createOffsetCommitResponseTopic(),
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({
          ...createOffsetCommitResponsePartition(),
          partitionIndex: partition.partitionIndex,
          errorCode: groupAllowed ? topicDenied : groupDenied,
        })),
      }));
      if (!groupAllowed) return { ...createOffsetCommitResponse(), topics: deniedTopics };
      if (denied.length === 0) return next(request);
      return afterResponse<8>(next({ ...request, topics: allowed }), (response) => {
        response.topics.push(...deniedTopics);
        return response;
      });
    },

    [ApiKey.OffsetFetch]: (request, context, next) => {
      if (context.apiVersion >= offsetFetchGroupsVersionMin) return offsetFetchGroups(request, context, next);
      if (!mayGroup(context, AclOperation.describe, request.groupId)) {
        return {
          ...createOffsetFetchResponse(),
          errorCode: groupDenied,
          // v0–1 carry errors per partition only.
          topics: (request.topics ?? []).map((topic) => ({
            ...createOffsetFetchResponseTopic(),
            name: topic.name,
            partitions: topic.partitionIndexes.map((partitionIndex) => ({
              ...createOffsetFetchResponsePartition(),
              partitionIndex,
              committedOffset: -1n,
              errorCode: groupDenied,
            })),
          })),
        };
      }
      const requested = request.topics;
      const { allowed, denied } = partitionBy(requested ?? [], (topic) =>
        mayTopic(context, AclOperation.describe, topic.name),
      );
      const passed = requested === null || denied.length === 0 ? request : { ...request, topics: allowed };
      return afterResponse<9>(next(passed), (response) => {
        // All offsets asked for: the topics the client may not describe are left out.
        if (requested === null)
          response.topics = response.topics.filter((topic) =>
            mayTopic(context, AclOperation.describe, topic.name),
          );
        for (const topic of denied) {
          response.topics.push({
            ...createOffsetFetchResponseTopic(),
            name: topic.name,
            partitions: topic.partitionIndexes.map((partitionIndex) => ({
              ...createOffsetFetchResponsePartition(),
              partitionIndex,
              committedOffset: -1n,
              errorCode: topicDenied,
            })),
          });
        }
        return response;
      });
    },

    [ApiKey.OffsetDelete]: (request, context, next) => {
      if (!mayGroup(context, AclOperation.delete, request.groupId))
        return { ...createOffsetDeleteResponse(), errorCode: groupDenied };
      const { allowed, denied } = partitionBy(request.topics, (topic) =>
        mayTopic(context, AclOperation.read, topic.name),
      );
      if (denied.length === 0) return next(request);
      return afterResponse<47>(next({ ...request, topics: allowed }), (response) => {
        for (const topic of denied) {
          response.topics.push({
            ...createOffsetDeleteResponseTopic(),
            name: topic.name,
            partitions: topic.partitions.map((partition) => ({
              ...createOffsetDeleteResponsePartition(),
              partitionIndex: partition.partitionIndex,
              errorCode: topicDenied,
            })),
          });
        }
        return response;
      });
    },

    // DESCRIBE on the cluster lists every group; otherwise only the groups the client may describe.
    [ApiKey.ListGroups]: (request, context, next) => {
      if (
        authorizer.authorize(
          context.connection,
          AclOperation.describe,
          ResourceType.cluster,
          clusterResourceName,
        )
      )
        return next(request);
      return afterResponse<16>(next(request), (response) => {
        response.groups = response.groups.filter((group) =>
          mayGroup(context, AclOperation.describe, group.groupId),
        );
        return response;
      });
    },

    [ApiKey.DescribeGroups]: (request, context, next) => {
      const { allowed, denied } = partitionBy(request.groups, (groupId) =>
        mayGroup(context, AclOperation.describe, groupId),
      );
      return afterResponse<15>(next({ ...request, groups: allowed }), (response) => {
        for (const group of response.groups) {
          if (group.authorizedOperations !== authorizedOperationsNotRequested)
            group.authorizedOperations = authorizer.authorizedOperations(
              context.connection,
              ResourceType.group,
              group.groupId,
            );
        }
        for (const groupId of denied) {
          response.groups.push({
            ...createDescribeGroupsResponseDescribedGroup(),
            groupId,
            errorCode: groupDenied,
          });
        }
        return response;
      });
    },

    [ApiKey.DeleteGroups]: (request, context, next) => {
      const { allowed, denied } = partitionBy(request.groupsNames, (groupId) =>
        mayGroup(context, AclOperation.delete, groupId),
      );
      if (denied.length === 0) return next(request);
      return afterResponse<42>(next({ ...request, groupsNames: allowed }), (response) => {
        for (const groupId of denied)
          response.results.push({
            ...createDeleteGroupsResponseDeletableGroupResult(),
            groupId,
            errorCode: groupDenied,
          });
        return response;
      });
    },

    [ApiKey.ConsumerGroupHeartbeat]: (request, context, next) => {
      if (!mayGroup(context, AclOperation.read, request.groupId))
        return { ...createConsumerGroupHeartbeatResponse(), errorCode: groupDenied };
      const hidden = (request.subscribedTopicNames ?? []).filter(
        (topic) => !mayTopic(context, AclOperation.describe, topic),
      );
      if (hidden.length === 0) return next(request);
      return {
        ...createConsumerGroupHeartbeatResponse(),
        errorCode: topicDenied,
        errorMessage: `The group has subscribed to topics that are not authorized: ${hidden.join(", ")}.`,
      };
    },

    // As Kafka 4: a group whose members hold topics the client may not describe is refused whole.
    [ApiKey.ConsumerGroupDescribe]: (request, context, next) => {
      const { allowed, denied } = partitionBy(request.groupIds, (groupId) =>
        mayGroup(context, AclOperation.describe, groupId),
      );
      return afterResponse<69>(next({ ...request, groupIds: allowed }), (response) => {
        response.groups = response.groups.map((group) => {
          const topics = group.members.flatMap((member) => [
            ...member.assignment.topicPartitions.map((partitions) => partitions.topicName),
            ...member.targetAssignment.topicPartitions.map((partitions) => partitions.topicName),
          ]);
          if (topics.some((topic) => !mayTopic(context, AclOperation.describe, topic))) {
            return {
              ...createConsumerGroupDescribeResponseDescribedGroup(),
              groupId: group.groupId,
              errorCode: topicDenied,
              errorMessage: "The group has assigned topics the client is not authorized to describe.",
            };
          }
          if (group.authorizedOperations !== authorizedOperationsNotRequested)
            group.authorizedOperations = authorizer.authorizedOperations(
              context.connection,
              ResourceType.group,
              group.groupId,
            );
          return group;
        });
        for (const groupId of denied) {
          response.groups.push({
            ...createConsumerGroupDescribeResponseDescribedGroup(),
            groupId,
            errorCode: groupDenied,
          });
        }
        return response;
      });
    },

    [ApiKey.InitProducerId]: (request, context, next) => {
      const transactionalId = request.transactionalId;
      if (transactionalId !== null) {
        if (
          authorizer.authorize(
            context.connection,
            AclOperation.write,
            ResourceType.transactionalId,
            transactionalId,
          )
        )
          return next(request);
        return {
          ...createInitProducerIdResponse(),
          errorCode: ErrorCode.TransactionalIdAuthorizationFailed,
          producerEpoch: -1,
        };
      }
      const idempotent =
        authorizer.authorize(
          context.connection,
          AclOperation.idempotentWrite,
          ResourceType.cluster,
          clusterResourceName,
        ) || authorizer.authorizeAny(context.connection, AclOperation.write, ResourceType.topic);
      if (idempotent) return next(request);
      return {
        ...createInitProducerIdResponse(),
        errorCode: ErrorCode.ClusterAuthorizationFailed,
        producerEpoch: -1,
      };
    },
  };

  function offsetFetchGroups(
    request: Parameters<NonNullable<GuardTable[9]>>[0],
    context: RequestContext,
    next: Parameters<NonNullable<GuardTable[9]>>[2],
  ) {
    const { allowed: groups, denied: deniedGroups } = partitionBy(request.groups, (group) =>
      mayGroup(context, AclOperation.describe, group.groupId),
    );
    const deniedTopicsByGroup = new Map<string, { name: string; partitionIndexes: number[] }[]>();
    const passed = groups.map((group) => {
      if (group.topics === null) return group;
      const { allowed, denied } = partitionBy(group.topics, (topic) =>
        mayTopic(context, AclOperation.describe, topic.name),
      );
      if (denied.length > 0) deniedTopicsByGroup.set(group.groupId, denied);
      return { ...group, topics: allowed };
    });
    const allTopics = new Set(groups.filter((group) => group.topics === null).map((group) => group.groupId));
    return afterResponse<9>(next({ ...request, groups: passed }), (response) => {
      for (const group of response.groups) {
        if (allTopics.has(group.groupId))
          group.topics = group.topics.filter((topic) => mayTopic(context, AclOperation.describe, topic.name));
        for (const topic of deniedTopicsByGroup.get(group.groupId) ?? []) {
          group.topics.push({
            ...createOffsetFetchResponseTopics(),
            name: topic.name,
            partitions: topic.partitionIndexes.map((partitionIndex) => ({
              ...createOffsetFetchResponsePartitions(),
              partitionIndex,
              committedOffset: -1n,
              errorCode: topicDenied,
            })),
          });
        }
      }
      for (const group of deniedGroups)
        response.groups.push({
          ...createOffsetFetchResponseGroup(),
          groupId: group.groupId,
          errorCode: groupDenied,
        });
      return response;
    });
  }
}
