// One simulated member: a RaftNode, its durable storage (what survives a crash), its state machine, and the
// driver loop that persists, then sends, then applies, then advances — and can crash in the middle of it.
// Like RaftGroup, a leader may write ahead: write a Ready, send and advance it, and report it durable later
// (entriesDurable); a crash before that loses a random suffix of such writes.

import type { Prng } from "../../src/base/prng.ts";
import type { RaftConfig, TestingOnlyBug } from "../../src/raft/core/config.ts";
import { raftConfigDefaults } from "../../src/raft/core/config.ts";
import { MemoryLog } from "../../src/raft/core/memory-log.ts";
import { RaftNode } from "../../src/raft/core/raft-node.ts";
import type {
  Entry,
  HardState,
  MembershipConfig,
  Message,
  NodeId,
  Ready,
  Snapshot,
} from "../../src/raft/core/types.ts";

export interface Durable {
  readonly log: MemoryLog;
  hardState: HardState;
}

/** A leader's write not yet synced: readable, but a crash may lose it and everything written after it. */
interface PendingWrite {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
}

/** What the cluster learns from one processed Ready. */
export interface ReadyOutcome {
  readonly ready: Ready;
  readonly crashed: boolean;
}

export class SimNode {
  raft: RaftNode | undefined;
  readonly durable: Durable;
  /** The state machine: a hash chain over applied entries, and the membership it has applied. */
  appliedOffset = -1;
  appliedHash = 0;
  incarnation = 0;
  /** The chance that a Ready the core allows to be advanced before it is durable is so advanced. */
  writeAheadChance = 0;
  writeAheads = 0;
  private pendingWrites: PendingWrite[] = [];

  constructor(
    readonly id: NodeId,
    private readonly configOverrides: Partial<RaftConfig>,
    private readonly rng: Prng,
    initial: MembershipConfig,
    private readonly bug: TestingOnlyBug | undefined,
  ) {
    this.durable = {
      log: new MemoryLog(initial),
      hardState: { term: 0, votedFor: null, commitOffset: -1, config: initial },
    };
    this.start();
  }

  get alive(): boolean {
    return this.raft !== undefined;
  }

  /** Boots (or reboots) from durable storage only; `abstaining` as a node over a new data directory does. */
  start(options: { abstaining?: boolean } = {}): void {
    const config: RaftConfig = {
      ...raftConfigDefaults,
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 2,
      inflightCountMax: 4,
      inflightBytesMax: 2048,
      appendBytesMax: 512,
      uncommittedBytesMax: 16 * 1024,
      ...this.configOverrides,
      id: this.id,
      randomInt: (bound) => this.rng.int(bound),
    };
    this.raft = new RaftNode({
      config,
      storage: this.durable.log,
      hardState: this.durable.hardState,
      abstaining: options.abstaining === true,
      ...(this.bug === undefined ? {} : { testingOnlyBug: this.bug }),
    });
    const snapshot = this.durable.log.snapshot();
    this.appliedOffset = snapshot.meta.lastOffset;
    this.appliedHash = snapshotHash(snapshot);
    this.incarnation += 1;
  }

  crash(): void {
    this.raft = undefined;
    this.losePendingWrites();
  }

  /** The disk is lost while the node is down: it comes back with nothing it persisted (no snapshot was taken). */
  wipe(initial: MembershipConfig): void {
    if (this.durable.log.snapshotMeta().lastOffset !== -1) throw new Error("wipe of a compacted log");
    this.crash();
    this.durable.log.truncateFrom(0);
    this.durable.hardState = { term: 0, votedFor: null, commitOffset: -1, config: initial };
  }

  /** The page cache is gone: writes not yet synced survive only up to a random one of them. */
  private losePendingWrites(): void {
    const lost = this.pendingWrites[this.rng.int(this.pendingWrites.length + 1)];
    if (lost !== undefined) this.durable.log.truncateFrom(lost.baseOffset);
    this.pendingWrites = [];
  }

  /** Whether offset, in epoch, would survive a crash now. */
  holdsDurably(offset: number, epoch: number): boolean {
    const log = this.durable.log;
    if (log.snapshotMeta().lastOffset >= offset) return true;
    const firstPending = this.pendingWrites[0];
    if (firstPending !== undefined && offset >= firstPending.baseOffset) return false;
    return log.batchAt(offset)?.epoch === epoch;
  }

  /** An fdatasync returns: the oldest pending writes (a random number of them) become durable. */
  syncSomeWrites(): void {
    if (this.raft === undefined || this.pendingWrites.length === 0) return;
    const count = this.rng.between(1, this.pendingWrites.length);
    const last = this.pendingWrites[count - 1]!;
    this.pendingWrites = this.pendingWrites.slice(count);
    this.raft.entriesDurable(last.lastOffset, last.epoch);
  }

  /** Waits out every pending write, as the driver does before a Ready that must be durable. */
  private syncAllWrites(): PendingWrite | undefined {
    const last = this.pendingWrites.at(-1);
    this.pendingWrites = [];
    return last;
  }

  /** Runs one Ready; with crashMidway, writes a random prefix of it and dies before sending anything. */
  processReady(crashMidway: boolean, onApply: (node: SimNode, entry: Entry) => void): ReadyOutcome {
    return this.processReadyFrom(this.raft!.ready(), crashMidway, onApply);
  }

  /** Runs a Ready already taken from the node (so a checker could inspect it first). */
  processReadyFrom(
    ready: Ready,
    crashMidway: boolean,
    onApply: (node: SimNode, entry: Entry) => void,
  ): ReadyOutcome {
    const raft = this.raft!;
    if (crashMidway) {
      // With writes pending the crash comes before this Ready's (a torn write after lost ones leaves a gap).
      if (this.pendingWrites.length === 0) this.persistTorn(ready);
      this.crash();
      return { ready, crashed: true };
    }
    const writeAhead =
      this.writeAheadChance > 0 && raft.mayAdvanceWritten(ready) && this.rng.chance(this.writeAheadChance);
    const synced = writeAhead ? undefined : this.syncAllWrites();
    if (ready.snapshotToPersist !== undefined) this.durable.log.installSnapshot(ready.snapshotToPersist);
    this.durable.log.append(ready.entriesToPersist);
    const first = ready.entriesToPersist[0];
    const last = ready.entriesToPersist.at(-1);
    if (writeAhead && first !== undefined && last !== undefined) {
      this.pendingWrites.push({
        baseOffset: first.baseOffset,
        lastOffset: last.lastOffset,
        epoch: last.epoch,
      });
      this.writeAheads += 1;
    }
    // A written-ahead Ready moved only the commit offset, which RaftGroup does not save either.
    if (ready.hardState !== undefined && !writeAhead) this.durable.hardState = ready.hardState;
    if (ready.snapshotToPersist !== undefined) {
      this.appliedOffset = ready.snapshotToPersist.meta.lastOffset;
      this.appliedHash = snapshotHash(ready.snapshotToPersist);
    }
    for (const entry of ready.committedEntries) {
      onApply(this, entry);
      this.appliedOffset = entry.lastOffset;
      this.appliedHash = chainHash(this.appliedHash, entry);
    }
    raft.advance(ready, writeAhead ? "written" : "durable");
    // The earlier writes' report reached the driver during this Ready: it goes in right after advance.
    if (synced !== undefined) raft.entriesDurable(synced.lastOffset, synced.epoch);
    return { ready, crashed: false };
  }

  /** Writes are ordered: snapshot, then entries (a prefix survives), then the hard state. */
  private persistTorn(ready: Ready): void {
    if (ready.snapshotToPersist !== undefined) {
      if (!this.rng.chance(0.5)) return;
      this.durable.log.installSnapshot(ready.snapshotToPersist);
    }
    const entries = ready.entriesToPersist;
    const first = entries[0];
    if (first !== undefined) {
      if (!this.rng.chance(0.6)) return;
      if (first.baseOffset <= this.durable.log.lastOffset()) this.durable.log.truncateFrom(first.baseOffset);
      const kept = this.rng.int(entries.length + 1);
      this.durable.log.append(entries.slice(0, kept));
      if (kept < entries.length) return;
    }
    if (ready.hardState !== undefined && this.rng.chance(0.5)) this.durable.hardState = ready.hardState;
  }

  /** Compacts the durable log behind a snapshot of the state machine at its applied offset. */
  compact(paddingBytes: number): boolean {
    const raft = this.raft;
    if (
      raft === undefined ||
      this.pendingWrites.length > 0 ||
      raft.log.unstableEntries().length > 0 ||
      raft.log.pendingSnapshot() !== undefined
    ) {
      return false;
    }
    const log = this.durable.log;
    if (this.appliedOffset <= log.snapshotMeta().lastOffset) return false;
    const batch = log.batchAt(this.appliedOffset);
    if (batch === undefined || batch.lastOffset !== this.appliedOffset) return false;
    const config = raft.commitOffset === this.appliedOffset ? raft.config : this.configAt(this.appliedOffset);
    const data = new Uint8Array(8 + paddingBytes);
    new DataView(data.buffer).setUint32(0, this.appliedHash);
    log.compact({ meta: { lastOffset: this.appliedOffset, lastEpoch: batch.epoch, config }, data });
    return true;
  }

  /** The committed membership as of offset: the newest config entry at or before it, else the snapshot's. */
  private configAt(offset: number): MembershipConfig {
    let config = this.durable.log.snapshotMeta().config;
    for (const entry of this.durable.log.allEntries()) {
      if (entry.lastOffset > offset) break;
      if (entry.config !== undefined) config = entry.config;
    }
    return config;
  }
}

export function entryIdentity(entry: Entry): number {
  const payloadId =
    entry.payload.length >= 4 ? new DataView(entry.payload.buffer, entry.payload.byteOffset).getUint32(0) : 0;
  const kindCode = entry.kind === "data" ? 1 : entry.kind === "control" ? 2 : 3;
  return ((payloadId * 7 + kindCode) * 31 + entry.baseOffset) >>> 0;
}

export function chainHash(previous: number, entry: Entry): number {
  let hash = previous ^ entryIdentity(entry);
  hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0;
  hash = Math.imul(hash ^ (hash >>> 12), 0x297a2d39) >>> 0;
  return (hash ^ (hash >>> 15) ^ entry.lastOffset) >>> 0;
}

function snapshotHash(snapshot: Snapshot): number {
  if (snapshot.data.length < 4) return 0;
  return new DataView(snapshot.data.buffer, snapshot.data.byteOffset).getUint32(0);
}

export type { Message };
