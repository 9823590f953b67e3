// An in-memory RaftLogStore over the core's MemoryLog, for driver tests and the simulator: entries are kept
// as given (no stamping, no control batch built), readable once written and "durable" once write resolves.

import type { Entry, LogReader, MembershipConfig, Snapshot } from "../core/index.ts";
import { MemoryLog } from "../core/index.ts";
import type { RaftLogStore } from "./storage-ports.ts";

export interface MemoryLogStoreOptions {
  /** The membership of a fresh log's mark. */
  readonly config: MembershipConfig;
  /** Awaited before each write becomes durable: tests delay or fail persistence here. */
  readonly beforePersist?: () => Promise<void>;
}

export class MemoryLogStore implements RaftLogStore {
  readonly log: MemoryLog;
  /** Writes that became durable (tests count fsyncs with it). */
  persistCount = 0;
  private readonly beforePersist: (() => Promise<void>) | undefined;
  private durableOffset: number;

  constructor(options: MemoryLogStoreOptions) {
    this.log = new MemoryLog(options.config);
    this.beforePersist = options.beforePersist;
    this.durableOffset = this.log.lastOffset();
  }

  get reader(): LogReader {
    return this.log;
  }

  get persistedOffset(): number {
    return this.durableOffset;
  }

  write(input: { snapshot: Snapshot | undefined; entries: readonly Entry[] }): Promise<void> {
    if (input.snapshot !== undefined) this.log.installSnapshot(input.snapshot);
    const firstOffset = input.entries[0]?.baseOffset ?? this.log.lastOffset() + 1;
    // A snapshot or a cut suffix takes back what was durable beyond it.
    this.durableOffset = Math.min(this.durableOffset, firstOffset - 1);
    this.log.append(input.entries);
    return this.untilDurable(this.log.lastOffset());
  }

  private async untilDurable(lastOffset: number): Promise<void> {
    // Resolves after at least a microtask, as a real store would, so drivers cannot rely on it being synchronous.
    await (this.beforePersist?.() ?? Promise.resolve());
    this.durableOffset = Math.max(this.durableOffset, lastOffset);
    this.persistCount += 1;
  }
}
