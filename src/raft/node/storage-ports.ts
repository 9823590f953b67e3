// What a Raft group's driver needs from durable storage, as two small interfaces: the log (read by the core
// through LogReader, written by the driver from each Ready) and the hard state. The storage engine's partition
// log serves the first (partition-log-store.ts), a file the second (file-hard-state.ts); tests use in-memory
// versions of both. Persist before send: every promise here resolves only once its data is durable.

import type { Entry, HardState, LogReader, Snapshot } from "../core/index.ts";

export interface RaftLogStore {
  /** What the core reads: written entries, durable or not (the core keeps the unwritten tail itself). */
  readonly reader: LogReader;
  /**
   * Writes one Ready's snapshot (if any) then entries before it returns, so the reader serves them at once: a
   * stored suffix from the first entry's baseOffset on is dropped first (a follower overwriting a divergent
   * tail); each entry's payload gets its baseOffset and epoch stamped into the batch header; a control entry
   * with an empty payload gets a LeaderChange control batch built for it. The promise resolves once all of it
   * is durable (fdatasync), and rejects if it never will be. Writes of entries that extend the log may follow
   * one another before the first is durable (they share syncs); one that drops a suffix or carries a snapshot
   * may not (asserted).
   */
  write(input: { snapshot: Snapshot | undefined; entries: readonly Entry[] }): Promise<void>;
  /** The last durable offset (-1 for an empty log): what the leader may count toward its own quorum. */
  readonly persistedOffset: number;
}

export interface RaftHardStateStore {
  /** The hard state as last saved, or the initial one for a new member. */
  load(): HardState;
  /** Saves durably (write, fsync, rename, fsync the directory) before resolving. */
  save(state: HardState): Promise<void>;
}
