// ConsumerGroupDescribe's view of one group: epochs, state, assignor, and each member with its current
// and target assignment, topic ids resolved to names through the group's subscribed topics.

import { type Assignment, emptyAssignment } from "./assignment.ts";
import type { ConsumerGroup } from "./consumer-group.ts";
import type { ConsumerGroupConfig } from "./consumer-group-config.ts";
import type { DescribedConsumerGroup, DescribedTopicPartitions } from "./consumer-group-types.ts";
import { groupAssignor } from "./group-changes.ts";

export function describeGroup(
  groupId: string,
  group: ConsumerGroup | undefined,
  config: ConsumerGroupConfig,
): DescribedConsumerGroup {
  if (group === undefined) {
    const error = groupId === "" ? "INVALID_GROUP_ID" : "GROUP_ID_NOT_FOUND";
    return {
      groupId,
      error,
      state: "Dead",
      groupEpoch: 0,
      assignmentEpoch: 0,
      assignorName: "",
      members: [],
    };
  }
  const names = new Map(group.subscribedTopics.map((t) => [t.topicId, t.topicName] as const));
  const describe = (assignment: Assignment): DescribedTopicPartitions[] =>
    [...assignment].map(([topicId, partitions]) => ({
      topicId,
      topicName: names.get(topicId) ?? "",
      partitions: [...partitions],
    }));
  return {
    groupId,
    error: "NONE",
    state: group.state(),
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: groupAssignor(group, config),
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      instanceId: member.instanceId,
      rackId: member.rackId,
      memberEpoch: member.memberEpoch,
      clientId: member.clientId,
      clientHost: member.clientHost,
      subscribedTopicNames: [...member.subscribedTopicNames],
      assignment: describe(member.assigned),
      targetAssignment: describe(group.targetAssignment.get(member.memberId) ?? emptyAssignment),
    })),
  };
}
