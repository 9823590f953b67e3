// Kafka's LeaderEpochFileCache.endOffsetFor over a plain list of (epoch, first offset) entries, so every
// PartitionReplica answers OffsetForLeaderEpoch by the same rules whatever keeps its epochs.

/** The first offset written in an epoch, as the leader-epoch cache records it. */
export interface EpochStart {
  epoch: number;
  startOffset: number;
}

export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET: "this replica cannot say". */
export const undefinedEpochEndOffset: EpochEndOffset = { epoch: -1, endOffset: -1 };

/**
 * The largest epoch ≤ `requestedEpoch` and the offset where it ends: the start of the next larger epoch, or the
 * log end offset for the latest epoch. Kafka's edge cases, kept exactly: a requested epoch newer than every
 * known one (or the undefined epoch -1, or an empty cache) is undefined; one older than every known epoch
 * answers itself ending where the first known epoch starts, since the history before it was deleted and a
 * follower should replicate from there.
 */
export function endOffsetForEpoch(
  entries: readonly EpochStart[],
  requestedEpoch: number,
  logEndOffset: number,
): EpochEndOffset {
  if (requestedEpoch < 0) return undefinedEpochEndOffset;
  const latest = entries[entries.length - 1];
  if (latest !== undefined && latest.epoch === requestedEpoch) {
    return { epoch: requestedEpoch, endOffset: logEndOffset };
  }
  const higherIndex = entries.findIndex((entry) => entry.epoch > requestedEpoch);
  const higher = entries[higherIndex];
  if (higher === undefined) return undefinedEpochEndOffset;
  const floor = entries[higherIndex - 1];
  if (floor === undefined) return { epoch: requestedEpoch, endOffset: higher.startOffset };
  return { epoch: floor.epoch, endOffset: higher.startOffset };
}
