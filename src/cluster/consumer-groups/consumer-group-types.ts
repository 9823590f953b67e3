// The consumer group coordinator's plain inputs, outputs and records. Broker handlers translate
// ConsumerGroupHeartbeat / ConsumerGroupDescribe into these and back, so nothing here depends on the
// generated codec. Topic ids are UUID strings; errors are Kafka error names.

import type { EpochedTopicPartitions, TopicPartitions } from "./assignment.ts";

export type ConsumerGroupErrorName =
  | "NONE"
  | "INVALID_REQUEST"
  | "INVALID_GROUP_ID"
  | "GROUP_ID_NOT_FOUND"
  | "UNKNOWN_MEMBER_ID"
  | "FENCED_MEMBER_EPOCH"
  | "UNSUPPORTED_ASSIGNOR"
  | "GROUP_MAX_SIZE_REACHED"
  | "UNRELEASED_INSTANCE_ID"
  | "FENCED_INSTANCE_ID";

/** Member epochs with a meaning of their own in a heartbeat. */
export const joinEpoch = 0;
export const leaveEpoch = -1;
export const staticLeaveEpoch = -2;

export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable";

export type MemberState = "STABLE" | "UNREVOKED_PARTITIONS" | "UNRELEASED_PARTITIONS";

/** The coordinator's view of the topics: undefined for a topic that does not exist. */
export type TopicLookup = (topicName: string) => { topicId: string; partitionCount: number } | undefined;

export interface ConsumerGroupHeartbeatInput {
  groupId: string;
  /** "" when joining lets the coordinator pick one; Kafka 4 clients send their own UUID. */
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  /** -1 when unchanged since the last heartbeat. */
  rebalanceTimeoutMs: number;
  /** null when unchanged since the last heartbeat. */
  subscribedTopicNames: readonly string[] | null;
  /** Regex subscriptions are not supported; a non-null value gets INVALID_REQUEST. */
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** The partitions the member owns right now; null when unchanged since the last heartbeat. */
  topicPartitions: readonly TopicPartitions[] | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerGroupHeartbeatResponse {
  error: ConsumerGroupErrorName;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The partitions the member should own now; null when unchanged. */
  assignment: TopicPartitions[] | null;
}

export interface DescribedTopicPartitions extends TopicPartitions {
  topicName: string;
}

export interface DescribedConsumerGroupMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  assignment: DescribedTopicPartitions[];
  targetAssignment: DescribedTopicPartitions[];
}

export interface DescribedConsumerGroup {
  groupId: string;
  error: ConsumerGroupErrorName;
  state: ConsumerGroupState | "Dead";
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: DescribedConsumerGroupMember[];
}

export interface MemberMetadataValue {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  serverAssignor: string | null;
  rebalanceTimeoutMs: number;
}

export interface CurrentAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assignedPartitions: EpochedTopicPartitions[];
  partitionsPendingRevocation: EpochedTopicPartitions[];
}

export interface SubscribedTopic {
  topicName: string;
  topicId: string;
  partitionCount: number;
}

/**
 * What must be appended to __consumer_offsets before the response goes out; replaying them in order
 * rebuilds the groups. They mirror Kafka's ConsumerGroup* record types; a null value is a tombstone.
 */
export type ConsumerGroupRecord =
  | { type: "GroupMetadata"; groupId: string; value: { epoch: number } | null }
  | { type: "PartitionMetadata"; groupId: string; value: { topics: SubscribedTopic[] } | null }
  | { type: "MemberMetadata"; groupId: string; memberId: string; value: MemberMetadataValue | null }
  | { type: "TargetAssignmentMetadata"; groupId: string; value: { assignmentEpoch: number } | null }
  | {
      type: "TargetAssignmentMember";
      groupId: string;
      memberId: string;
      value: { topicPartitions: TopicPartitions[] } | null;
    }
  | {
      type: "CurrentMemberAssignment";
      groupId: string;
      memberId: string;
      value: CurrentAssignmentValue | null;
    };

export interface HeartbeatResult {
  response: ConsumerGroupHeartbeatResponse;
  records: ConsumerGroupRecord[];
}
