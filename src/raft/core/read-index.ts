// Linearizable reads without writing to the log: a read waits for the commit offset seen when it arrived,
// once a quorum has answered a heartbeat sent after it (so the leader was still the leader).
import { isQuorum } from "./quorum.ts";
import type { NodeId, ReadState } from "./types.ts";

interface PendingRead {
  readonly requestId: number;
  readonly commitOffset: number;
  readonly acks: Set<NodeId>;
}

export class ReadIndexQueue {
  private pending: PendingRead[] = [];

  constructor(private readonly pendingMax: number) {}

  get size(): number {
    return this.pending.length;
  }

  isFull(): boolean {
    return this.pending.length >= this.pendingMax;
  }

  add(requestId: number, commitOffset: number, self: NodeId): void {
    this.pending.push({ requestId, commitOffset, acks: new Set([self]) });
  }

  /** The newest request id, sent in heartbeats; -1 when none waits. */
  newestRequestId(): number {
    return this.pending[this.pending.length - 1]?.requestId ?? -1;
  }

  /**
   * A heartbeat answer for requestId confirms leadership for it and every earlier request. Returns the reads
   * that now have a quorum, oldest first.
   */
  acknowledge(from: NodeId, requestId: number, voters: readonly NodeId[]): ReadState[] {
    const index = this.pending.findIndex((read) => read.requestId === requestId);
    if (index < 0) return [];
    const read = this.pending[index]!;
    read.acks.add(from);
    if (!isQuorum(voters, (id) => read.acks.has(id))) return [];
    const released = this.pending.slice(0, index + 1);
    this.pending = this.pending.slice(index + 1);
    return released.map((done) => ({ commitOffset: done.commitOffset, requestId: done.requestId }));
  }

  clear(): void {
    this.pending = [];
  }
}
