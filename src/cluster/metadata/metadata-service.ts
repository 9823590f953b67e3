// What the rest of the node sees of the cluster metadata: the committed state, and a way to change it. The
// metadata Raft group implements it (standalone: a group of one voter); tests use an in-memory one.

import type { CommandResult } from "./metadata-commands.ts";
import type { MetadataState } from "./metadata-state.ts";

/** Plans a change against the state as it stands when its turn comes (see MetadataService.execute). */
export type MetadataPlan = (state: MetadataState) => CommandResult;

export interface MetadataService {
  /** The state after every committed record applied here, in log order. */
  readonly state: MetadataState;
  /**
   * Runs `plan` once every earlier change is applied, appends the records it returns as one entry, and resolves
   * once they are committed and applied to `state` (or at once with the plan's error). One change at a time, as
   * Kafka's controller does: two CreateTopics for one name can never both pass their checks. Rejects when this
   * node cannot commit (not the metadata leader, shutting down).
   */
  execute(plan: MetadataPlan): Promise<CommandResult>;
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
