// The LOG_START records (protocol/records/control-record.ts) a partition's log holds that this replica may still
// have to apply. A partition leader moves the log start (DeleteRecords, retention, __consumer_offsets
// compaction) by appending such a record; every replica moves its own log start when the record is committed
// (cluster/raft-replica.ts), so all replicas end with the same start and a new leader, whose log holds every
// committed record, never serves what was deleted.
//
// The partition log store tells this list of every record it writes — on the leader and on followers alike —
// and the replica takes the committed ones as its high watermark passes them. A record written but not yet known
// to be committed when the node crashes must still be applied after the restart, once the commit is learned
// again; a scan of the whole log at every open would find it, but costs a read of every segment. So the list is
// kept in a small file beside the segments, replaced (durably) before the record's own batch is written. At open
// each remembered record is checked against the log, so entries whose batch a truncation removed, or whose
// write failed, are dropped then; the file is never rewritten for those alone. Applying a record twice is
// harmless: the log start only moves up.

import { join } from "node:path";
import { assert } from "../../base/assert.ts";
import { readFileIfExists, writeFileAtomic } from "../../storage/atomic-file.ts";
import type { StorageFs } from "../../storage/storage-fs.ts";

export interface LogStartRecord {
  /** Where the record itself is in the log. */
  readonly offset: number;
  /** The Raft term of its batch: the record at `offset` is this one only while the log holds that term there. */
  readonly term: number;
  /** The log start offset it decides; never above `offset` (the leader proposes only committed starts). */
  readonly logStartOffset: number;
}

/** The file, in the partition directory, that lists the log-start records not yet known to be applied. */
export const logStartRecordsFileName = "log-start-records.json";

/**
 * Records held written but not yet committed. A leader proposes one log start at a time (raft-replica.ts), so a
 * replica's uncommitted tail holds about one per leader whose term ended without committing it: more than this
 * means records are proposed without waiting, a bug.
 */
export const logStartRecordsPendingMax = 1024;

export interface LogStartRecordsOptions {
  /** The partition directory; null keeps the list in memory only (tests of the replica alone). */
  readonly dir: string | null;
  readonly storageFs: StorageFs;
  /** Whether the log still holds this record at its offset: checked for each remembered one at open. */
  readonly holds: (record: LogStartRecord) => boolean;
}

export class LogStartRecords {
  /** Written, not yet taken as committed; in offset order. */
  private pending: LogStartRecord[] = [];
  /** The newest record taken as committed: the one that may end the committed log (consumers skip it). */
  private newestTaken: LogStartRecord | null = null;
  private readonly path: string | null;
  private readonly storageFs: StorageFs;
  private listener: (() => void) | null = null;

  constructor(options: LogStartRecordsOptions) {
    this.storageFs = options.storageFs;
    this.path = options.dir === null ? null : join(options.dir, logStartRecordsFileName);
    for (const record of this.load()) {
      if (options.holds(record)) this.pending.push(record);
    }
  }

  /** Called after each write that held records: the replica applies those already committed. */
  onWritten(listener: (() => void) | null): void {
    this.listener = listener;
  }

  /** Records about to be written: remembered durably first, so a crash once they are written cannot lose them. */
  remember(records: readonly LogStartRecord[]): void {
    if (records.length === 0) return;
    for (const record of records) {
      const last = this.pending.at(-1);
      assert(
        last === undefined || last.offset < record.offset,
        `log-start record at ${record.offset} out of order`,
      );
      assert(
        record.logStartOffset <= record.offset,
        `log-start record at ${record.offset} moves past itself`,
      );
      this.pending.push(record);
    }
    assert(
      this.pending.length <= logStartRecordsPendingMax,
      `${this.pending.length} log-start records pending, more than ${logStartRecordsPendingMax}`,
    );
    this.save();
  }

  /** The records remembered last are in the log now. */
  written(): void {
    this.listener?.();
  }

  /** The log was cut at `offset`: records from there on are gone (the file keeps them until the next save). */
  truncatedFrom(offset: number): void {
    this.pending = this.pending.filter((record) => record.offset < offset);
    if (this.newestTaken !== null && this.newestTaken.offset >= offset) this.newestTaken = null;
  }

  /** The log restarted empty at a later start (a snapshot): nothing it held is left to apply. */
  restarted(): void {
    this.pending = [];
    this.newestTaken = null;
  }

  /**
   * The records below `highWatermark` (committed): forgets them and answers the log start they decide together
   * (the largest), or null when none is committed. A follower may learn a commit from its leader before it has
   * cut the divergent suffix that leader's entries replace, so a record counts only if the group's log still
   * holds its term at its offset (`holds`); one that does not was cut away, and is forgotten unapplied.
   */
  takeCommitted(highWatermark: number, holds: (offset: number, term: number) => boolean): number | null {
    let count = 0;
    let logStart: number | null = null;
    while (count < this.pending.length && this.pending[count]!.offset < highWatermark) {
      const record = this.pending[count]!;
      if (holds(record.offset, record.term)) {
        logStart = Math.max(logStart ?? 0, record.logStartOffset);
        this.newestTaken = record;
      }
      count += 1;
    }
    if (count === 0) return null;
    this.pending = this.pending.slice(count);
    return logStart;
  }

  /** Whether a log-start record this replica knows of sits at `offset` (the consumer high watermark skips it). */
  isRecordAt(offset: number): boolean {
    return this.newestTaken?.offset === offset || this.pending.some((record) => record.offset === offset);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  private load(): LogStartRecord[] {
    if (this.path === null) return [];
    const text = readFileIfExists(this.storageFs, this.path);
    if (text === null) return [];
    let parsed: { version?: number; records?: Array<Partial<LogStartRecord>> };
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new Error(`${this.path}: not a list of log-start records: ${text}`, { cause });
    }
    const records = parsed.records;
    assert(
      parsed.version === 1 &&
        Array.isArray(records) &&
        records.every(
          (record) =>
            Number.isSafeInteger(record.offset) &&
            Number.isSafeInteger(record.term) &&
            Number.isSafeInteger(record.logStartOffset),
        ),
      `${this.path}: not a list of log-start records: ${text}`,
    );
    return (records as LogStartRecord[]).sort((a, b) => a.offset - b.offset);
  }

  /** The pending records and the newest taken one, which the next open re-applies (harmlessly) and skips. */
  private save(): void {
    if (this.path === null) return;
    const records = this.newestTaken === null ? this.pending : [this.newestTaken, ...this.pending];
    const plain = records.map(({ offset, term, logStartOffset }) => ({ offset, term, logStartOffset }));
    writeFileAtomic(this.storageFs, this.path, JSON.stringify({ version: 1, records: plain }));
  }
}
