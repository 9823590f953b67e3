// Node-level liveness for quiescent Raft groups (CockroachDB's coalesced heartbeats): one heartbeat per peer
// node every few ticks, answered by one response, stands for every idle group the two nodes share. A quiesced
// group sends nothing of its own; it asks here how long a peer node has been silent instead.
import type { NodeId } from "../core/index.ts";

/**
 * The group id of the node-level channel inside a transport batch. A partition's group id always ends in
 * "-<digits>" (partitionGroupId), so no hosted group can carry this one.
 */
export const nodeChannelGroupId = "__raft-node";

/**
 * A heartbeat's readRequestId that asks the follower to quiesce: its core sees a plain heartbeat (-1), and the
 * group stops ticking it. Read-index request ids count up from 0 and never reach this (2^53 − 1).
 */
export const quiesceReadRequestId = Number.MAX_SAFE_INTEGER;

/** A heartbeatResponse's readRequestId by which a follower that woke up wakes its quiesced leader. */
export const wakeReadRequestId = Number.MAX_SAFE_INTEGER;

/** What a group needs to quiesce: how long, in ticks, a peer node has been silent (Infinity if never heard). */
export interface QuiescencePort {
  readonly nodeSilentTicks: (peer: NodeId) => number;
}

export class NodeLiveness {
  private ticks = 0;
  private readonly heardAtTick = new Map<NodeId, number>();
  /** The tick count each peer last sent: a smaller one means the peer restarted. */
  private readonly peerTicks = new Map<NodeId, number>();

  /** silentTicksMax: silence after which hearing a peer again counts as its return. ≥ 1. */
  constructor(private readonly silentTicksMax: number) {}

  /** This node's tick count since it started; node heartbeats carry it so that a restart shows. */
  get now(): number {
    return this.ticks;
  }

  tick(): void {
    this.ticks += 1;
  }

  silentTicks(peer: NodeId): number {
    const heard = this.heardAtTick.get(peer);
    return heard === undefined ? Number.POSITIVE_INFINITY : this.ticks - heard;
  }

  /**
   * Anything arrived from peer. Returns true when the peer returns: first heard, heard after a silence of
   * silentTicksMax or more, or restarted (its tick count went down) — its groups must then hear from their
   * leaders, which may have quiesced while it was away.
   */
  heard(peer: NodeId, peerTicks?: number): boolean {
    const returned = this.silentTicks(peer) >= this.silentTicksMax;
    this.heardAtTick.set(peer, this.ticks);
    if (peerTicks === undefined) return returned;
    const before = this.peerTicks.get(peer);
    this.peerTicks.set(peer, peerTicks);
    return returned || (before !== undefined && peerTicks < before);
  }
}
