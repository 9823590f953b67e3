// The named limits of the Connect-RPC Raft transport, with their units. Both ends of a cluster should run the
// same values: the receiver refuses a call larger than its callBytesMax, and the sender never makes one.

export interface RaftTransportLimits {
  /**
   * Bytes of one call's request body. The sender splits what it has queued into calls below it; the receiver
   * refuses anything larger unread (Connect's readMaxBytes, RESOURCE_EXHAUSTED). It must hold the largest
   * single message: an append of one record batch (appendBytesMax 1 MiB, and a batch may exceed that), or
   * one snapshot chunk. A message larger than it is dropped and counted.
   */
  readonly callBytesMax: number;
  /**
   * Bytes a call is filled to from the queue (a single larger message still goes, alone). Small calls keep a
   * heartbeat or a vote from waiting behind tens of megabytes of appends, and each call's write and fsync on
   * the follower short enough that no election timeout passes while it runs.
   */
  readonly callBytesTarget: number;
  /** Messages in one call: bounds how long the receiver's event loop spends decoding and stepping one. */
  readonly callMessagesMax: number;
  /** Messages queued for one peer behind the call in flight; beyond it the oldest are dropped (Raft resends). */
  readonly peerQueueMessagesMax: number;
  /** Bytes (encoded, upper bound) queued for one peer behind the call in flight; the oldest are dropped beyond. */
  readonly peerQueueBytesMax: number;
  /** A call not answered within this many milliseconds is abandoned and counts as failed (a hung peer). */
  readonly callTimeoutMs: number;
  /** Milliseconds before the first retry after a failed call; doubled per further failure in a row. */
  readonly retryBackoffMsMin: number;
  /** The longest wait between retries: a peer back from the dead is noticed within about this. */
  readonly retryBackoffMsMax: number;
}

export const raftTransportLimitsDefaults: RaftTransportLimits = {
  callBytesMax: 64 * 1024 * 1024,
  callBytesTarget: 4 * 1024 * 1024,
  callMessagesMax: 65_536,
  peerQueueMessagesMax: 262_144,
  peerQueueBytesMax: 128 * 1024 * 1024,
  callTimeoutMs: 5_000,
  retryBackoffMsMin: 20,
  retryBackoffMsMax: 1_000,
};

/** The limits with defaults filled in, or the reason they are invalid. */
export function resolveRaftTransportLimits(
  overrides: Partial<RaftTransportLimits> = {},
): RaftTransportLimits | string {
  const limits = { ...raftTransportLimitsDefaults, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) return `${name} must be an integer ≥ 1`;
  }
  if (limits.retryBackoffMsMax < limits.retryBackoffMsMin)
    return "retryBackoffMsMax must be ≥ retryBackoffMsMin";
  if (limits.peerQueueBytesMax < limits.callBytesMax) return "peerQueueBytesMax must be ≥ callBytesMax";
  if (limits.callBytesMax < 64 * 1024) return "callBytesMax must be ≥ 64 KiB";
  return limits;
}
