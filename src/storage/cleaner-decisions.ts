// The log cleaner's decisions, pure (Kafka's LogCleanerManager and Cleaner.shouldRetainRecord): whether a
// compacted log is due for cleaning and up to where, and whether one record survives a pass. The I/O that acts
// on them is log-cleaner.ts.
//
// A pass cleans whole inactive segments from the log start up to the first uncleanable offset — the lowest of
// the active segment's base (never the active segment), the high watermark (never anything a replica might
// still truncate; with transactions this becomes the last stable offset), and the first segment holding a
// record younger than min.compaction.lag.ms. The part below the cleaner's checkpoint was cleaned before; the
// rest is dirty. A log is due once dirty bytes are more than min.cleanable.dirty.ratio of the cleanable bytes,
// once its first dirty segment is older than max.compaction.lag.ms, or once a tombstone kept by an earlier
// pass has outlived delete.retention.ms.

import type { CompactionConfig } from "./log-config.ts";
import type { SegmentSummary } from "./retention.ts";

export interface CleaningInput {
  /** Every segment, oldest first, the last one active. */
  segments: readonly SegmentSummary[];
  logStartOffset: number;
  highWatermark: number;
  /** Where the last pass ended (the cleaner's checkpoint): below it the log is clean. */
  firstDirtyOffset: number;
  /** When the earliest tombstone a pass kept may go (its batch's delete horizon), or null. */
  tombstoneExpiryMs: number | null;
  wallMs: number;
  config: CompactionConfig;
}

export type CleaningReason = "dirty-ratio" | "max-compaction-lag" | "tombstones-expired";

export type CleaningDecision =
  | { clean: false; dirtyRatio: number }
  | {
      clean: true;
      reason: CleaningReason;
      /** The pass covers [first segment, cleanableEndOffset); the dirty part starts at firstDirtyOffset. */
      firstDirtyOffset: number;
      cleanableEndOffset: number;
      /** How many of the oldest segments the pass may read (all wholly below cleanableEndOffset). */
      segmentCount: number;
      dirtyRatio: number;
    };

/** The end offset of the cleanable prefix of whole segments (the first segment's base if none is). */
export function cleanableEndOffset(input: Omit<CleaningInput, "firstDirtyOffset" | "tombstoneExpiryMs">) {
  const { segments, config } = input;
  const active = segments[segments.length - 1]!;
  const limit = Math.min(active.baseOffset, input.highWatermark);
  const youngestAllowedMs = input.wallMs - config.minCompactionLagMs;
  let end = segments[0]!.baseOffset;
  let count = 0;
  for (const segment of segments.slice(0, -1)) {
    if (segment.endOffset > limit) break;
    // A segment holding a record younger than min.compaction.lag.ms, and all after it, wait.
    if (config.minCompactionLagMs > 0 && segment.maxTimestampMs > youngestAllowedMs) break;
    end = segment.endOffset;
    count += 1;
  }
  return { endOffset: end, segmentCount: count };
}

export function decideCleaning(input: CleaningInput): CleaningDecision {
  const { endOffset, segmentCount } = cleanableEndOffset(input);
  const cleanable = input.segments.slice(0, segmentCount);
  // The checkpoint is a segment boundary of an earlier pass; a log start past it makes the start the boundary.
  const firstDirty = Math.min(Math.max(input.firstDirtyOffset, input.logStartOffset), endOffset);
  let totalBytes = 0;
  let dirtyBytes = 0;
  let firstDirtySegment: SegmentSummary | undefined;
  for (const segment of cleanable) {
    if (segment.endOffset <= input.logStartOffset) continue;
    totalBytes += segment.sizeBytes;
    if (segment.endOffset > firstDirty) {
      dirtyBytes += segment.sizeBytes;
      firstDirtySegment ??= segment;
    }
  }
  const dirtyRatio = totalBytes === 0 ? 0 : dirtyBytes / totalBytes;
  const decided = (reason: CleaningReason): CleaningDecision => ({
    clean: true,
    reason,
    firstDirtyOffset: firstDirty,
    cleanableEndOffset: endOffset,
    segmentCount,
    dirtyRatio,
  });
  if (dirtyBytes > 0 && dirtyRatio > input.config.minCleanableDirtyRatio) return decided("dirty-ratio");
  // Kafka compares the first dirty segment's first timestamp; the segment's newest one is what is kept here,
  // so a forced pass may come up to one segment's span later than Kafka's.
  const maxLagMs = input.config.maxCompactionLagMs;
  if (
    firstDirtySegment !== undefined &&
    maxLagMs < Number.MAX_SAFE_INTEGER &&
    firstDirtySegment.maxTimestampMs >= 0 &&
    firstDirtySegment.maxTimestampMs <= input.wallMs - maxLagMs
  ) {
    return decided("max-compaction-lag");
  }
  if (totalBytes > 0 && input.tombstoneExpiryMs !== null && input.tombstoneExpiryMs <= input.wallMs) {
    return decided("tombstones-expired");
  }
  return { clean: false, dirtyRatio };
}

export interface RecordView {
  offset: number;
  /** The record's value is null: a tombstone. */
  tombstone: boolean;
}

/**
 * Kafka's shouldRetainRecord: a record goes if a later record of its key lies in the part the pass has mapped
 * (`latestOffsetOfKey` above its own offset); a tombstone also goes once its batch's delete horizon (KIP-534:
 * stamped by the first pass that kept it, delete.retention.ms later) has passed. Nothing else goes: the latest
 * record of every key stays until then, whatever happens.
 */
export function retainRecord(
  record: RecordView,
  latestOffsetOfKey: number | undefined,
  options: { wallMs: number; deleteHorizonMs: number | null },
): boolean {
  if (latestOffsetOfKey !== undefined && latestOffsetOfKey > record.offset) return false;
  if (record.tombstone && options.deleteHorizonMs !== null && options.deleteHorizonMs <= options.wallMs) {
    return false;
  }
  return true;
}
