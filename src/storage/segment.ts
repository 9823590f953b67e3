// One segment of a partition log (Kafka's LogSegment): a .log file of batches exactly as stored, a sparse
// offset index and a time index, all named by the segment's base offset. Positions are int32 (≤ 2 GiB).

import { join } from "node:path";
import { assert } from "../base/assert.ts";
import { uninitializedBytes } from "../base/bytes.ts";
import type { FilePool } from "./file-pool.ts";
import { type IndexEntry, IndexFile, offsetIndexLayout, timeIndexLayout } from "./index-file.ts";
import {
  segmentRelativeOffsetMax,
  stagedBytesMax,
  stagedChunksMax,
  zeroAheadBytes,
  zeroAheadDrainBytesMax,
} from "./limits.ts";
import { logFileName, offsetIndexFileName, timeIndexFileName } from "./segment-name.ts";
import { type BatchInfo, isZeroFilled, readBatchInfo, scanSegmentFile, seekBatch } from "./segment-scan.ts";
import { CorruptLogError } from "./storage-error.ts";

/** What zeroAhead writes; never written into, so one buffer serves every segment. */
const zeros = new Uint8Array(zeroAheadBytes);

export class Segment {
  readonly logPath: string;
  readonly offsetIndex: IndexFile;
  readonly timeIndex: IndexFile;
  /** Bytes of whole batches in the segment, including those staged but not yet written to the file. */
  sizeBytes = 0;
  /**
   * At least the file's length: the batches written, then the zeros written ahead of them, or whatever a
   * failed write may have left there. Trimming cuts the file back to the batches whenever it is larger.
   */
  private fileBytes = 0;
  /** Batches appended this event-loop turn, written together by drain() (one pwritev). */
  private staged: Uint8Array[] = [];
  private stagedBytes = 0;
  private stagedFromOffset = -1;
  /** Offset after the last batch; the base offset while empty. */
  endOffset: number;
  maxTimestampMs = -1;
  private offsetOfMaxTimestamp = -1;
  /**
   * Monotonic time of the segment's first append (or of the open that found it non-empty): segment.ms
   * counts from it. Kafka counts from the first batch's timestamp, which rolls at every append when
   * producers send old timestamps; the broker's own clock cannot.
   */
  rollStartMs: number | null = null;
  private bytesSinceIndexEntry = 0;
  /** index.interval.bytes of the topic; the log sets it when the config changes. */
  indexIntervalBytes = 4096;

  private constructor(
    private readonly pool: FilePool,
    readonly dir: string,
    readonly baseOffset: number,
    indexBytes: { offset: number; time: number },
  ) {
    this.logPath = join(dir, logFileName(baseOffset));
    this.endOffset = baseOffset;
    this.offsetIndex = new IndexFile(
      pool,
      join(dir, offsetIndexFileName(baseOffset)),
      offsetIndexLayout,
      indexBytes.offset,
    );
    this.timeIndex = new IndexFile(
      pool,
      join(dir, timeIndexFileName(baseOffset)),
      timeIndexLayout,
      indexBytes.time,
    );
  }

  /** Creates the three empty files of a new segment (the caller fsyncs the directory). */
  static create(pool: FilePool, dir: string, baseOffset: number): Segment {
    pool.create(join(dir, logFileName(baseOffset)));
    pool.create(join(dir, offsetIndexFileName(baseOffset)));
    pool.create(join(dir, timeIndexFileName(baseOffset)));
    return new Segment(pool, dir, baseOffset, { offset: 0, time: 0 });
  }

  /** Removes whatever files a failed create left behind (best effort: the disk may be failing). */
  static discard(pool: FilePool, dir: string, baseOffset: number): void {
    for (const name of [
      logFileName(baseOffset),
      offsetIndexFileName(baseOffset),
      timeIndexFileName(baseOffset),
    ]) {
      const path = join(dir, name);
      pool.forget(path);
      try {
        if (pool.storageFs.exists(path)) pool.storageFs.unlink(path);
      } catch {
        // Recovery removes stray files on the next open.
      }
    }
  }

  /** Opens an existing segment's files; the caller then adopts it as trusted or recovers it by scanning. */
  static open(
    pool: FilePool,
    dir: string,
    baseOffset: number,
  ): { segment: Segment; fileBytes: number; indexMissing: boolean } {
    const storageFs = pool.storageFs;
    const fileBytes = pool.use(join(dir, logFileName(baseOffset)), (fd) => storageFs.sizeOf(fd));
    let indexMissing = false;
    const indexBytes = (name: string) => {
      const path = join(dir, name);
      if (!storageFs.exists(path)) {
        indexMissing = true;
        pool.create(path);
      }
      return pool.use(path, (fd) => storageFs.sizeOf(fd));
    };
    const segment = new Segment(pool, dir, baseOffset, {
      offset: indexBytes(offsetIndexFileName(baseOffset)),
      time: indexBytes(timeIndexFileName(baseOffset)),
    });
    return { segment, fileBytes, indexMissing };
  }

  /**
   * Adopts a segment before the recovery point without scanning it, its batches ending at `sizeBytes` in a
   * file of `fileBytes` (zeros written ahead may follow them: trimZeroAhead cuts them); false if its indexes
   * look wrong.
   */
  adoptTrusted(sizeBytes: number, endOffset: number, fileBytes = sizeBytes): boolean {
    this.sizeBytes = sizeBytes;
    this.fileBytes = fileBytes;
    this.endOffset = endOffset;
    const first =
      sizeBytes > 0 ? this.pool.use(this.logPath, (fd) => readBatchInfo(this.pool.storageFs, fd, 0)) : null;
    const firstLooksWrong =
      first === null ||
      first.magic !== 2 ||
      first.size > sizeBytes ||
      first.baseOffset < this.baseOffset ||
      first.lastOffset >= endOffset;
    if (sizeBytes > 0 && firstLooksWrong) return false;
    const lastOffsetEntry = this.offsetIndex.last();
    if (lastOffsetEntry && (lastOffsetEntry.value >= sizeBytes || !this.indexEntryMatches(lastOffsetEntry))) {
      return false;
    }
    const lastTimeEntry = this.timeIndex.last();
    if (sizeBytes > 0 && lastTimeEntry === undefined) return false;
    if (lastTimeEntry && lastTimeEntry.value > endOffset - this.baseOffset) return false;
    this.maxTimestampMs = lastTimeEntry?.key ?? -1;
    this.offsetOfMaxTimestamp = lastTimeEntry ? this.baseOffset + lastTimeEntry.value : -1;
    this.bytesSinceIndexEntry = sizeBytes - (lastOffsetEntry?.value ?? 0);
    return true;
  }

  /** Scans the whole file (lengths, magic, CRC), rebuilding both indexes; the caller acts on the problem. */
  recover(fileBytes: number, onBatch: (batch: BatchInfo) => string | null) {
    this.offsetIndex.truncateToCount(0);
    this.timeIndex.truncateToCount(0);
    this.resetState();
    const result = this.pool.use(this.logPath, (fd) =>
      scanSegmentFile(this.pool.storageFs, fd, fileBytes, (batch) => {
        // Offsets are contiguous: a segment begins at its base offset and every batch follows the last.
        if (batch.baseOffset !== this.endOffset) {
          return `batch at offset ${batch.baseOffset} where ${this.endOffset} was expected`;
        }
        const callerRejection = onBatch(batch);
        if (callerRejection === null) this.observe(batch);
        return callerRejection;
      }),
    );
    this.sizeBytes = result.validBytes;
    this.fileBytes = fileBytes;
    return result;
  }

  /**
   * Takes the state of a cleaned copy now in this segment's file (segment-swap.ts) from what was gathered as
   * it was written, instead of scanning the file on the event loop: a segment of Kafka's default 1 GiB would
   * hold every request for a second. Its index files are new and empty.
   */
  adoptCleaned(built: CleanedSegmentIndex, fileBytes: number): void {
    assert(
      this.sizeBytes === 0 && built.sizeBytes === fileBytes,
      `${this.logPath}: adopting ${built.sizeBytes} of ${fileBytes} bytes`,
    );
    for (const entry of built.entries) {
      this.offsetIndex.append({ key: entry.relativeOffset, value: entry.position });
      const last = this.timeIndex.last();
      if (entry.maxTimestampMs >= 0 && (last === undefined || entry.maxTimestampMs > last.key)) {
        this.timeIndex.append({
          key: entry.maxTimestampMs,
          value: entry.offsetOfMaxTimestamp - this.baseOffset,
        });
      }
    }
    this.sizeBytes = built.sizeBytes;
    this.fileBytes = fileBytes;
    this.endOffset = built.endOffset;
    this.maxTimestampMs = built.maxTimestampMs;
    this.offsetOfMaxTimestamp = built.offsetOfMaxTimestamp;
    this.bytesSinceIndexEntry = built.bytesSinceIndexEntry;
  }

  /** Whether appending `count` more offsets keeps relative offsets within int32. */
  fitsOffsets(lastOffset: number): boolean {
    return lastOffset - this.baseOffset <= segmentRelativeOffsetMax;
  }

  /** Bytes in the file (sizeBytes less what is staged). */
  get writtenBytes(): number {
    return this.sizeBytes - this.stagedBytes;
  }

  /** Whether `bytes` more can be staged before a drain. */
  canStage(bytes: number): boolean {
    return this.stagedBytes + bytes <= stagedBytesMax && this.staged.length < stagedChunksMax;
  }

  /**
   * Queues whole batches (first offset `firstOffset`) to be written at the end of the turn; the segment
   * counts them at once. The caller must not change `bytes` until drain() has run.
   */
  stage(bytes: Uint8Array, firstOffset: number): void {
    assert(bytes.length > 0, "staging no bytes");
    assert(this.staged.length === 0 || this.canStage(bytes.length), "staging past the bound: drain first");
    // Staged before they are observed: they begin where the observed batches end.
    assert(firstOffset === this.endOffset, `staging offset ${firstOffset} at end offset ${this.endOffset}`);
    if (this.stagedBytes === 0) this.stagedFromOffset = firstOffset;
    this.staged.push(bytes);
    this.stagedBytes += bytes.length;
    this.sizeBytes += bytes.length;
  }

  /**
   * Writes the staged batches, then after a small drain keeps zeros written ahead of them (zeroAheadBytes),
   * never past `zeroAheadLimitBytes` (segment.bytes, where the segment rolls; 0 writes none). On failure cuts
   * any partial bytes (best effort) and throws.
   */
  drain(zeroAheadLimitBytes: number): void {
    assert((this.stagedBytes === 0) === (this.staged.length === 0), "staged bytes without chunks");
    if (this.stagedBytes === 0) return;
    // What is staged was observed too: the end offset already counts it.
    assert(
      this.stagedFromOffset >= this.baseOffset && this.stagedFromOffset < this.endOffset,
      `staged from ${this.stagedFromOffset} in [${this.baseOffset}, ${this.endOffset})`,
    );
    const storageFs = this.pool.storageFs;
    const position = this.writtenBytes;
    const drainedBytes = this.stagedBytes;
    this.pool.use(this.logPath, (fd) => {
      try {
        storageFs.writeAllv(fd, this.staged, position);
      } catch (error) {
        try {
          storageFs.truncate(fd, position);
          this.fileBytes = position;
        } catch {
          // The next write overwrites from this position anyway, recovery drops a torn tail, and a roll
          // trims what the failed write may have left.
          this.fileBytes = Math.max(this.fileBytes, position + drainedBytes);
        }
        throw error;
      }
      this.fileBytes = Math.max(this.fileBytes, this.sizeBytes);
      if (drainedBytes <= zeroAheadDrainBytesMax) this.zeroAhead(fd, zeroAheadLimitBytes);
    });
    this.staged = [];
    this.stagedBytes = 0;
  }

  /**
   * Tops the zeros past the last batch up to zeroAheadBytes once fewer than half are left, so the syncs of
   * the appends that follow need no journal commit (limits.ts). Best effort: zeros that cannot be written
   * (a full disk) only leave the next appends to grow the file themselves.
   */
  private zeroAhead(fd: number, limitBytes: number): void {
    const target = Math.min(this.sizeBytes + zeroAheadBytes, limitBytes);
    if (this.fileBytes - this.sizeBytes >= zeroAheadBytes / 2 || this.fileBytes >= target) return;
    try {
      this.pool.storageFs.writeAll(fd, zeros.subarray(0, target - this.fileBytes), this.fileBytes);
    } catch {
      // Part of them may be written: still zeros past the last batch, which recovery and trimming drop.
    }
    this.fileBytes = target;
  }

  /**
   * Cuts the zeros written ahead, so the file ends at its last batch: when the segment stops being active
   * (a roll, a close), before the sync and the checkpoint that let the next open trust the file's length.
   */
  trimZeroAhead(): void {
    this.assertDrained();
    if (this.fileBytes === this.sizeBytes) return;
    this.pool.use(this.logPath, (fd) => this.pool.storageFs.truncate(fd, this.sizeBytes));
    this.fileBytes = this.sizeBytes;
  }

  /** After a failed drain: forgets the staged batches; returns the end offset the segment is back at. */
  discardStaged(): number {
    assert(this.stagedBytes > 0, "nothing staged to discard");
    const position = this.writtenBytes;
    const offset = this.stagedFromOffset;
    assert(
      offset >= this.baseOffset && offset < this.endOffset,
      `discarding from ${offset} to ${this.endOffset}`,
    );
    this.staged = [];
    this.stagedBytes = 0;
    this.cutState(position, offset);
    assert(this.sizeBytes === position && this.endOffset === offset, "back where the staged appends began");
    return offset;
  }

  private assertDrained(): void {
    assert(this.stagedBytes === 0, `${this.logPath} has ${this.stagedBytes} staged bytes`);
  }

  /** Accounts for a batch now written at `batch.position`: index entries, end offset, timestamps. */
  observe(batch: BatchInfo): void {
    assert(batch.baseOffset === this.endOffset, `batch ${batch.baseOffset} after ${this.endOffset}`);
    if (batch.maxTimestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = batch.maxTimestampMs;
      this.offsetOfMaxTimestamp = batch.baseOffset;
    }
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append({ key: batch.baseOffset - this.baseOffset, value: batch.position });
      this.appendTimeEntry();
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += batch.size;
    this.endOffset = batch.lastOffset + 1;
  }

  /** The first batch whose last offset is ≥ `offset`, or null if the segment ends before it. */
  locate(offset: number): BatchInfo | null {
    this.assertDrained();
    if (offset >= this.endOffset) return null;
    const entry = this.offsetIndex.floor(Math.max(0, offset - this.baseOffset));
    if (entry && !this.indexEntryMatches(entry)) {
      throw new CorruptLogError(`${this.logPath}: offset index entry ${entry.key}@${entry.value} is stale`);
    }
    return this.pool.use(this.logPath, (fd) =>
      seekBatch(
        this.pool.storageFs,
        fd,
        { position: entry?.value ?? 0, endPosition: this.sizeBytes },
        offset,
      ),
    );
  }

  /** Reads `length` bytes at `position` into a fresh buffer (one copy out of the page cache). */
  readBytes(position: number, length: number): Uint8Array {
    this.assertDrained();
    assert(
      position >= 0 && position + length <= this.sizeBytes,
      `read ${position}+${length} of ${this.sizeBytes}`,
    );
    // Unzeroed and unpooled: every byte is overwritten by the read, and the caller may keep the buffer.
    const bytes = uninitializedBytes(length);
    const storageFs = this.pool.storageFs;
    const got = this.pool.use(this.logPath, (fd) => storageFs.read(fd, bytes, position));
    if (got === length) return bytes;
    let total = got;
    while (total < length) {
      const more = this.pool.use(this.logPath, (fd) =>
        storageFs.read(fd, bytes.subarray(total), position + total),
      );
      assert(more > 0, `${this.logPath} shrank under a read`);
      total += more;
    }
    return bytes;
  }

  /** Drops every batch from the one holding `offset` on; returns the new end offset. */
  truncateTo(offset: number): number {
    this.assertDrained();
    const batch = this.locate(offset);
    if (batch === null) return this.endOffset;
    this.pool.use(this.logPath, (fd) => this.pool.storageFs.truncate(fd, batch.position));
    this.fileBytes = batch.position;
    this.cutState(batch.position, batch.baseOffset);
    return this.endOffset;
  }

  /** The segment now ends at `position` / `offset`: indexes and timestamps follow. */
  private cutState(position: number, offset: number): void {
    this.offsetIndex.truncateToRelativeOffset(offset - this.baseOffset);
    this.timeIndex.truncateToRelativeOffset(offset - this.baseOffset);
    this.sizeBytes = position;
    this.endOffset = offset;
    const lastTime = this.timeIndex.last();
    this.maxTimestampMs = lastTime?.key ?? -1;
    this.offsetOfMaxTimestamp = lastTime ? this.baseOffset + lastTime.value : -1;
    if (this.sizeBytes === 0) this.rollStartMs = null;
    this.bytesSinceIndexEntry = this.sizeBytes - (this.offsetIndex.last()?.value ?? 0);
  }

  /** Whether the file holds only zeros from `from` to `to`. */
  zeroFilled(from: number, to: number): boolean {
    return this.pool.use(this.logPath, (fd) => isZeroFilled(this.pool.storageFs, fd, from, to));
  }

  /** Cuts the file to `sizeBytes` (recovery dropping a torn tail past the scanned batches). */
  truncateFile(sizeBytes: number): void {
    assert(sizeBytes === this.sizeBytes, `truncateFile ${sizeBytes} vs ${this.sizeBytes}`);
    this.pool.use(this.logPath, (fd) => this.pool.storageFs.truncate(fd, sizeBytes));
    this.fileBytes = sizeBytes;
  }

  /** The segment stops being active: its final time-index entry and pending entries go to disk. */
  seal(): void {
    this.assertDrained();
    this.appendTimeEntry();
    this.writeIndexes();
  }

  writeIndexes(): void {
    this.offsetIndex.writePending();
    this.timeIndex.writePending();
  }

  datasyncSync(): void {
    this.assertDrained();
    this.pool.use(this.logPath, (fd) => this.pool.storageFs.datasyncSync(fd));
  }

  close(): void {
    this.assertDrained();
    // As Kafka does at close: the time index ends with the newest timestamp, so a clean open can trust it.
    this.appendTimeEntry();
    this.writeIndexes();
    for (const path of this.paths()) this.pool.forget(path);
  }

  /** Closes the descriptors without writing anything (its file is about to be replaced: segment-swap.ts). */
  forgetFiles(): void {
    this.assertDrained();
    for (const path of this.paths()) this.pool.forget(path);
  }

  deleteFiles(): void {
    for (const path of this.paths()) {
      this.pool.forget(path);
      if (this.pool.storageFs.exists(path)) this.pool.storageFs.unlink(path);
    }
  }

  private paths(): string[] {
    return [this.logPath, this.offsetIndex.path, this.timeIndex.path];
  }

  private appendTimeEntry(): void {
    const last = this.timeIndex.last();
    if (this.maxTimestampMs < 0 || (last !== undefined && this.maxTimestampMs <= last.key)) return;
    this.timeIndex.append({ key: this.maxTimestampMs, value: this.offsetOfMaxTimestamp - this.baseOffset });
  }

  private indexEntryMatches(entry: IndexEntry): boolean {
    const info = this.pool.use(this.logPath, (fd) => readBatchInfo(this.pool.storageFs, fd, entry.value));
    return info !== null && info.baseOffset === this.baseOffset + entry.key;
  }

  private resetState(): void {
    this.sizeBytes = 0;
    this.endOffset = this.baseOffset;
    this.maxTimestampMs = -1;
    this.offsetOfMaxTimestamp = -1;
    this.rollStartMs = null;
    this.bytesSinceIndexEntry = 0;
  }
}

/**
 * The index entries a cleaned copy of a segment needs, gathered batch by batch as the cleaner writes it, by the
 * rule observe() follows (one entry per index.interval.bytes): sparse, so a copy of any size costs little memory.
 */
export class CleanedSegmentIndex {
  readonly entries: Array<{
    relativeOffset: number;
    position: number;
    maxTimestampMs: number;
    offsetOfMaxTimestamp: number;
  }> = [];
  sizeBytes = 0;
  endOffset: number;
  maxTimestampMs = -1;
  offsetOfMaxTimestamp = -1;
  bytesSinceIndexEntry = 0;

  constructor(
    readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
  ) {
    this.endOffset = baseOffset;
  }

  add(batch: BatchInfo): void {
    assert(
      batch.baseOffset === this.endOffset && batch.position === this.sizeBytes,
      "cleaned batches follow each other",
    );
    if (batch.maxTimestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = batch.maxTimestampMs;
      this.offsetOfMaxTimestamp = batch.baseOffset;
    }
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.entries.push({
        relativeOffset: batch.baseOffset - this.baseOffset,
        position: batch.position,
        maxTimestampMs: this.maxTimestampMs,
        offsetOfMaxTimestamp: this.offsetOfMaxTimestamp,
      });
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += batch.size;
    this.sizeBytes += batch.size;
    this.endOffset = batch.lastOffset + 1;
  }
}
