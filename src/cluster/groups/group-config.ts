// The classic group coordinator's limits, named after Kafka's broker configs with their units last.

export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms: a JoinGroup asking for less gets INVALID_SESSION_TIMEOUT. */
  sessionTimeoutMsMin: number;
  /** group.max.session.timeout.ms: a JoinGroup asking for more gets INVALID_SESSION_TIMEOUT. */
  sessionTimeoutMsMax: number;
  /** group.max.size: members beyond it get GROUP_MAX_SIZE_REACHED. */
  groupMaxSize: number;
  /** group.initial.rebalance.delay.ms: how long a new (Empty) group waits for more members; 0 = none. */
  initialRebalanceDelayMs: number;
  /**
   * Kafka's fixed 5-minute join timeout for members added without a member id handshake (JoinGroup v0-3):
   * they cannot heartbeat while their JoinGroup is parked, so a defunct one must not stall the group forever.
   */
  newMemberJoinTimeoutMs: number;
  /** offsets.retention.ms: committed offsets of an Empty group expire this long after it became Empty. */
  offsetsRetentionMs: number;
  /** offset.metadata.max.bytes: longer commit metadata gets OFFSET_METADATA_TOO_LARGE. */
  offsetMetadataBytesMax: number;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  sessionTimeoutMsMin: 6_000,
  sessionTimeoutMsMax: 1_800_000,
  groupMaxSize: 0x7fff_ffff,
  initialRebalanceDelayMs: 3_000,
  newMemberJoinTimeoutMs: 300_000,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetMetadataBytesMax: 4096,
};
