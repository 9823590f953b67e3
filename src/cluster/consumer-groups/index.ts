// The consumer (KIP-848) group coordinator: server-side assignment with epochs and incremental
// reconciliation, its "uniform" and "range" assignors, and the records that make groups durable.

export * from "./assignment.ts";
export type * from "./assignor.ts";
export {
  type ConsumerGroupConfig,
  defaultConsumerGroupConfig,
  type GroupConfigLookup,
} from "./consumer-group-config.ts";
export {
  ConsumerGroupCoordinator,
  type ConsumerGroupCoordinatorOptions,
  type ListedConsumerGroup,
  type OffsetCommitValidation,
  type OffsetValidationError,
} from "./consumer-group-coordinator.ts";
export {
  decodeConsumerGroupRecord,
  type EncodedConsumerGroupRecord,
  encodeConsumerGroupRecord,
} from "./consumer-group-records.ts";
export * from "./consumer-group-types.ts";
export { rangeAssign } from "./range-assignor.ts";
export { uniformAssign } from "./uniform-assignor.ts";
