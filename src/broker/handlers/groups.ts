// The classic consumer-group APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch, ListGroups, DescribeGroups, DeleteGroups and OffsetDelete (plus, from consumer-groups.ts, the
// KIP-848 ones). They translate between the wire and the GroupService; the protocol logic lives in
// cluster/groups, cluster/consumer-groups and cluster/partition-groups.ts (which protocol owns a group id).

import type { GroupService } from "../../cluster/group-service.ts";
import type { FetchedOffset, GroupErrorName } from "../../cluster/groups/index.ts";
import { offsetsTopicName } from "../../cluster/internal-topics.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { type AnyApiHandler, defineHandler } from "../api-handler.ts";
import { allGroupOperations, authorizedOperations } from "../authorized-operations.ts";
import { authorizedOperationsNotRequested, type BrokerContext } from "../broker-context.ts";
import { consumerGroupHandlers } from "./consumer-groups.ts";

const code = (error: GroupErrorName): number => errorCodeByName(error);
/** FindCoordinator key types: 0 a consumer group, 1 a transactional id. */
const groupKeyType = 0;

export interface GroupHandlerDeps {
  context: BrokerContext;
  groups: GroupService;
  /** This broker's advertised address: coordinators are found here in a single-node cluster. */
  advertised: { host: string; port: number };
}

function findCoordinatorHandler({ context, groups }: GroupHandlerDeps) {
  const state = context.metadata.state;
  const locate = (key: string, keyType: number) => {
    if (keyType !== groupKeyType) {
      return {
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: "transactions are not supported",
        nodeId: -1,
      };
    }
    // The coordinator is the leader of the group's __consumer_offsets partition, wherever it is.
    const partition = groups.partitionOf(key);
    const offsetsTopic = state.topicByName(offsetsTopicName);
    const leaderId =
      offsetsTopic === undefined
        ? -1
        : (context.partitions.leadership(offsetsTopic.topicId, partition)?.leaderId ?? -1);
    // Led here but not loaded yet (a new leader catching up): the client asks again shortly.
    const ready = leaderId !== context.nodeId || groups.lookup(key).ok;
    if (leaderId === -1 || !ready || state.broker(leaderId) === undefined) {
      return { errorCode: ErrorCode.CoordinatorNotAvailable, errorMessage: null, nodeId: -1 };
    }
    return { errorCode: 0, errorMessage: null, nodeId: leaderId };
  };
  return defineHandler({
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    handle(request, { apiVersion }) {
      const address = (nodeId: number) => {
        const broker = nodeId === -1 ? undefined : state.broker(nodeId);
        return broker === undefined ? { host: "", port: -1 } : { host: broker.host, port: broker.port };
      };
      if (apiVersion < 4) {
        const found = locate(request.key, request.keyType);
        return {
          throttleTimeMs: 0,
          ...found,
          ...address(found.nodeId),
          coordinators: [],
          unknownTaggedFields: [],
        };
      }
      const coordinators = request.coordinatorKeys.map((key) => {
        const found = locate(key, request.keyType);
        return { key, ...found, ...address(found.nodeId), unknownTaggedFields: [] };
      });
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: -1,
        host: "",
        port: -1,
        coordinators,
        unknownTaggedFields: [],
      };
    },
  });
}

function joinGroupHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, { apiVersion, clientId, connection }) {
      const answer = await groups.joinGroup({
        apiVersion,
        groupId: request.groupId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        clientId: clientId ?? "",
        clientHost: `/${connection.remoteAddress}`,
        sessionTimeoutMs: request.sessionTimeoutMs,
        // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout.
        rebalanceTimeoutMs: apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols.map((protocol) => ({
          name: protocol.name,
          metadata: protocol.metadata,
        })),
      });
      if (answer === "NOT_COORDINATOR") {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NotCoordinator,
          generationId: -1,
          protocolType: null,
          protocolName: null,
          leader: "",
          skipAssignment: false,
          memberId: request.memberId,
          members: [],
          unknownTaggedFields: [],
        };
      }
      if (!("generationId" in answer)) throw new Error("JoinGroup answered with a SyncGroup response");
      return {
        throttleTimeMs: 0,
        errorCode: code(answer.error),
        generationId: answer.generationId,
        protocolType: answer.protocolType,
        // v0–v6 cannot carry a null protocol name.
        protocolName: apiVersion < 7 ? (answer.protocolName ?? "") : answer.protocolName,
        leader: answer.leader,
        skipAssignment: answer.skipAssignment,
        memberId: answer.memberId,
        members: answer.members.map((member) => ({ ...member, unknownTaggedFields: [] })),
        unknownTaggedFields: [],
      };
    },
  });
}

function syncGroupHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(request) {
      const answer = await groups.syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        protocolType: request.protocolType,
        protocolName: request.protocolName,
        assignments: request.assignments.map((entry) => ({
          memberId: entry.memberId,
          assignment: entry.assignment,
        })),
      });
      const empty = new Uint8Array(0);
      if (answer === "NOT_COORDINATOR" || "generationId" in answer) {
        const errorCode =
          answer === "NOT_COORDINATOR" ? ErrorCode.NotCoordinator : ErrorCode.UnknownServerError;
        return {
          throttleTimeMs: 0,
          errorCode,
          protocolType: null,
          protocolName: null,
          assignment: empty,
          unknownTaggedFields: [],
        };
      }
      return {
        throttleTimeMs: 0,
        errorCode: code(answer.error),
        protocolType: answer.protocolType,
        protocolName: answer.protocolName,
        assignment: answer.assignment,
        unknownTaggedFields: [],
      };
    },
  });
}

function heartbeatHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    async handle(request) {
      const result = await groups.step(request.groupId, (coordinator, nowMs) =>
        coordinator.heartbeat(request, nowMs),
      );
      const errorCode = result === "NOT_COORDINATOR" ? ErrorCode.NotCoordinator : code(result.error);
      return { throttleTimeMs: 0, errorCode, unknownTaggedFields: [] };
    },
  });
}

function leaveGroupHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, { apiVersion }) {
      // v0–v2 name one member at the top level; v3+ a batch.
      const members =
        apiVersion < 3
          ? [{ memberId: request.memberId, groupInstanceId: null }]
          : request.members.map((member) => ({
              memberId: member.memberId,
              groupInstanceId: member.groupInstanceId,
            }));
      const result = await groups.step(request.groupId, (coordinator, nowMs) =>
        coordinator.leaveGroup({ groupId: request.groupId, members }, nowMs),
      );
      if (result === "NOT_COORDINATOR") {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NotCoordinator,
          members: [],
          unknownTaggedFields: [],
        };
      }
      const perMember = result.members.map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        errorCode: code(member.error),
        unknownTaggedFields: [],
      }));
      const errorCode =
        apiVersion < 3 && perMember[0] ? perMember[0].errorCode || code(result.error) : code(result.error);
      return {
        throttleTimeMs: 0,
        errorCode,
        members: apiVersion < 3 ? [] : perMember,
        unknownTaggedFields: [],
      };
    },
  });
}

type CommitTopic = {
  name: string;
  partitions: { partition: number; offset: number; leaderEpoch: number; metadata: string | null }[];
};

/**
 * The partitions of `topics` the metadata has, as Kafka's KafkaApis.handleOffsetCommitRequest keeps them: a
 * topic it does not know, or a partition past the topic's count, is answered UNKNOWN_TOPIC_OR_PARTITION and
 * never reaches the coordinator (an offset for it would be applied to a topic created later under that name).
 */
function existingPartitions(context: BrokerContext, topics: readonly CommitTopic[]): CommitTopic[] {
  const existing: CommitTopic[] = [];
  for (const topic of topics) {
    const partitionCount = context.metadata.state.topicByName(topic.name)?.partitions.length ?? 0;
    const partitions = topic.partitions.filter(
      (partition) => partition.partition >= 0 && partition.partition < partitionCount,
    );
    if (partitions.length > 0) existing.push({ name: topic.name, partitions });
  }
  return existing;
}

function offsetCommitHandler({ context, groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.OffsetCommit,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, { apiVersion }) {
      const topics = request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({
          partition: partition.partitionIndex,
          offset: Number(partition.committedOffset),
          leaderEpoch: partition.committedLeaderEpoch,
          metadata: partition.committedMetadata,
        })),
      }));
      // Checked in the same turn as the commit below: GroupService.onPartitionsDeleted relies on it.
      const existing = existingPartitions(context, topics);
      const result =
        existing.length === 0
          ? { topics: [] }
          : await groups.step(request.groupId, (coordinator, nowMs) =>
              coordinator.commitOffsets(
                {
                  apiVersion,
                  groupId: request.groupId,
                  generationId: request.generationIdOrMemberEpoch,
                  memberId: request.memberId,
                  groupInstanceId: request.groupInstanceId,
                  retentionTimeMs: Number(request.retentionTimeMs),
                  topics: existing,
                },
                nowMs,
              ),
            );
      const errors = new Map<string, number>();
      if (result !== "NOT_COORDINATOR") {
        for (const topic of result.topics) {
          for (const partition of topic.partitions)
            errors.set(`${topic.name}/${partition.partition}`, code(partition.error));
        }
      }
      const errorOf = (name: string, partition: number) =>
        result === "NOT_COORDINATOR"
          ? ErrorCode.NotCoordinator
          : (errors.get(`${name}/${partition}`) ?? ErrorCode.UnknownTopicOrPartition);
      return {
        throttleTimeMs: 0,
        topics: topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((partition) => ({
            partitionIndex: partition.partition,
            errorCode: errorOf(topic.name, partition.partition),
            unknownTaggedFields: [],
          })),
          unknownTaggedFields: [],
        })),
        unknownTaggedFields: [],
      };
    },
  });
}

function fetchedPartition(offset: FetchedOffset) {
  return {
    partitionIndex: offset.partition,
    committedOffset: BigInt(offset.offset),
    committedLeaderEpoch: offset.leaderEpoch,
    metadata: offset.metadata,
    errorCode: code(offset.error),
    unknownTaggedFields: [],
  };
}

function offsetFetchHandler({ groups }: GroupHandlerDeps) {
  const fetchGroup = (
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null,
    member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 },
  ) => {
    const found = groups.lookup(groupId);
    if (!found.ok) return { errorCode: ErrorCode.NotCoordinator, topics: [] };
    const response = found.coordinator.fetchOffsets({
      groupId,
      topics: topics?.map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes })) ?? null,
      // v9+: a member of a consumer group names itself and its epoch.
      ...member,
    });
    return {
      errorCode: code(response.error),
      topics: response.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map(fetchedPartition),
        unknownTaggedFields: [],
      })),
    };
  };
  return defineHandler({
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    handle(request, { apiVersion }) {
      if (apiVersion >= 8) {
        const answered = request.groups.map((group) => ({
          groupId: group.groupId,
          ...fetchGroup(group.groupId, group.topics, {
            memberId: group.memberId,
            memberEpoch: group.memberEpoch,
          }),
          unknownTaggedFields: [],
        }));
        return { throttleTimeMs: 0, topics: [], errorCode: 0, groups: answered, unknownTaggedFields: [] };
      }
      const { errorCode, topics } = fetchGroup(request.groupId, request.topics);
      return { throttleTimeMs: 0, topics, errorCode, groups: [], unknownTaggedFields: [] };
    },
  });
}

function listGroupsHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(request) {
      const listed = [];
      for (const coordinator of groups.coordinatorsLedHere()) {
        listed.push(...coordinator.listGroups({ states: request.statesFilter, types: request.typesFilter }));
      }
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: listed.map((group) => ({
          groupId: group.groupId,
          protocolType: group.protocolType,
          groupState: group.state,
          groupType: group.groupType,
          unknownTaggedFields: [],
        })),
        unknownTaggedFields: [],
      };
    },
  });
}

function describeGroupsHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(request, { apiVersion }) {
      const described = request.groups.map((groupId) => {
        const found = groups.lookup(groupId);
        if (!found.ok) {
          return {
            errorCode: ErrorCode.NotCoordinator,
            groupId,
            groupState: "",
            protocolType: "",
            protocolData: "",
            members: [],
            authorizedOperations: authorizedOperationsNotRequested,
            unknownTaggedFields: [],
          };
        }
        const group = found.coordinator.describeGroups([groupId])[0]!;
        // Before v6 a missing group is described as Dead with no error.
        const missing = group.error === "GROUP_ID_NOT_FOUND" && apiVersion < 6;
        const errorCode = missing ? 0 : code(group.error);
        return {
          errorCode,
          groupId,
          groupState: group.state,
          protocolType: group.protocolType,
          protocolData: group.protocolName,
          members: group.members.map((member) => ({
            memberId: member.memberId,
            groupInstanceId: member.groupInstanceId,
            clientId: member.clientId,
            clientHost: member.clientHost,
            memberMetadata: member.metadata,
            memberAssignment: member.assignment,
            unknownTaggedFields: [],
          })),
          // As Kafka: answered for the groups described without an error.
          authorizedOperations: authorizedOperations(
            request.includeAuthorizedOperations && errorCode === 0,
            allGroupOperations,
          ),
          unknownTaggedFields: [],
        };
      });
      return { throttleTimeMs: 0, groups: described, unknownTaggedFields: [] };
    },
  });
}

function deleteGroupsHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      const results = [];
      for (const groupId of request.groupsNames) {
        const result = await groups.step(groupId, (coordinator, nowMs) =>
          coordinator.deleteGroups([groupId], nowMs),
        );
        const errorCode = result === "NOT_COORDINATOR" ? ErrorCode.NotCoordinator : code(result[0]!.error);
        results.push({ groupId, errorCode, unknownTaggedFields: [] });
      }
      return { throttleTimeMs: 0, results, unknownTaggedFields: [] };
    },
  });
}

function offsetDeleteHandler({ groups }: GroupHandlerDeps) {
  return defineHandler({
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(request) {
      const topics = request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => partition.partitionIndex),
      }));
      const result = await groups.step(request.groupId, (coordinator, nowMs) =>
        coordinator.deleteOffsets({ groupId: request.groupId, topics }, nowMs),
      );
      if (result === "NOT_COORDINATOR") {
        return {
          errorCode: ErrorCode.NotCoordinator,
          throttleTimeMs: 0,
          topics: [],
          unknownTaggedFields: [],
        };
      }
      return {
        errorCode: code(result.error),
        throttleTimeMs: 0,
        topics: result.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((partition) => ({
            partitionIndex: partition.partition,
            errorCode: code(partition.error),
            unknownTaggedFields: [],
          })),
          unknownTaggedFields: [],
        })),
        unknownTaggedFields: [],
      };
    },
  });
}

export function groupHandlers(deps: GroupHandlerDeps): AnyApiHandler[] {
  return [
    findCoordinatorHandler(deps),
    joinGroupHandler(deps),
    syncGroupHandler(deps),
    heartbeatHandler(deps),
    leaveGroupHandler(deps),
    offsetCommitHandler(deps),
    offsetFetchHandler(deps),
    listGroupsHandler(deps),
    describeGroupsHandler(deps),
    deleteGroupsHandler(deps),
    offsetDeleteHandler(deps),
    ...consumerGroupHandlers(deps),
  ];
}
