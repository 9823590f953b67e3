// Hosts every Raft group of this node (DESIGN.md decision 4): one timer ticks them all, incoming messages are
// routed by group id, and the messages all groups send to one peer in one event-loop turn leave in one
// transport call. With quiescence on, idle groups go quiet and one node-level heartbeat per peer (answered by
// one response) stands for all of them (node-liveness.ts; RaftGroup's Quiescence).
import { assert } from "../../base/assert.ts";
import type { Cancel, Clock, Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/logger.ts";
import type { Message, NodeId } from "../core/index.ts";
import { NodeLiveness, nodeChannelGroupId } from "./node-liveness.ts";
import type { RaftGroupOptions } from "./raft-group.ts";
import { RaftGroup } from "./raft-group.ts";
import type { GroupMessage, RaftTransport } from "./transport.ts";

export interface GroupManagerOptions {
  readonly nodeId: NodeId;
  readonly transport: RaftTransport;
  /** Milliseconds between ticks of every group (RaftConfig's *Ticks count these). 0: no timer, call tickAll(). */
  readonly tickIntervalMs: number;
  /** Runs the tick timer. */
  readonly scheduler: Scheduler;
  /**
   * Tells the timer how many ticks are due: given, the ticks a frozen process (SIGSTOP, a VM pause) missed are
   * played when it resumes, so a leader whose lease ran out steps down instead of acting on its old view.
   * Without it, each timer run is one tick.
   */
  readonly clock?: Clock;
  readonly logger: Logger;
  /** Messages queued for one peer before the next flush; beyond it they are dropped (Raft resends). ≥ 1. */
  readonly outboundMessagesMax?: number;
  /**
   * Given: idle groups quiesce, and this node heartbeats each peer node every heartbeatIntervalTicks instead;
   * a peer silent electionTimeoutTicks is presumed dead (the groups' RaftConfig timings, which all share).
   */
  readonly quiescence?: { readonly heartbeatIntervalTicks: number; readonly electionTimeoutTicks: number };
}

/** What a group needs beyond what the manager supplies (node id, transport, logger). */
export type ManagedGroupOptions = Omit<RaftGroupOptions, "nodeId" | "send" | "logger" | "catchUpTicks">;

const outboundMessagesMaxDefault = 262_144;

export class GroupManager {
  readonly nodeId: NodeId;
  private readonly transport: RaftTransport;
  private readonly logger: Logger;
  private readonly tickIntervalMs: number;
  private readonly scheduler: Scheduler;
  private readonly outboundMessagesMax: number;
  private readonly groups = new Map<string, RaftGroup>();
  private outbound = new Map<NodeId, GroupMessage[]>();
  private flushScheduled = false;
  private cancelTicks: Cancel | undefined;
  private stopped = false;
  private readonly clock: Clock | undefined;
  /** When the tick timer started, on the clock, and how many ticks were played since. */
  private ticksOriginMs = 0;
  private ticksPlayed = 0;
  private readonly liveness: NodeLiveness | undefined;
  private readonly heartbeatIntervalTicks: number;
  /** Every other node some hosted group has as a member: the node heartbeats go to these. */
  private readonly peers = new Set<NodeId>();

  constructor(options: GroupManagerOptions) {
    assert(options.tickIntervalMs >= 0, "tickIntervalMs must be ≥ 0");
    this.nodeId = options.nodeId;
    this.transport = options.transport;
    this.logger = options.logger.with({ component: "raft", node: options.nodeId });
    this.tickIntervalMs = options.tickIntervalMs;
    this.scheduler = options.scheduler;
    this.clock = options.clock;
    this.outboundMessagesMax = options.outboundMessagesMax ?? outboundMessagesMaxDefault;
    assert(this.outboundMessagesMax >= 1, "outboundMessagesMax must be ≥ 1");
    const quiescence = options.quiescence;
    if (quiescence !== undefined) {
      assert(
        quiescence.heartbeatIntervalTicks >= 1 &&
          quiescence.electionTimeoutTicks > quiescence.heartbeatIntervalTicks,
        "quiescence needs 1 ≤ heartbeatIntervalTicks < electionTimeoutTicks",
      );
      this.liveness = new NodeLiveness(quiescence.electionTimeoutTicks);
    }
    this.heartbeatIntervalTicks = quiescence?.heartbeatIntervalTicks ?? 1;
    this.transport.onReceive((from, batch) => this.receive(from, batch));
    this.transport.onUnreachable?.((peer) => this.reportUnreachable(peer));
  }

  /** Starts the tick timer (when tickIntervalMs > 0). */
  start(): void {
    assert(!this.stopped, "start after stop");
    if (this.cancelTicks !== undefined || this.tickIntervalMs === 0) return;
    if (this.clock === undefined) {
      this.cancelTicks = this.scheduler.setInterval(() => this.tickAll(), this.tickIntervalMs);
      return;
    }
    this.ticksOriginMs = this.clock.monotonicMs();
    this.ticksPlayed = 0;
    this.cancelTicks = this.scheduler.setInterval(() => this.playDueTicks(), this.tickIntervalMs);
  }

  /**
   * Plays every tick the clock says is due since the last run: one on time, several after the process was
   * frozen. Also run before a proposal, which may be the first thing a resumed process does.
   */
  playDueTicks(): void {
    if (this.stopped || this.clock === undefined || this.cancelTicks === undefined) return;
    const due =
      Math.floor((this.clock.monotonicMs() - this.ticksOriginMs) / this.tickIntervalMs) - this.ticksPlayed;
    if (due <= 0) return;
    this.ticksPlayed += due;
    this.tickAll(due);
  }

  /** Stops the timer and every group; later input is ignored. */
  stop(): void {
    this.stopped = true;
    this.cancelTicks?.();
    this.cancelTicks = undefined;
    for (const group of this.groups.values()) group.stop();
    this.groups.clear();
    this.outbound.clear();
  }

  /** Creates, registers and starts a group (a topic's partition was assigned here, or the metadata group). */
  addGroup(options: ManagedGroupOptions): RaftGroup {
    assert(!this.stopped, "addGroup after stop");
    assert(!this.groups.has(options.groupId), `group ${options.groupId} already hosted`);
    const groupId = options.groupId;
    assert(groupId !== nodeChannelGroupId, `group id ${groupId} is reserved`);
    const liveness = this.liveness;
    const group = new RaftGroup({
      ...options,
      nodeId: this.nodeId,
      logger: this.logger,
      send: (messages) => this.enqueue(groupId, messages),
      catchUpTicks: () => this.playDueTicks(),
      ...(liveness === undefined
        ? {}
        : { quiescence: { nodeSilentTicks: (peer) => liveness.silentTicks(peer) } }),
    });
    this.groups.set(groupId, group);
    for (const id of group.voters) {
      if (id !== this.nodeId) this.peers.add(id);
    }
    group.start();
    return group;
  }

  /** Stops and forgets a group (its topic was deleted or its replica moved away). False if not hosted. */
  removeGroup(groupId: string): boolean {
    const group = this.groups.get(groupId);
    if (group === undefined) return false;
    group.stop();
    this.groups.delete(groupId);
    return true;
  }

  group(groupId: string): RaftGroup | undefined {
    return this.groups.get(groupId);
  }

  get groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** One tick of every group: the timer calls this; tests with tickIntervalMs 0 call it by hand. */
  tickAll(count = 1): void {
    if (this.stopped) return;
    const liveness = this.liveness;
    if (liveness !== undefined) {
      // Missed ticks count as silence of every peer (their messages of that time are still unread); one node
      // heartbeat goes out if any of them was a heartbeat tick.
      let heartbeatDue = false;
      for (let index = 0; index < count; index++) {
        liveness.tick();
        if (liveness.now % this.heartbeatIntervalTicks === 0) heartbeatDue = true;
      }
      if (heartbeatDue) this.heartbeatPeers(liveness);
    }
    for (const group of this.groups.values()) group.tick(count);
  }

  /** How many hosted groups are quiesced (metrics, tests). */
  quiescentGroupCount(): number {
    let count = 0;
    for (const group of this.groups.values()) if (group.quiescent) count += 1;
    return count;
  }

  /** One node heartbeat to every peer: its term field carries this node's tick count (a restart shows). */
  private heartbeatPeers(liveness: NodeLiveness): void {
    for (const peer of this.peers) {
      this.enqueue(nodeChannelGroupId, [
        {
          type: "heartbeat",
          from: this.nodeId,
          to: peer,
          term: liveness.now,
          commitOffset: -1,
          readRequestId: -1,
        },
      ]);
    }
  }

  /** A node heartbeat or its response: the peer is alive; a heartbeat is answered at once. */
  private receiveNodeMessage(from: NodeId, message: Message): void {
    const liveness = this.liveness;
    if (liveness === undefined) return;
    if (liveness.heard(from, message.term)) this.peerReturned(from);
    if (message.type === "heartbeat") {
      this.enqueue(nodeChannelGroupId, [
        { type: "heartbeatResponse", from: this.nodeId, to: from, term: liveness.now, readRequestId: -1 },
      ]);
    }
  }

  private peerReturned(peer: NodeId): void {
    for (const group of this.groups.values()) group.peerReturned(peer);
  }

  /** A call to peer failed: every group leading it resends from its match instead of streaming on. */
  reportUnreachable(peer: NodeId): void {
    if (this.stopped) return;
    for (const group of this.groups.values()) group.reportUnreachable(peer);
  }

  private receive(from: NodeId, batch: readonly GroupMessage[]): void {
    if (this.stopped) return;
    // Any call from a peer shows its node alive, whatever groups it carries.
    if (this.liveness?.heard(from) === true) this.peerReturned(from);
    for (const { groupId, message } of batch) {
      if (groupId === nodeChannelGroupId) {
        if (message.to === this.nodeId && message.from === from) this.receiveNodeMessage(from, message);
        continue;
      }
      const group = this.groups.get(groupId);
      // A peer may know a group before this node creates it, or after it deleted it: Raft resends.
      if (group === undefined) {
        this.logger.debug("message for a group not hosted here", { groupId, from });
        continue;
      }
      if (message.to !== this.nodeId || message.from !== from) {
        this.logger.warn("dropping a misaddressed raft message", { groupId, from, to: message.to });
        continue;
      }
      group.step(message);
    }
  }

  private enqueue(groupId: string, messages: readonly Message[]): void {
    if (this.stopped) return;
    for (const message of messages) {
      let queue = this.outbound.get(message.to);
      if (queue === undefined) {
        queue = [];
        this.outbound.set(message.to, queue);
      }
      if (queue.length >= this.outboundMessagesMax) {
        this.logger.warn("dropping a raft message: peer queue full", { groupId, to: message.to });
        continue;
      }
      queue.push({ groupId, message });
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** One transport call per peer for everything queued in this turn. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const outbound = this.outbound;
    this.outbound = new Map();
    for (const [peer, batch] of outbound) {
      try {
        this.transport.send(peer, batch);
      } catch (error) {
        this.logger.warn("raft transport send failed", { to: peer, error });
      }
    }
  }
}
