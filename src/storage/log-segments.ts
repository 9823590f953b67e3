// The segments of a partition log, oldest first, the last one active — where an offset lives, reading whole
// batches from there, and the changes to the list that truncation, retention and rolls make: cutting the tail,
// beginning again at a new offset, deleting the oldest, starting a new active segment. What a change means for
// the log's offsets, group commit, epochs and checkpoint is the PartitionLog's to say.

import { assert } from "../base/assert.ts";
import type { FilePool } from "./file-pool.ts";
import { type ReadResult, readWholeBatches } from "./log-batches.ts";
import type { SegmentSummary } from "./retention.ts";
import { Segment } from "./segment.ts";
import { describeError, StorageError } from "./storage-error.ts";

/** Where the last read ended: the next read from there skips the index look-up. */
interface ReadCursor {
  offset: number;
  segment: Segment;
  position: number;
}

export class LogSegments {
  private list: Segment[];
  private cursor: ReadCursor | null = null;

  constructor(
    private readonly pool: FilePool,
    private readonly dir: string,
    segments: Segment[],
  ) {
    assert(segments.length > 0, `${dir}: a log has at least its active segment`);
    this.list = segments;
  }

  get active(): Segment {
    return this.list[this.list.length - 1]!;
  }

  get count(): number {
    return this.list.length;
  }

  get all(): readonly Segment[] {
    return this.list;
  }

  get sizeBytes(): number {
    return this.list.reduce((total, segment) => total + segment.sizeBytes, 0);
  }

  baseOffsets(): number[] {
    return this.list.map((segment) => segment.baseOffset);
  }

  /** What retention decides on, oldest first. */
  summaries(): SegmentSummary[] {
    return this.list.map((segment) => ({
      baseOffset: segment.baseOffset,
      endOffset: segment.endOffset,
      sizeBytes: segment.sizeBytes,
      maxTimestampMs: segment.maxTimestampMs,
    }));
  }

  /** The batches from the one holding `offset`, ending before `upTo`: at most maxBytes, but one whole batch if any. */
  read(offset: number, upTo: number, options: { maxBytes: number; minOneBatch: boolean }): ReadResult {
    const empty = { bytes: new Uint8Array(0), nextOffset: offset };
    if (offset >= upTo) return empty;
    const start = this.locate(offset);
    if (start === null) return empty;
    let endPosition = start.segment.sizeBytes;
    if (upTo < start.segment.endOffset) endPosition = start.segment.locate(upTo)?.position ?? endPosition;
    const found = readWholeBatches(start.segment, start.position, endPosition, options);
    if (found === null) return empty;
    this.cursor = {
      offset: found.nextOffset,
      segment: start.segment,
      position: start.position + found.bytes.length,
    };
    return found;
  }

  /** Offset of the first batch whose max timestamp is ≥ `timestampMs`, no lower than `logStartOffset`, or null. */
  offsetForTimestamp(timestampMs: number, logStartOffset: number): number | null {
    for (const segment of this.list) {
      if (segment.maxTimestampMs < timestampMs) continue;
      const entry = segment.timeIndex.floor(timestampMs - 1);
      let offset = Math.max(entry ? segment.baseOffset + entry.value : segment.baseOffset, logStartOffset);
      for (;;) {
        const batch = segment.locate(offset);
        if (batch === null) break;
        if (batch.maxTimestampMs >= timestampMs) return Math.max(batch.baseOffset, logStartOffset);
        offset = batch.lastOffset + 1;
      }
    }
    return null;
  }

  /** The log start moved: reads must look their offset up again. */
  forgetCursor(): void {
    this.cursor = null;
  }

  /** Whether cutting at `offset` leaves nothing at or above `logStartOffset` (the cut is in its batch or below). */
  cutsLogStart(offset: number, logStartOffset: number): boolean {
    const holding = this.list[this.floorIndex(offset)]!.locate(offset);
    return offset <= logStartOffset || (holding !== null && holding.baseOffset <= logStartOffset);
  }

  /** Drops every batch from the one holding `offset` on, newest segments first; the caller syncs. */
  truncateTail(offset: number): void {
    this.cursor = null;
    while (this.list.length > 1 && this.active.baseOffset > offset) this.list.pop()!.deleteFiles();
    this.active.truncateTo(offset);
  }

  /** Deletes every segment and begins one, empty, at `offset`; the directory is synced. */
  restartAt(offset: number, indexIntervalBytes: number): void {
    this.cursor = null;
    // Newest first: a crash part way leaves an older, consistent prefix of the log.
    while (this.list.length > 0) this.list.pop()!.deleteFiles();
    const segment = Segment.create(this.pool, this.dir, offset);
    segment.indexIntervalBytes = indexIntervalBytes;
    this.list.push(segment);
    this.pool.storageFs.syncDir(this.dir);
  }

  /** Deletes the `count` oldest segments, which the log start has already passed; the directory is synced. */
  deleteOldest(count: number): void {
    assert(count < this.list.length, `${this.dir}: retention never deletes the active segment`);
    this.cursor = null;
    for (const segment of this.list.splice(0, count)) segment.deleteFiles();
    this.pool.storageFs.syncDir(this.dir);
  }

  /**
   * Starts a new, empty active segment at `baseOffset` (the caller sealed the old one); the directory is synced.
   * A segment that cannot be created leaves no files behind and the list as it was.
   */
  startSegment(baseOffset: number, indexIntervalBytes: number): void {
    let segment: Segment;
    try {
      segment = Segment.create(this.pool, this.dir, baseOffset);
      this.pool.storageFs.syncDir(this.dir);
    } catch (error) {
      Segment.discard(this.pool, this.dir, baseOffset);
      throw new StorageError(
        `${this.dir}: cannot create a segment at ${baseOffset}: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
    segment.indexIntervalBytes = indexIntervalBytes;
    this.list.push(segment);
  }

  /** Puts `fresh` in the place of `old` (a cleaned copy, same offsets); false if `old` is no longer listed. */
  replace(old: Segment, fresh: Segment): void {
    const index = this.list.indexOf(old);
    assert(
      index >= 0 && index < this.list.length - 1,
      `${this.dir}: only a listed inactive segment is replaced`,
    );
    assert(
      fresh.baseOffset === old.baseOffset && fresh.endOffset === old.endOffset,
      `${this.dir}: a cleaned segment spans [${fresh.baseOffset}, ${fresh.endOffset}), not [${old.baseOffset}, ${old.endOffset})`,
    );
    this.cursor = null;
    this.list[index] = fresh;
  }

  /** Whether `segment` is still one of the log's inactive segments. */
  holdsInactive(segment: Segment): boolean {
    const index = this.list.indexOf(segment);
    return index >= 0 && index < this.list.length - 1;
  }

  closeAll(): void {
    for (const segment of this.list) segment.close();
  }

  private locate(offset: number): { segment: Segment; position: number } | null {
    const cursor = this.cursor;
    if (cursor !== null && cursor.offset === offset && cursor.position < cursor.segment.sizeBytes) {
      return { segment: cursor.segment, position: cursor.position };
    }
    for (let index = this.floorIndex(offset); index < this.list.length; index++) {
      const segment = this.list[index]!;
      const batch = segment.locate(offset);
      if (batch !== null) return { segment, position: batch.position };
    }
    return null;
  }

  /** The last segment whose base offset is ≤ `offset` (the first one if none is). */
  private floorIndex(offset: number): number {
    let low = 0;
    let high = this.list.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.list[middle]!.baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
