// An in-memory RaftLogStore over the core's MemoryLog, for driver tests and the simulator: entries are kept
// as given (no stamping, no control batch built) and are "durable" once persist resolves.

import type { Entry, LogReader, MembershipConfig, Snapshot } from "../core/index.ts";
import { MemoryLog } from "../core/index.ts";
import type { RaftLogStore } from "./storage-ports.ts";

export interface MemoryLogStoreOptions {
  /** The membership of a fresh log's mark. */
  readonly config: MembershipConfig;
  /** Awaited before each persist takes effect: tests delay or fail persistence here. */
  readonly beforePersist?: () => Promise<void>;
}

export class MemoryLogStore implements RaftLogStore {
  readonly log: MemoryLog;
  /** Persist calls that took effect (tests count fsyncs with it). */
  persistCount = 0;
  private readonly beforePersist: (() => Promise<void>) | undefined;

  constructor(options: MemoryLogStoreOptions) {
    this.log = new MemoryLog(options.config);
    this.beforePersist = options.beforePersist;
  }

  get reader(): LogReader {
    return this.log;
  }

  get persistedOffset(): number {
    return this.log.lastOffset();
  }

  async persist(input: { snapshot: Snapshot | undefined; entries: readonly Entry[] }): Promise<void> {
    // Resolves after at least a microtask, as a real store would, so drivers cannot rely on it being synchronous.
    await (this.beforePersist?.() ?? Promise.resolve());
    if (input.snapshot !== undefined) this.log.installSnapshot(input.snapshot);
    this.log.append(input.entries);
    this.persistCount += 1;
  }
}
