// Which whole segments retention may delete (Kafka's deleteRetentionMsBreachedSegments,
// deleteRetentionSizeBreachedSegments and deleteLogStartOffsetBreachedSegments). Pure: the log applies it.

export interface SegmentSummary {
  baseOffset: number;
  /** Offset after the segment's last batch (the next segment's base, or the log end for the active one). */
  endOffset: number;
  sizeBytes: number;
  /** Largest batch maxTimestamp in the segment, -1 if it holds none. */
  maxTimestampMs: number;
}

export interface RetentionInput {
  /** Oldest first; the last one is the active segment, which retention never deletes. */
  segments: readonly SegmentSummary[];
  logStartOffset: number;
  /** Only data below the high watermark may go (Kafka: retention never outruns replication). */
  highWatermark: number;
  retentionMs: number;
  retentionBytes: number;
  /** The wall clock: retention.ms is measured against the records' own timestamps. */
  wallMs: number;
}

export interface RetentionDecision {
  /** How many of the oldest segments to delete. */
  deleteCount: number;
  reason: "none" | "log-start-offset" | "retention-ms" | "retention-bytes";
}

export function decideRetention(input: RetentionInput): RetentionDecision {
  const deletable = input.segments.length - 1;
  let count = 0;
  let reason: RetentionDecision["reason"] = "none";
  const allowed = (segment: SegmentSummary) => segment.endOffset <= input.highWatermark;
  while (count < deletable) {
    const segment = input.segments[count]!;
    if (!allowed(segment) || segment.endOffset > input.logStartOffset) break;
    count++;
    reason = "log-start-offset";
  }
  if (input.retentionMs >= 0) {
    while (count < deletable) {
      const segment = input.segments[count]!;
      if (!allowed(segment) || input.wallMs - segment.maxTimestampMs <= input.retentionMs) break;
      count++;
      reason = "retention-ms";
    }
  }
  if (input.retentionBytes >= 0) {
    let total = 0;
    for (let i = count; i < input.segments.length; i++) total += input.segments[i]!.sizeBytes;
    while (count < deletable) {
      const segment = input.segments[count]!;
      if (!allowed(segment) || total - segment.sizeBytes < input.retentionBytes) break;
      total -= segment.sizeBytes;
      count++;
      reason = "retention-bytes";
    }
  }
  return { deleteCount: count, reason };
}
