// What the rest of the node sees of the cluster metadata: the committed state, and a way to change it. The
// metadata Raft group implements it (standalone: a group of one voter); tests use an in-memory one.

import type { MetadataRecord } from "./metadata-records.ts";
import type { MetadataState } from "./metadata-state.ts";

export interface MetadataService {
  /** The state after every committed record applied here, in log order. */
  readonly state: MetadataState;
  /**
   * Appends `records` to the metadata log as one entry; resolves once they are committed and applied to
   * `state`. Rejects when this node cannot commit (not the metadata leader, shutting down).
   */
  propose(records: readonly MetadataRecord[]): Promise<void>;
}

/** Who leads a partition now, as its Raft group knows it; null while no leader is known. */
export interface PartitionLeadership {
  leaderId: number;
  leaderEpoch: number;
  /** Replicas caught up with the leader (Kafka's in-sync replicas). */
  isr: readonly number[];
}

export interface PartitionDirectory {
  leadership(topicId: string, partition: number): PartitionLeadership | null;
}
