// The classic consumer-group coordinator: a pure state machine over groups and committed offsets, its
// __consumer_offsets records, and the partition a group lives in.

export { consumerProtocolType, subscribedTopicsOf } from "./consumer-protocol.ts";
export { joinError, syncError } from "./group.ts";
export { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from "./group-config.ts";
export { GroupCoordinator, type GroupCoordinatorOptions } from "./group-coordinator.ts";
export { groupPartition, javaStringHashCode, kafkaAbs } from "./group-partition.ts";
export {
  decodeGroupRecord,
  type EncodedGroupRecord,
  encodeGroupRecord,
  type GroupMetadataMember,
  type GroupMetadataValue,
  type GroupRecord,
  type OffsetCommitKey,
  type OffsetCommitValue,
} from "./group-records.ts";
export type * from "./group-types.ts";
export { deadGroup } from "./group-types.ts";
