// The hard states (term, vote, commit offset, membership) of every Raft group on a node, in one append-only
// journal beside the partitions. Term and vote must be durable before any message that depends on them leaves
// (RaftGroup awaits save() before sending); a file per group written synchronously, as before, cost each vote a
// temporary file, two fsyncs and a rename on the event loop, so a failover that re-elects hundreds of partitions
// stalled the node long enough to set off more elections. Here every save() of one event-loop turn goes into one
// batch: appended with one write, made durable with one fdatasync on the thread pool, after which all its saves
// resolve. Saves made while a batch is syncing form the next batch (group commit).
//
// On disk: batches, each `u32 magic, u32 bodyBytes, u32 crc32c(bodyBytes and body), body`, the body a run of
// records `u32 bytes, JSON` ({ groupId, state } or, for a group deleted for good, { groupId, state: null }).
// Batches are written one after another's fdatasync returned, so only the last can be torn by a crash: a damaged
// batch that no good batch follows is cut off (none of its saves had resolved, so nothing was sent on its word);
// one that a good batch follows was complete once, and is refused, since forgetting a vote could elect two
// leaders. (Damage to the very last batch after it was synced cannot be told from a torn write.) When the journal has grown past compactBytesMin and four times what the live
// states take, it is rewritten with the newest state of each group (a temporary, fsynced, renamed over it).
// A group with no record yet loads from its old per-group file (file-hard-state.ts), if one is given.

import { join } from "node:path";
import { assert } from "../../base/assert.ts";
import { crc32c } from "../../protocol/crc32c.ts";
import { readInt32 } from "../../protocol/primitives/big-endian.ts";
import { temporaryFileSuffix } from "../../storage/segment-name.ts";
import { readFully, type StorageFs } from "../../storage/storage-fs.ts";
import type { HardState } from "../core/index.ts";
import { decodeHardState, encodeHardState, HardStateFileError } from "./file-hard-state.ts";
import type { RaftHardStateStore } from "./storage-ports.ts";

export const hardStateJournalFileName = "raft-hard-states.journal";

/** The journal is compacted only past this size (and past four times what the live states take). */
export const compactBytesMinDefault = 1024 * 1024;
/** A journal larger than this is not a journal of hard states: refused rather than read into memory. */
const journalBytesMax = 1024 * 1024 * 1024;
const batchHeaderBytes = 12;
/** "CHRS" (Chronik Raft hard States): marks where a batch starts. */
const batchMagic = 0x43485253;
const recordHeaderBytes = 4;

export interface HardStateJournalOptions {
  /** The directory of the journal (the node's data directory). */
  readonly dir: string;
  readonly storageFs: StorageFs;
  readonly compactBytesMin?: number;
  readonly logLine?: (line: string) => void;
}

interface PendingSave {
  readonly record: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class HardStateJournal {
  private readonly path: string;
  private readonly storageFs: StorageFs;
  private readonly compactBytesMin: number;
  /** The newest state of each group, saved or being saved: what load() answers and compaction writes. */
  private readonly latest = new Map<string, HardState>();
  private fd: number;
  private sizeBytes: number;
  /** Bytes the latest states take as records: the journal compacts once it is much larger. */
  private liveBytes = 0;
  private readonly recordBytes = new Map<string, number>();
  private pending: PendingSave[] = [];
  private flushScheduled = false;
  private flushing = false;
  private failure: unknown = undefined;
  private closed = false;

  private constructor(options: HardStateJournalOptions) {
    this.storageFs = options.storageFs;
    this.path = join(options.dir, hardStateJournalFileName);
    this.compactBytesMin = options.compactBytesMin ?? compactBytesMinDefault;
    this.storageFs.mkdirs(options.dir);
    const exists = this.storageFs.exists(this.path);
    this.fd = exists ? this.storageFs.openExisting(this.path) : this.storageFs.create(this.path);
    if (!exists) this.storageFs.syncDir(options.dir);
    this.sizeBytes = this.replay(options.logLine ?? ((line) => console.warn(line)));
  }

  /** Opens (or creates) the journal in dir and replays it; throws HardStateFileError if it is damaged. */
  static open(options: HardStateJournalOptions): HardStateJournal {
    return new HardStateJournal(options);
  }

  /** One group's view: load() its newest state; save() durably, in the turn's batch. */
  store(groupId: string, options: { initial: HardState; fallback?: RaftHardStateStore }): RaftHardStateStore {
    return {
      load: () => this.latest.get(groupId) ?? options.fallback?.load() ?? options.initial,
      save: (state) => this.append(groupId, state),
    };
  }

  /** The group is gone for good (its topic was deleted): a later group of that id starts afresh. */
  forget(groupId: string): Promise<void> {
    if (!this.latest.has(groupId)) return Promise.resolve();
    return this.append(groupId, null);
  }

  get fileBytes(): number {
    return this.sizeBytes;
  }

  /** Waits for the saves in flight, then closes the file; later saves are refused. */
  async close(): Promise<void> {
    while (this.flushing || this.flushScheduled) await new Promise((resolve) => setImmediate(resolve));
    this.closed = true;
    this.storageFs.close(this.fd);
  }

  private append(groupId: string, state: HardState | null): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path}: closed`));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const record = encodeRecord(groupId, state);
    if (state === null) {
      this.latest.delete(groupId);
      this.liveBytes -= this.recordBytes.get(groupId) ?? 0;
      this.recordBytes.delete(groupId);
    } else {
      this.latest.set(groupId, state);
      this.liveBytes += record.length - (this.recordBytes.get(groupId) ?? 0);
      this.recordBytes.set(groupId, record.length);
    }
    const saved = new Promise<void>((resolve, reject) => this.pending.push({ record, resolve, reject }));
    if (!this.flushScheduled && !this.flushing) {
      this.flushScheduled = true;
      // At the end of the turn: every group's save of this turn shares the batch.
      setImmediate(() => void this.flush());
    }
    return saved;
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          if (this.sizeBytes > this.compactBytesMin && this.sizeBytes > 4 * this.liveBytes)
            await this.compact();
          else await this.writeBatch(batch.map((save) => save.record));
        } catch (error) {
          // The file's state is unknown after a failed write or fdatasync: no later save may claim durability.
          this.failure = error;
          for (const save of [...batch, ...this.pending]) save.reject(error);
          this.pending = [];
          return;
        }
        for (const save of batch) save.resolve();
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(records: readonly Uint8Array[]): Promise<void> {
    const bytes = encodeBatch(records);
    this.storageFs.writeAll(this.fd, bytes, this.sizeBytes);
    this.sizeBytes += bytes.length;
    await this.storageFs.datasync(this.fd);
  }

  /** Rewrites the journal as the newest state of each group (the pending ones included). */
  private async compact(): Promise<void> {
    const records = [...this.latest].map(([groupId, state]) => encodeRecord(groupId, state));
    const bytes = encodeBatch(records);
    const temporary = this.path + temporaryFileSuffix;
    const fd = await this.storageFs.createAsync(temporary);
    try {
      this.storageFs.writeAll(fd, bytes, 0);
      await this.storageFs.datasync(fd);
    } catch (error) {
      this.storageFs.close(fd);
      throw error;
    }
    this.storageFs.rename(temporary, this.path);
    await this.storageFs.syncDirAsync(join(this.path, ".."));
    this.storageFs.close(this.fd);
    this.fd = fd;
    this.sizeBytes = bytes.length;
  }

  /** Reads every batch into `latest`; cuts a torn last batch; returns the size of the good part. */
  private replay(logLine: (line: string) => void): number {
    const size = this.storageFs.sizeOf(this.fd);
    if (size > journalBytesMax)
      throw new HardStateFileError(`${this.path}: ${size} bytes, more than a journal holds`);
    const bytes = new Uint8Array(size);
    readFully(this.storageFs, this.fd, bytes, 0);
    let at = 0;
    while (at < size) {
      const body = batchBodyAt(bytes, at);
      if (body === null) {
        if (goodBatchAfter(bytes, at))
          throw new HardStateFileError(`${this.path}: damaged batch at byte ${at}`);
        logLine(`${this.path}: cut a torn last batch at byte ${at} of ${size} (its saves never completed)`);
        this.storageFs.truncate(this.fd, at);
        this.storageFs.datasyncSync(this.fd);
        return at;
      }
      this.replayBody(body, at);
      at += batchHeaderBytes + body.length;
    }
    return size;
  }

  private replayBody(body: Uint8Array, batchAt: number): void {
    let at = 0;
    while (at < body.length) {
      const length = at + recordHeaderBytes <= body.length ? readInt32(body, at) : -1;
      if (length < 0 || at + recordHeaderBytes + length > body.length) {
        throw new HardStateFileError(`${this.path}: bad record in the batch at byte ${batchAt}`);
      }
      const recordBytes = body.subarray(at + recordHeaderBytes, at + recordHeaderBytes + length);
      const { groupId, state } = decodeRecord(this.path, recordBytes);
      if (state === null) {
        this.latest.delete(groupId);
        this.liveBytes -= this.recordBytes.get(groupId) ?? 0;
        this.recordBytes.delete(groupId);
      } else {
        this.latest.set(groupId, state);
        this.liveBytes += recordHeaderBytes + length - (this.recordBytes.get(groupId) ?? 0);
        this.recordBytes.set(groupId, recordHeaderBytes + length);
      }
      at += recordHeaderBytes + length;
    }
  }
}

/** The body of the whole, undamaged batch starting at `at`, or null. */
function batchBodyAt(bytes: Uint8Array, at: number): Uint8Array | null {
  if (at + batchHeaderBytes > bytes.length || readInt32(bytes, at) !== batchMagic) return null;
  const bodyBytes = readInt32(bytes, at + 4);
  const end = at + batchHeaderBytes + bodyBytes;
  if (bodyBytes <= 0 || end > bytes.length) return null;
  const checked = bytes.subarray(at + 4, end);
  if (crc32c(withoutCrc(checked)) !== readInt32(bytes, at + 8) >>> 0) return null;
  return bytes.subarray(at + batchHeaderBytes, end);
}

/** Whether a good batch starts anywhere after `at` (only on damage: a scan of the rest of the file). */
function goodBatchAfter(bytes: Uint8Array, at: number): boolean {
  for (let next = at + 1; next + batchHeaderBytes <= bytes.length; next++) {
    if (batchBodyAt(bytes, next) !== null) return true;
  }
  return false;
}

/** The length field and the body, which the CRC covers (the CRC's own four bytes between them are skipped). */
function withoutCrc(lengthCrcBody: Uint8Array): Uint8Array {
  const out = new Uint8Array(lengthCrcBody.length - 4);
  out.set(lengthCrcBody.subarray(0, 4), 0);
  out.set(lengthCrcBody.subarray(8), 4);
  return out;
}

function encodeRecord(groupId: string, state: HardState | null): Uint8Array {
  const json = encoder.encode(
    JSON.stringify({ groupId, state: state === null ? null : encodeHardState(state) }),
  );
  const record = new Uint8Array(recordHeaderBytes + json.length);
  new DataView(record.buffer).setInt32(0, json.length);
  record.set(json, recordHeaderBytes);
  return record;
}

function decodeRecord(path: string, bytes: Uint8Array): { groupId: string; state: HardState | null } {
  let parsed: { groupId?: unknown; state?: unknown };
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new HardStateFileError(`${path}: a record is not JSON`);
  }
  if (typeof parsed.groupId !== "string") throw new HardStateFileError(`${path}: a record names no group`);
  if (parsed.state === null) return { groupId: parsed.groupId, state: null };
  if (typeof parsed.state !== "string") throw new HardStateFileError(`${path}: a record holds no state`);
  const state = decodeHardState(parsed.state);
  if (typeof state === "string") throw new HardStateFileError(`${path}: ${parsed.groupId}: ${state}`);
  return { groupId: parsed.groupId, state };
}

function encodeBatch(records: readonly Uint8Array[]): Uint8Array {
  const bodyBytes = records.reduce((sum, record) => sum + record.length, 0);
  assert(bodyBytes > 0, "an empty hard-state batch");
  const bytes = new Uint8Array(batchHeaderBytes + bodyBytes);
  const view = new DataView(bytes.buffer);
  let at = batchHeaderBytes;
  for (const record of records) {
    bytes.set(record, at);
    at += record.length;
  }
  view.setInt32(0, batchMagic);
  view.setInt32(4, bodyBytes);
  view.setUint32(8, crc32c(withoutCrc(bytes.subarray(4))));
  return bytes;
}
