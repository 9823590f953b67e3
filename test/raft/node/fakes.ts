// In-memory storage ports for the driver's tests, on the core's MemoryLog: they count calls, can be made to
// fail, and can hold a write's durability open until the test releases it.
import type {
  Entry,
  HardState,
  MembershipConfig,
  RaftConfig,
  Snapshot,
} from "../../../src/raft/core/index.ts";
import { MemoryLog, raftConfigDefaults } from "../../../src/raft/core/index.ts";
import type { RaftHardStateStore, RaftLogStore } from "../../../src/raft/node/storage-ports.ts";

export class FakeLogStore implements RaftLogStore {
  readonly log: MemoryLog;
  writeCalls = 0;
  /** When set, a write's durability promise rejects with it (a full or offline disk). */
  failWith: Error | undefined;
  /** When set, writes stay not durable until it resolves (a slow fdatasync). */
  gate: Promise<void> | undefined;
  private durableOffset: number;

  constructor(config: MembershipConfig) {
    this.log = new MemoryLog(config);
    this.durableOffset = this.log.lastOffset();
  }

  get reader(): MemoryLog {
    return this.log;
  }

  get persistedOffset(): number {
    return this.durableOffset;
  }

  write(input: { snapshot: Snapshot | undefined; entries: readonly Entry[] }): Promise<void> {
    this.writeCalls += 1;
    if (input.snapshot !== undefined) this.log.installSnapshot(input.snapshot);
    const firstOffset = input.entries[0]?.baseOffset ?? this.log.lastOffset() + 1;
    this.durableOffset = Math.min(this.durableOffset, firstOffset - 1);
    this.log.append(input.entries);
    return this.untilDurable(this.log.lastOffset());
  }

  private async untilDurable(lastOffset: number): Promise<void> {
    const gate = this.gate;
    if (gate !== undefined) await gate;
    if (this.failWith !== undefined) throw this.failWith;
    this.durableOffset = Math.max(this.durableOffset, lastOffset);
  }
}

export class FakeHardStateStore implements RaftHardStateStore {
  state: HardState;
  saveCalls = 0;

  constructor(config: MembershipConfig) {
    this.state = { term: 0, votedFor: null, commitOffset: -1, config };
  }

  load(): HardState {
    return this.state;
  }

  async save(state: HardState): Promise<void> {
    this.saveCalls += 1;
    this.state = state;
  }
}

/** A deterministic PRNG (mulberry32) for the core's randomized election timeouts. */
export function seededRandomInt(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  };
}

export function testRaftConfig(id: number, seed: number, overrides: Partial<RaftConfig> = {}): RaftConfig {
  return {
    ...raftConfigDefaults,
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 2,
    ...overrides,
    id,
    randomInt: seededRandomInt(seed),
  };
}

export function payloadOf(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

export function payloadValue(entry: Entry): number {
  return new DataView(entry.payload.buffer, entry.payload.byteOffset).getUint32(0);
}

/** Resolves after n event-loop turns (setImmediate), letting Ready loops and deliveries run. */
export async function turns(n = 1): Promise<void> {
  for (let index = 0; index < n; index++) await new Promise<void>((resolve) => setImmediate(resolve));
}
