// The Raft driver of a node: RaftGroup runs one group's Ready loop over durable storage and turns offsets into
// produce promises; GroupManager hosts every group with one timer and batches messages per peer through a
// RaftTransport. Storage ports (RaftLogStore, RaftHardStateStore) say what the groups need from disk; the
// partition log, the node's hard-state journal (or a file per group) and memory serve them.
export type { FileHardStateStoreOptions } from "./file-hard-state.ts";
export { FileHardStateStore, HardStateFileError } from "./file-hard-state.ts";
export type { GroupManagerOptions, ManagedGroupOptions } from "./group-manager.ts";
export { GroupManager } from "./group-manager.ts";
export type { HardStateJournalOptions } from "./hard-state-journal.ts";
export { HardStateJournal, hardStateJournalFileName } from "./hard-state-journal.ts";
export type { LogStartRecord, LogStartRecordsOptions } from "./log-start-records.ts";
export { LogStartRecords, logStartRecordsFileName } from "./log-start-records.ts";
export type { MemoryLogStoreOptions } from "./memory-log-store.ts";
export { MemoryLogStore } from "./memory-log-store.ts";
export { OffsetWaiters } from "./offset-waiters.ts";
export type { PartitionLogStoreOptions } from "./partition-log-store.ts";
export { PartitionLogStore, partitionLogStoreDefaults } from "./partition-log-store.ts";
export type { LeadershipChange, RaftGroupOptions, RaftGroupTestingBug } from "./raft-group.ts";
export { RaftGroup } from "./raft-group.ts";
export type { RaftGroupErrorReason } from "./raft-group-error.ts";
export { RaftGroupError } from "./raft-group-error.ts";
export type { RaftHardStateStore, RaftLogStore } from "./storage-ports.ts";
export type { GroupMessage, RaftTransport } from "./transport.ts";
