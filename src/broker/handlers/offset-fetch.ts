// OffsetFetch v0–9: a group's committed offsets; v8+ asks for a batch of groups (KIP-709), v9+ names the
// asking member of a consumer group and its epoch. v7+ may ask for stable offsets only (KIP-447): a partition
// with offsets committed in a transaction not yet ended answers UNSTABLE_OFFSET_COMMIT, which clients retry.

import type { GroupService } from "../../cluster/group-service.ts";
import type { FetchedOffset } from "../../cluster/groups/index.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createOffsetFetchResponse,
  createOffsetFetchResponseGroup,
  createOffsetFetchResponsePartition,
  createOffsetFetchResponseTopic,
} from "../../protocol/messages/offset-fetch.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

/** One partition's answer; v8+'s OffsetFetchResponsePartitions has the same fields as v0–7's Partition. */
function fetchedPartition(offset: FetchedOffset) {
  return {
    ...createOffsetFetchResponsePartition(),
    partitionIndex: offset.partition,
    committedOffset: BigInt(offset.offset),
    committedLeaderEpoch: offset.leaderEpoch,
    metadata: offset.metadata,
    errorCode: errorCodeByName(offset.error),
  };
}

/** OffsetFetch v8 (KIP-709) is the first to ask for a batch of groups. */
const batchedGroupsVersionMin = 8;

export function offsetFetchHandler(groups: GroupService) {
  const fetchGroup = (
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null,
    member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 },
    requireStable = false,
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
      errorCode: errorCodeByName(response.error),
      topics: response.topics.map((topic) => ({
        ...createOffsetFetchResponseTopic(),
        name: topic.name,
        partitions: topic.partitions.map((partition) => {
          const fetched = fetchedPartition(partition);
          const unstable =
            requireStable && groups.hasPendingTxnOffset(groupId, topic.name, partition.partition);
          return unstable
            ? { ...fetched, committedOffset: -1n, errorCode: ErrorCode.UnstableOffsetCommit }
            : fetched;
        }),
      })),
    };
  };
  return defineHandler({
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    handle(request, { apiVersion }) {
      if (apiVersion >= batchedGroupsVersionMin) {
        const answered = request.groups.map((group) => ({
          ...createOffsetFetchResponseGroup(),
          groupId: group.groupId,
          ...fetchGroup(
            group.groupId,
            group.topics,
            { memberId: group.memberId, memberEpoch: group.memberEpoch },
            request.requireStable,
          ),
        }));
        return { ...createOffsetFetchResponse(), groups: answered };
      }
      return {
        ...createOffsetFetchResponse(),
        ...fetchGroup(request.groupId, request.topics, undefined, request.requireStable),
      };
    },
  });
}
