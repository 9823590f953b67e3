// One simulated member: a RaftNode, its durable storage (what survives a crash), its state machine, and the
// driver loop that persists, then sends, then applies, then advances — and can crash in the middle of it.
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
import type { Prng } from "./prng.ts";

export interface Durable {
  readonly log: MemoryLog;
  hardState: HardState;
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

  /** Boots (or reboots) from durable storage only. */
  start(): void {
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
      ...(this.bug === undefined ? {} : { testingOnlyBug: this.bug }),
    });
    const snapshot = this.durable.log.snapshot();
    this.appliedOffset = snapshot.meta.lastOffset;
    this.appliedHash = snapshotHash(snapshot);
    this.incarnation += 1;
  }

  crash(): void {
    this.raft = undefined;
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
      this.persistTorn(ready);
      this.crash();
      return { ready, crashed: true };
    }
    if (ready.snapshotToPersist !== undefined) this.durable.log.installSnapshot(ready.snapshotToPersist);
    this.durable.log.append(ready.entriesToPersist);
    if (ready.hardState !== undefined) this.durable.hardState = ready.hardState;
    if (ready.snapshotToPersist !== undefined) {
      this.appliedOffset = ready.snapshotToPersist.meta.lastOffset;
      this.appliedHash = snapshotHash(ready.snapshotToPersist);
    }
    for (const entry of ready.committedEntries) {
      onApply(this, entry);
      this.appliedOffset = entry.lastOffset;
      this.appliedHash = chainHash(this.appliedHash, entry);
    }
    raft.advance(ready);
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
