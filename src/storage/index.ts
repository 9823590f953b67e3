// The storage engine: partition logs of Kafka record batches on local disk (also the Raft logs of the
// partitions' groups) and their manager with a bounded descriptor pool. Raft hard state is raft/node's
// (file-hard-state.ts), beside the segments but not part of the log.

export { writeFileAtomic } from "./atomic-file.ts";
export { type DirSyncBatching, dirSyncBatching } from "./dir-sync-batch.ts";
export { FaultInjectingFs } from "./fault-injecting-fs.ts";
export { FilePool } from "./file-pool.ts";
export { type EpochEntry, LeaderEpochCache } from "./leader-epoch-cache.ts";
export * as storageLimits from "./limits.ts";
export { type CleanerBudget, type CleaningPass, cleanerBudgetDefault, LogCleaner } from "./log-cleaner.ts";
export {
  type CompactionConfig,
  compactionConfigDefault,
  type FlushPolicy,
  type LogConfig,
  logConfigDefault,
  logConfigOf,
} from "./log-config.ts";
export {
  LogManager,
  type LogManagerOptions,
  type PartitionState,
  type RetentionPolicy,
} from "./log-manager.ts";
export {
  type AppendResult,
  PartitionLog,
  type PartitionLogOptions,
  type ReadResult,
} from "./partition-log.ts";
export { decideRetention, type RetentionDecision } from "./retention.ts";
export {
  CorruptLogError,
  InvalidBatchError,
  OffsetOutOfRangeError,
  StorageError,
} from "./storage-error.ts";
export { nodeStorageFs, type StorageFs } from "./storage-fs.ts";
