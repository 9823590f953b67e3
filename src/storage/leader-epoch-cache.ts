// The leader-epoch cache (Kafka's LeaderEpochFileCache): for each epoch, the first offset written in it.
// It answers OffsetForLeaderEpoch (the end offset of an epoch on this replica) and Raft log matching (the
// term of an offset). Pure: the log persists it through the text format Kafka uses for its checkpoint.

import { assert } from "../base/assert.ts";

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

const formatVersion = 0;

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  constructor(entries: readonly EpochEntry[] = []) {
    for (const entry of entries) this.assign(entry.epoch, entry.startOffset);
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  latest(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /**
   * Records that `epoch` begins at `startOffset`. Returns whether the cache changed. An epoch older than the
   * latest is a bug in the caller (the log only grows in epoch order); the same epoch again is a no-op.
   */
  assign(epoch: number, startOffset: number): boolean {
    const latest = this.latest();
    if (latest !== undefined) {
      if (epoch === latest.epoch) return false;
      assert(epoch > latest.epoch, `epoch ${epoch} after ${latest.epoch}`);
      assert(
        startOffset >= latest.startOffset,
        `epoch ${epoch} start ${startOffset} < ${latest.startOffset}`,
      );
    }
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /** The epoch of the batch holding `offset`, or undefined if the cache knows nothing that early. */
  epochAt(offset: number): number | undefined {
    let found: number | undefined;
    for (const entry of this.entries) {
      if (entry.startOffset > offset) break;
      found = entry.epoch;
    }
    return found;
  }

  /** Drops epochs starting at or after `endOffset` (the log was truncated to it). */
  truncateFromEnd(endOffset: number): boolean {
    const kept = this.entries.filter((entry) => entry.startOffset < endOffset);
    const changed = kept.length !== this.entries.length;
    this.entries = kept;
    return changed;
  }

  /**
   * The log now starts at `startOffset`: epochs wholly before it go, and the one spanning it is moved up to
   * start there (Kafka's truncateFromStart).
   */
  truncateFromStart(startOffset: number): boolean {
    let changed = false;
    while (this.entries.length > 1 && this.entries[1]!.startOffset <= startOffset) {
      this.entries.shift();
      changed = true;
    }
    const first = this.entries[0];
    if (first !== undefined && first.startOffset < startOffset) {
      this.entries[0] = { epoch: first.epoch, startOffset };
      changed = true;
    }
    return changed;
  }

  clear(): void {
    this.entries = [];
  }
}

/** Kafka's checkpoint text: version, entry count, then "epoch startOffset" per line. */
export function encodeEpochEntries(entries: readonly EpochEntry[]): string {
  const lines = [String(formatVersion), String(entries.length)];
  for (const entry of entries) lines.push(`${entry.epoch} ${entry.startOffset}`);
  return `${lines.join("\n")}\n`;
}

/** Parses the checkpoint text; a malformed file gives an error message (the log then rebuilds the cache). */
export function decodeEpochEntries(text: string): EpochEntry[] | string {
  const lines = text.split("\n").filter((line) => line.length > 0);
  if (lines[0] !== String(formatVersion)) return `leader-epoch checkpoint version ${lines[0]}`;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count !== lines.length - 2) return "leader-epoch checkpoint count";
  const entries: EpochEntry[] = [];
  for (const line of lines.slice(2)) {
    const [epochText, offsetText, extra] = line.split(" ");
    const epoch = Number(epochText);
    const startOffset = Number(offsetText);
    if (extra !== undefined || !Number.isSafeInteger(epoch) || !Number.isSafeInteger(startOffset)) {
      return `leader-epoch checkpoint line "${line}"`;
    }
    const previous = entries[entries.length - 1];
    if (previous && (epoch <= previous.epoch || startOffset < previous.startOffset)) {
      return `leader-epoch checkpoint out of order at "${line}"`;
    }
    entries.push({ epoch, startOffset });
  }
  return entries;
}
