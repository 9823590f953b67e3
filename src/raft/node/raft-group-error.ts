// Why a RaftGroup refused or dropped a produce waiter, and the Kafka error each reason maps to.

export type RaftGroupErrorReason =
  /** This node is not (or is no longer) the leader: Kafka's NOT_LEADER_OR_FOLLOWER, which clients retry. */
  | "notLeader"
  /** The leader refused a proposal buffered during a write (e.g. uncommitted bytes full): NOT_LEADER_OR_FOLLOWER. */
  | "proposalDropped"
  /** The group was stopped (partition deleted or moved, node shutting down): NOT_LEADER_OR_FOLLOWER. */
  | "stopped"
  /** Persisting failed (disk full, offline): the group stopped for good. Kafka's KAFKA_STORAGE_ERROR. */
  | "storageFailed";

export class RaftGroupError extends Error {
  override name = "RaftGroupError";
  constructor(
    readonly reason: RaftGroupErrorReason,
    readonly groupId: string,
    detail?: string,
  ) {
    super(`raft group ${groupId}: ${reason}${detail === undefined ? "" : ` (${detail})`}`);
  }

  /** The Kafka error name a produce or admin request waiting on this group should answer with. */
  get kafkaError(): "NOT_LEADER_OR_FOLLOWER" | "KAFKA_STORAGE_ERROR" {
    return this.reason === "storageFailed" ? "KAFKA_STORAGE_ERROR" : "NOT_LEADER_OR_FOLLOWER";
  }
}
