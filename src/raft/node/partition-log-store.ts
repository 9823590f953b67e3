// A partition's Raft log is its Kafka log (DESIGN.md decision 1): this store serves the core's LogReader from
// a storage PartitionLog and writes each Ready's entries into it as stamped record batches.
// The store is where Raft terms meet leader epochs (leader-epoch.ts): it stamps each batch header with its
// entry's term − 1 and reads a header's epoch + 1 back as the term, so the storage engine — headers, the
// leader-epoch cache and its checkpoint — holds only the epochs clients see, as Kafka's does, while the core
// compares terms. The mark file is the core's own and keeps a term.
// Reads the core makes often (lastOffset, lastEpoch, the batch at a recent offset, recent entries for
// followers) come from a bounded cache of the batches this store persisted last; older ones are read from
// disk (a pread of whole batches). The compaction mark is the partition's log start; its term, lost when
// the log restarts or old segments go, is remembered in a small file beside the segments.
//
// Every LOG_START control batch written (a leader's decision to move the log start) is first remembered in the
// partition's LogStartRecords, which the replica applies once the record is committed (log-start-records.ts).
//
// A follower behind the leader's log start gets a snapshot (partition-snapshot.ts): the log start, the leader
// epoch of the first batch kept and the replica's producer state below it. Installing one is crash-safe, persist
// then swap: the snapshot is first written whole beside the segments (raft-snapshot-install), then the log begins
// again at the snapshot and the producer state is installed, then that file goes. A store opening over the file
// finds an install a crash interrupted and redoes it (the log is emptied again: nothing was appended after it).
//
// Config entries (membership changes) are not stored in partition logs yet: persisting one is an assertion
// failure. Partition membership is changed through the metadata group, which stores its log elsewhere.

import { join } from "node:path";
import { assert } from "../../base/assert.ts";
import { copyBytes } from "../../base/bytes.ts";
import type { Clock } from "../../base/clock.ts";
import { stampBatch } from "../../protocol/records/batch-header.ts";
import { buildLeaderChangeBatch, logStartOfBatch } from "../../protocol/records/control-record.ts";
import { readFileIfExists, writeFileAtomic } from "../../storage/atomic-file.ts";
import { type AppendResult, type PartitionLog, StorageError } from "../../storage/index.ts";
import { nodeStorageFs, readFully, type StorageFs } from "../../storage/storage-fs.ts";
import {
  type BatchMeta,
  type Entry,
  firstLeaderTerm,
  type LogReader,
  leaderEpochOfTerm,
  type MembershipConfig,
  type NodeId,
  type Snapshot,
  type SnapshotMeta,
  termOfLeaderEpoch,
} from "../core/index.ts";
import { collectEntries, findBatchIndex } from "../core/log-reader.ts";
import { type LogStartRecord, LogStartRecords } from "./log-start-records.ts";
import { batchMetaAt, entriesOfBatches, leaderChangeMessage } from "./partition-log-batches.ts";
import {
  decodePartitionSnapshot,
  encodePartitionSnapshot,
  type PartitionSnapshot,
  type PartitionSnapshotState,
} from "./partition-snapshot.ts";
import type { RaftLogStore } from "./storage-ports.ts";

export interface PartitionLogStoreOptions {
  readonly log: PartitionLog;
  /** This member: the leader named in the LeaderChange batches it writes for its own control entries. */
  readonly nodeId: NodeId;
  /**
   * The group's committed membership (the node's `config`). It is the config of the snapshot at the mark
   * (a partition stores no config entries, so nothing after the mark changes it) and the voters of a
   * LeaderChange batch.
   */
  readonly membership: () => MembershipConfig;
  /** Timestamps (wall clock) of the control batches this store builds. */
  readonly clock: Clock;
  /** Where the mark file is written; node:fs unless a test injects faults. */
  readonly storageFs?: StorageFs;
  /**
   * Whether a replica attaches its producer state (attachSnapshotState) right after this store opens: an install
   * a crash interrupted then keeps its file until the replica has its state. False (the metadata log): a
   * snapshot's producer state is ignored.
   */
  readonly snapshotStateAttached?: boolean;
  /** Bytes of recently persisted entries kept in memory for followers' reads; the last batch is always kept. */
  readonly recentBytesMax?: number;
  /** Recently persisted batches kept in memory. ≥ 1. */
  readonly recentCountMax?: number;
}

export const partitionLogStoreDefaults = { recentBytesMax: 1024 * 1024, recentCountMax: 1024 } as const;

/** The file, in the partition directory, that remembers the term at the log start. */
export const raftLogMarkFileName = "raft-log-mark";

/** The file, in the partition directory, holding a snapshot being installed (present only mid-install). */
export const snapshotInstallFileName = "raft-snapshot-install";

/** A snapshot install that a crash interrupted, redone at open: its producer state awaits the replica. */
interface PendingInstall {
  readonly snapshot: PartitionSnapshot;
}

interface Mark {
  readonly lastOffset: number;
  readonly lastEpoch: number;
}

export class PartitionLogStore implements RaftLogStore {
  readonly reader: LogReader;
  /** The LOG_START records written here and not yet applied (the replica applies them when committed). */
  readonly logStarts: LogStartRecords;
  private readonly log: PartitionLog;
  private readonly nodeId: NodeId;
  private readonly membership: () => MembershipConfig;
  private readonly clock: Clock;
  private readonly storageFs: StorageFs;
  private readonly markPath: string;
  private readonly recentBytesMax: number;
  private readonly recentCountMax: number;
  /** Written batches at the end of the log, oldest first, contiguous up to the log end. */
  private recent: Entry[] = [];
  private recentBytes = 0;
  /** The mark as last computed, for the log start it was computed at. */
  private mark: Mark = { lastOffset: -1, lastEpoch: 0 };
  private markForStart = Number.NaN;
  /** The mark remembered on disk: its epoch answers when the batch before the log start is gone. */
  private savedMark: Mark | null;
  private durableOffset: number;
  /** Appends written whose fdatasync has not returned: no truncation or snapshot may come meanwhile. */
  private writesInFlight = 0;
  private readonly installPath: string;
  private readonly snapshotStateAttached: boolean;
  /** The replica's part of snapshots (its producer state); null until it attaches. */
  private snapshotState: PartitionSnapshotState | null = null;
  /** An install redone at open whose producer state waits for the replica to attach. */
  private pendingInstall: PendingInstall | null = null;
  /** The snapshot last built for a follower, by the mark it was built at: every chunk comes from one build. */
  private sentSnapshot: Snapshot | null = null;

  constructor(options: PartitionLogStoreOptions) {
    this.log = options.log;
    this.nodeId = options.nodeId;
    this.membership = options.membership;
    this.clock = options.clock;
    this.storageFs = options.storageFs ?? nodeStorageFs;
    this.markPath = join(options.log.dir, raftLogMarkFileName);
    this.installPath = join(options.log.dir, snapshotInstallFileName);
    this.snapshotStateAttached = options.snapshotStateAttached === true;
    this.recentBytesMax = options.recentBytesMax ?? partitionLogStoreDefaults.recentBytesMax;
    this.recentCountMax = options.recentCountMax ?? partitionLogStoreDefaults.recentCountMax;
    assert(this.recentCountMax >= 1, "recentCountMax must be ≥ 1");
    assert(this.log.offlineError === null, `${this.log.dir}: the log is offline`);
    this.savedMark = this.readSavedMark();
    this.logStarts = new LogStartRecords({
      dir: this.log.dir,
      storageFs: this.storageFs,
      holds: (record) => this.holdsLogStartRecord(record),
    });
    this.redoInterruptedInstall();
    this.reloadTail();
    this.durableOffset = this.lastOffset();
    this.reader = this.makeReader();
  }

  /**
   * The replica's part of snapshots: what it captures for followers and installs from a leader. An install a
   * crash interrupted gets its producer state now, and only then is its file removed.
   */
  attachSnapshotState(state: PartitionSnapshotState): void {
    assert(this.snapshotStateAttached, "attachSnapshotState on a store opened without snapshotStateAttached");
    this.snapshotState = state;
    const pending = this.pendingInstall;
    if (pending === null) return;
    state.install(pending.snapshot.firstOffset, pending.snapshot.producerState);
    this.pendingInstall = null;
    this.removeInstallFile();
  }

  get persistedOffset(): number {
    return this.durableOffset;
  }

  write(input: { snapshot: Snapshot | undefined; entries: readonly Entry[] }): Promise<void> {
    try {
      if (input.snapshot !== undefined) {
        assert(this.writesInFlight === 0, "a snapshot while writes are in flight");
        this.restartAt(input.snapshot);
      }
      if (input.entries.length === 0) return Promise.resolve();
      return this.appendEntries(input.entries);
    } catch (error) {
      // A full disk or an I/O error in a synchronous part of the write (a side file such as the log-start
      // records): the write fails as a whole, and the group stops, as for a failed append. Bugs still throw.
      if (error instanceof StorageError || isErrnoError(error)) return Promise.reject(error);
      throw error;
    }
  }

  // ---- writes -------------------------------------------------------------------------------------------

  /**
   * The log empties and begins again after the snapshot's mark, with the snapshot's producer state and leader
   * epoch. Persist, then swap: the snapshot is durable in its own file before the log is touched.
   */
  private restartAt(snapshot: Snapshot): void {
    const meta = snapshot.meta;
    const decoded = decodePartitionSnapshot(snapshot.data, meta.lastOffset + 1);
    // The bytes came whole through the Raft core from a leader that built them: a bad one is a bug.
    assert(typeof decoded !== "string", `${this.log.dir}: a bad partition snapshot: ${decoded}`);
    writeFileAtomic(this.storageFs, this.installPath, encodeInstallFile(meta, snapshot.data));
    this.install(meta, decoded);
  }

  private install(meta: Pick<SnapshotMeta, "lastOffset" | "lastEpoch">, snapshot: PartitionSnapshot): void {
    this.log.restartAt(snapshot.firstOffset, snapshot.leaderEpoch >= 0 ? snapshot.leaderEpoch : undefined);
    this.logStarts.restarted();
    this.saveMark({ lastOffset: meta.lastOffset, lastEpoch: meta.lastEpoch });
    this.recent = [];
    this.recentBytes = 0;
    this.markForStart = Number.NaN;
    this.durableOffset = meta.lastOffset;
    this.sentSnapshot = null;
    const state = this.snapshotState;
    if (state !== null) state.install(snapshot.firstOffset, snapshot.producerState);
    else if (this.snapshotStateAttached) {
      this.pendingInstall = { snapshot };
      return;
    }
    this.removeInstallFile();
  }

  /** At open: an install file means a crash came mid-install; it is done again from the start. */
  private redoInterruptedInstall(): void {
    if (!this.storageFs.exists(this.installPath)) return;
    const bytes = readWholeFile(this.storageFs, this.installPath);
    const parsed = decodeInstallFile(bytes);
    // Written atomically (whole or absent): a file that does not parse is damage, not a torn write.
    assert(typeof parsed !== "string", `${this.installPath}: ${parsed}`);
    const decoded = decodePartitionSnapshot(parsed.data, parsed.lastOffset + 1);
    assert(typeof decoded !== "string", `${this.installPath}: ${decoded}`);
    this.install(parsed, decoded);
  }

  private removeInstallFile(): void {
    this.storageFs.unlink(this.installPath);
    this.storageFs.syncDir(this.log.dir);
  }

  /**
   * The snapshot a follower behind the log start gets: built once per mark (the producer state is copied),
   * so the chunks of one transfer all come from the same bytes.
   */
  private buildSnapshot(meta: SnapshotMeta): Snapshot {
    const sent = this.sentSnapshot;
    if (sent !== null && sent.meta === meta) return sent;
    const firstOffset = meta.lastOffset + 1;
    const first = this.batchAt(firstOffset);
    const data = encodePartitionSnapshot({
      firstOffset,
      logStartOffset: Math.max(firstOffset, this.log.logStartOffset),
      leaderEpoch: first === undefined ? -1 : leaderEpochOfTerm(first.epoch),
      producerState: this.snapshotState?.capture(firstOffset) ?? new Uint8Array(0),
    });
    this.sentSnapshot = { meta, data };
    return this.sentSnapshot;
  }

  /** Writes the entries now (one pwritev) and returns the wait for the fdatasync that covers them. */
  private appendEntries(entries: readonly Entry[]): Promise<void> {
    const first = entries[0]!;
    if (first.baseOffset <= this.lastOffset()) {
      assert(this.writesInFlight === 0, `truncating at ${first.baseOffset} while writes are in flight`);
      this.truncate(first.baseOffset);
    }
    assert(
      first.baseOffset === this.log.logEndOffset,
      `entry at ${first.baseOffset} where the log ends at ${this.log.logEndOffset}`,
    );
    // With only the last batch kept, a payload pins at most one socket chunk until the next append: no copy.
    const stored = entries.map((entry) =>
      this.recentCountMax === 1 ? this.batchOf(entry) : withOwnedPayload(this.batchOf(entry)),
    );
    const logStarts = logStartRecordsOf(stored);
    this.logStarts.remember(logStarts);
    // A Ready's batches go out in one pwritev and share one fdatasync: no need to join them first. The Ready
    // already gathered the turn's proposals, so they are written at once rather than at the end of the turn.
    const appending = Promise.all(stored.map((entry) => this.log.appendReplicated(entry.payload)));
    this.log.writeStaged();
    // Written: the reader serves them from now on, durable or not (the core counts them only once durable).
    for (const entry of stored) this.remember(entry);
    if (logStarts.length > 0) this.logStarts.written();
    this.writesInFlight += 1;
    return this.untilDurable(appending, stored[stored.length - 1]!);
  }

  private async untilDurable(appending: Promise<AppendResult[]>, last: Entry): Promise<void> {
    let appended: AppendResult[];
    try {
      appended = await appending;
      // Persist before send holds whatever the topic's flush policy: the Raft log is synced here regardless.
      if (this.log.config.flushPolicy !== "every") await this.log.flush();
    } catch (error) {
      // A failed write undid its batches in the log: the cache must not serve them either.
      this.forgetAbove(this.log.logEndOffset - 1);
      this.logStarts.truncatedFrom(this.log.logEndOffset);
      throw error;
    } finally {
      this.writesInFlight -= 1;
    }
    assert(
      appended.at(-1)!.lastOffset === last.lastOffset,
      `appended to ${appended.at(-1)!.lastOffset}, not ${last.lastOffset}`,
    );
    // Syncs complete in log order, so this only moves forward.
    assert(last.lastOffset > this.durableOffset, `durable ${last.lastOffset} after ${this.durableOffset}`);
    this.durableOffset = last.lastOffset;
  }

  private forgetAbove(lastOffset: number): void {
    while (this.recent.length > 0 && this.recent[this.recent.length - 1]!.lastOffset > lastOffset) {
      this.recentBytes -= this.recent.pop()!.byteSize;
    }
  }

  /** Drops the stored suffix from offset (a batch base above the mark) on; the log syncs the cut. */
  private truncate(offset: number): void {
    const mark = this.currentMark();
    assert(offset > mark.lastOffset, `truncating at ${offset}, at or below the mark ${mark.lastOffset}`);
    assert(this.batchAt(offset)?.baseOffset === offset, `truncation at ${offset} is not a batch boundary`);
    // A cut at the first held batch restarts the log and forgets its epochs: remember the mark's first.
    if (offset === mark.lastOffset + 1) this.saveMark(mark);
    this.log.truncate(offset);
    this.logStarts.truncatedFrom(offset);
    assert(this.log.logEndOffset === offset, `log truncated to ${this.log.logEndOffset}, not ${offset}`);
    const keep = findBatchIndex(this.recent, offset);
    if (keep >= 0) {
      for (const dropped of this.recent.splice(keep)) this.recentBytes -= dropped.byteSize;
    } else {
      this.recent = [];
      this.recentBytes = 0;
    }
    this.markForStart = Number.NaN;
    this.durableOffset = Math.min(this.durableOffset, offset - 1);
    if (this.recent.length === 0) this.reloadTail();
  }

  /**
   * The entry as stored: its batch stamped with its offset and its term's leader epoch. A bare control entry
   * is this node's own no-op as a new leader (followers receive it filled in): its LeaderChange batch is
   * built and put into the entry object itself, so the append messages of the same Ready, sent after this
   * persist, carry it.
   */
  private batchOf(entry: Entry): Entry {
    assert(entry.kind !== "config", "config entries are not stored in partition logs");
    if (entry.kind === "control" && entry.payload.length === 0) {
      assert(entry.baseOffset === entry.lastOffset, "a control entry holds one offset");
      const payload = buildLeaderChangeBatch(leaderChangeMessage(this.nodeId, this.membership().voters), {
        baseOffset: BigInt(entry.baseOffset),
        leaderEpoch: leaderEpochOfTerm(entry.epoch),
        timestamp: this.clock.wallMs(),
      });
      (entry as { payload: Uint8Array }).payload = payload;
      return { ...entry, payload, byteSize: payload.length };
    }
    stampBatch(entry.payload, 0, BigInt(entry.baseOffset), leaderEpochOfTerm(entry.epoch));
    const meta = batchMetaAt(entry.payload, 0);
    assert(meta.size === entry.payload.length, `entry at ${entry.baseOffset} is not exactly one batch`);
    assert(
      meta.lastOffset === entry.lastOffset,
      `batch ends at ${meta.lastOffset}, entry at ${entry.lastOffset}`,
    );
    // byteSize is what the reader reports for this entry once read back from disk.
    return entry.byteSize === meta.size ? entry : { ...entry, byteSize: meta.size };
  }

  private remember(entry: Entry): void {
    const last = this.recent[this.recent.length - 1];
    assert(
      last === undefined || last.lastOffset + 1 === entry.baseOffset,
      "recent batches must be contiguous",
    );
    this.recent.push(entry);
    this.recentBytes += entry.byteSize;
    let drop = 0;
    while (
      this.recent.length - drop > 1 &&
      (this.recent.length - drop > this.recentCountMax || this.recentBytes > this.recentBytesMax)
    ) {
      this.recentBytes -= this.recent[drop]!.byteSize;
      drop += 1;
    }
    if (drop > 0) this.recent.splice(0, drop);
  }

  /** Reads the last stored batch from disk (at open, or when a truncation emptied the cache). */
  private reloadTail(): void {
    this.recent = [];
    this.recentBytes = 0;
    const end = this.log.logEndOffset;
    if (end <= this.log.logStartOffset) return;
    const read = this.log.read(end - 1, { maxBytes: 1 });
    const entries = entriesOfBatches(read.bytes);
    assert(entries.length === 1 && entries[0]!.lastOffset === end - 1, `${this.log.dir}: no last batch`);
    this.remember(entries[0]!);
  }

  /** Whether the log holds this LOG_START record at its offset (checked for each remembered one at open). */
  private holdsLogStartRecord(record: LogStartRecord): boolean {
    if (record.offset < this.log.logStartOffset || record.offset >= this.log.logEndOffset) return false;
    const { bytes } = this.log.read(record.offset, { maxBytes: 1, maxOffset: record.offset + 1 });
    if (bytes.length === 0) return false;
    const meta = batchMetaAt(bytes, 0);
    if (meta.baseOffset !== record.offset || meta.epoch !== record.term) return false;
    return logStartOfBatch(bytes.subarray(0, meta.size)) === record.logStartOffset;
  }

  private readSavedMark(): Mark | null {
    const text = readFileIfExists(this.storageFs, this.markPath);
    if (text === null) return null;
    let parsed: Partial<Mark> & { version?: number };
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new Error(`${this.markPath}: not a Raft log mark: ${text}`, { cause });
    }
    assert(
      parsed.version === 1 &&
        Number.isSafeInteger(parsed.lastOffset) &&
        Number.isSafeInteger(parsed.lastEpoch),
      `${this.markPath}: not a Raft log mark: ${text}`,
    );
    return { lastOffset: parsed.lastOffset!, lastEpoch: parsed.lastEpoch! };
  }

  private saveMark(mark: Mark): void {
    const saved = this.savedMark;
    if (saved !== null && saved.lastOffset === mark.lastOffset && saved.lastEpoch === mark.lastEpoch) return;
    writeFileAtomic(this.storageFs, this.markPath, JSON.stringify({ version: 1, ...mark }));
    this.savedMark = mark;
  }

  // ---- reads --------------------------------------------------------------------------------------------

  /**
   * The mark: just before the first batch held. Retention may leave the log start inside a batch that is
   * still stored whole; the Raft log then starts at that batch's base, so entries stay whole batches.
   * Recomputed only when the log start moves.
   */
  private currentMark(): Mark {
    const start = this.log.logStartOffset;
    if (start === this.markForStart) return this.mark;
    let lastOffset = start - 1;
    const first = this.recent[0];
    if (first !== undefined && first.baseOffset <= start && start <= first.lastOffset) {
      lastOffset = first.baseOffset - 1;
    } else if (start < this.log.logEndOffset) {
      lastOffset =
        Math.min(start, batchMetaAt(this.log.read(start, { maxBytes: 1 }).bytes, 0).baseOffset) - 1;
    }
    this.mark = { lastOffset, lastEpoch: this.epochEndingAt(lastOffset) };
    this.markForStart = start;
    return this.mark;
  }

  /** The term of the batch ending at offset, when this replica still knows it; 0 (never too high) if not. */
  private epochEndingAt(offset: number): number {
    if (offset < 0) return 0;
    // Most trusted first: a batch header, then the snapshot's own word, then the leader-epoch cache.
    const cached = this.recent[findBatchIndex(this.recent, offset)];
    if (cached !== undefined) return cached.epoch;
    const saved = this.savedMark;
    if (saved !== null && saved.lastOffset === offset) return saved.lastEpoch;
    const leaderEpoch = this.log.epochs.epochAt(offset);
    return leaderEpoch === undefined ? 0 : termOfLeaderEpoch(leaderEpoch);
  }

  private lastOffset(): number {
    const mark = this.currentMark();
    const last = this.recent[this.recent.length - 1];
    return last === undefined || last.lastOffset <= mark.lastOffset ? mark.lastOffset : last.lastOffset;
  }

  private lastEpoch(): number {
    const mark = this.currentMark();
    const last = this.recent[this.recent.length - 1];
    return last === undefined || last.lastOffset <= mark.lastOffset ? mark.lastEpoch : last.epoch;
  }

  private batchAt(offset: number): BatchMeta | undefined {
    if (offset <= this.currentMark().lastOffset || offset > this.lastOffset()) return undefined;
    const index = findBatchIndex(this.recent, offset);
    if (index >= 0) return this.recent[index];
    const read = this.log.read(Math.max(offset, this.log.logStartOffset), { maxBytes: 1 });
    const meta = batchMetaAt(read.bytes, 0);
    assert(
      meta.baseOffset <= offset && offset <= meta.lastOffset,
      `batch read for ${offset} does not hold it`,
    );
    return { baseOffset: meta.baseOffset, lastOffset: meta.lastOffset, epoch: meta.epoch };
  }

  private firstOffsetOfEpoch(term: number): number | undefined {
    // No entry is written before the first election.
    if (term < firstLeaderTerm) return undefined;
    // The leader-epoch cache holds one line per epoch, a handful: a scan is cheap.
    const leaderEpoch = leaderEpochOfTerm(term);
    const found = this.log.epochs.all().find((line) => line.epoch === leaderEpoch);
    if (found === undefined) return undefined;
    // Retention moves the first line's start to the log start, which may lie inside the first batch held.
    const firstHeld = this.currentMark().lastOffset + 1;
    const offset = found.startOffset <= this.log.logStartOffset ? firstHeld : found.startOffset;
    return offset <= this.lastOffset() ? offset : undefined;
  }

  /**
   * Whole batches from disk until they reach the cached tail, which continues from memory. A disk read stops
   * at a segment's end; the next segment is read while the byte budget lasts.
   */
  private entries(fromOffset: number, bytesMax: number): readonly Entry[] {
    const lastOffset = this.lastOffset();
    if (fromOffset > lastOffset) return [];
    assert(fromOffset > this.currentMark().lastOffset, `entries from ${fromOffset}, at or below the mark`);
    const out: Entry[] = [];
    let bytes = 0;
    let from = fromOffset;
    while (from <= lastOffset) {
      const index = findBatchIndex(this.recent, from);
      if (index >= 0) {
        collectEntries(this.recent, index, bytesMax, out, bytes);
        break;
      }
      if (out.length > 0 && (bytes >= bytesMax || !this.log.segmentBaseOffsets().includes(from))) break;
      const read = this.log.read(Math.max(from, this.log.logStartOffset), {
        maxBytes: Math.max(1, bytesMax - bytes),
        maxOffset: lastOffset + 1,
      });
      const batches = entriesOfBatches(read.bytes);
      const countBefore = out.length;
      bytes = collectEntries(batches, 0, bytesMax, out, bytes);
      if (batches.length === 0 || out.length - countBefore < batches.length) break;
      from = batches[batches.length - 1]!.lastOffset + 1;
    }
    assert(out[0]?.baseOffset === fromOffset, `entries must be read from a batch boundary (${fromOffset})`);
    return out;
  }

  private makeReader(): LogReader {
    // The core asks for the mark on most reads: the same object is returned until the mark or config changes.
    let meta: SnapshotMeta = { lastOffset: -1, lastEpoch: 0, config: this.membership() };
    const snapshotMeta = (): SnapshotMeta => {
      const mark = this.currentMark();
      const config = this.membership();
      if (
        meta.lastOffset !== mark.lastOffset ||
        meta.lastEpoch !== mark.lastEpoch ||
        meta.config !== config
      ) {
        meta = { lastOffset: mark.lastOffset, lastEpoch: mark.lastEpoch, config };
      }
      return meta;
    };
    return {
      snapshotMeta,
      snapshot: () => this.buildSnapshot(snapshotMeta()),
      lastOffset: () => this.lastOffset(),
      lastEpoch: () => this.lastEpoch(),
      batchAt: (offset) => this.batchAt(offset),
      firstOffsetOfEpoch: (epoch) => this.firstOffsetOfEpoch(epoch),
      entries: (fromOffset, bytesMax) => this.entries(fromOffset, bytesMax),
    };
  }
}

/** The install file: int64 lastOffset, int32 lastEpoch (the snapshot's mark), then the snapshot's bytes. */
function encodeInstallFile(
  meta: Pick<SnapshotMeta, "lastOffset" | "lastEpoch">,
  data: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(12 + data.length);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, BigInt(meta.lastOffset));
  view.setInt32(8, meta.lastEpoch);
  bytes.set(data, 12);
  return bytes;
}

function decodeInstallFile(
  bytes: Uint8Array,
): { lastOffset: number; lastEpoch: number; data: Uint8Array } | string {
  if (bytes.length < 12) return `${bytes.length} bytes, too short`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    lastOffset: Number(view.getBigInt64(0)),
    lastEpoch: view.getInt32(8),
    data: bytes.subarray(12),
  };
}

function readWholeFile(storageFs: StorageFs, path: string): Uint8Array {
  const fd = storageFs.openExisting(path);
  try {
    const bytes = new Uint8Array(storageFs.sizeOf(fd));
    const read = readFully(storageFs, fd, bytes, 0);
    assert(read === bytes.length, `${path}: read ${read} of ${bytes.length} bytes`);
    return bytes;
  } finally {
    storageFs.close(fd);
  }
}

/** The LOG_START records among entries about to be written (data batches are passed over on one attribute test). */
function logStartRecordsOf(entries: readonly Entry[]): LogStartRecord[] {
  const records: LogStartRecord[] = [];
  for (const entry of entries) {
    const logStartOffset = logStartOfBatch(entry.payload);
    if (logStartOffset !== null)
      records.push({ offset: entry.baseOffset, term: entry.epoch, logStartOffset });
  }
  return records;
}

/**
 * The recent-entry cache keeps what is stored: a payload that is a small view into a much larger buffer (a
 * produce request's socket chunk) is copied, so the cache never pins the rest; one that is most of its buffer
 * (a large batch, or a frame of its own) is kept as it is.
 */
function withOwnedPayload(entry: Entry): Entry {
  if (entry.payload.buffer.byteLength <= 2 * entry.payload.byteLength) return entry;
  return { ...entry, payload: copyBytes(entry.payload) };
}

/** An error from the file system (it carries an errno code such as ENOSPC or EIO), not from our own code. */
function isErrnoError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string";
}
