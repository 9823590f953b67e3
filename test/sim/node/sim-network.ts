// The whole-node simulator's network: one RaftTransport endpoint per node incarnation, every call encoded and
// decoded with the real peer codec (so no node ever shares a buffer with another, as over Connect-RPC), each
// delivered after a random delay on the simulated clock — or dropped, duplicated, reordered by those delays,
// held while its receiver is paused, and refused over a cut link (one way or both), which the sender is told
// as a failed call would tell it.

import type { Prng } from "../../../src/base/prng.ts";
import type { NodeId } from "../../../src/raft/core/types.ts";
import type { GroupMessage, RaftTransport } from "../../../src/raft/node/transport.ts";
import { decodeRaftBatch, encodeRaftBatch } from "../../../src/raft/transport/index.ts";

export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  /** Delays are drawn from [1, delayMaxMs]; different delays reorder calls. */
  delayMaxMs: number;
}

interface Endpoint {
  receive?: (from: NodeId, batch: readonly GroupMessage[]) => void;
  unreachable?: (peer: NodeId) => void;
}

/** Messages a decoded call may hold: far above what a simulated turn produces. */
const messagesPerCallMax = 1_000_000;

export class SimNetwork {
  /** The live incarnation's endpoint of each node; a crashed node has none until it restarts. */
  private readonly endpoints = new Map<NodeId, Endpoint>();
  private readonly cut = new Set<string>();
  private readonly paused = new Set<NodeId>();
  /** Deliveries held for a paused node, run in order when it resumes. */
  private readonly held = new Map<NodeId, Array<() => void>>();
  readonly stats = { calls: 0, dropped: 0, duplicated: 0, refused: 0 };

  constructor(
    private readonly rng: Prng,
    readonly faults: NetworkFaults,
    private readonly setTimeout: (run: () => void, delayMs: number) => void,
  ) {}

  /** A new incarnation of nodeId joins; the previous one's endpoint (if any) receives nothing more. */
  endpoint(nodeId: NodeId): RaftTransport {
    const endpoint: Endpoint = {};
    this.endpoints.set(nodeId, endpoint);
    return {
      send: (peer, batch) => {
        if (this.endpoints.get(nodeId) === endpoint) this.send(nodeId, peer, batch);
      },
      onReceive: (handler) => {
        endpoint.receive = handler;
      },
      onUnreachable: (handler) => {
        endpoint.unreachable = handler;
      },
    };
  }

  /** The node crashed: its endpoint is gone. */
  remove(nodeId: NodeId): void {
    this.endpoints.delete(nodeId);
    this.held.delete(nodeId);
    this.paused.delete(nodeId);
  }

  pause(nodeId: NodeId): void {
    this.paused.add(nodeId);
  }

  resume(nodeId: NodeId): void {
    this.paused.delete(nodeId);
    const held = this.held.get(nodeId) ?? [];
    this.held.delete(nodeId);
    for (const deliver of held) deliver();
  }

  isPaused(nodeId: NodeId): boolean {
    return this.paused.has(nodeId);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Cuts both directions between `node` and every node in `others`. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    for (const other of others) {
      if (other === node) continue;
      this.cutOneWay(node, other);
      this.cutOneWay(other, node);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  get cutLinks(): number {
    return this.cut.size;
  }

  private isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  private send(from: NodeId, to: NodeId, batch: readonly GroupMessage[]): void {
    this.stats.calls += 1;
    const sender = this.endpoints.get(from);
    if (this.isCut(from, to) || !this.endpoints.has(to)) {
      // A refused connection: the sender learns of it a moment later, as from a failed call.
      this.stats.refused += 1;
      this.setTimeout(() => {
        if (this.endpoints.get(from) === sender) sender?.unreachable?.(to);
      }, 1);
      return;
    }
    if (this.rng.chance(this.faults.dropProbability)) {
      this.stats.dropped += 1;
      return;
    }
    const bytes = encodeRaftBatch(batch, from, to);
    const copies = this.rng.chance(this.faults.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.stats.duplicated += 1;
    for (let copy = 0; copy < copies; copy++) {
      const delayMs = 1 + this.rng.int(this.faults.delayMaxMs);
      this.setTimeout(() => this.deliver(from, to, bytes), delayMs);
    }
  }

  private deliver(from: NodeId, to: NodeId, bytes: Uint8Array): void {
    if (this.isCut(from, to)) return;
    const receiver = this.endpoints.get(to);
    if (receiver === undefined) return;
    const run = (): void => {
      if (this.endpoints.get(to) !== receiver) return;
      const decoded = decodeRaftBatch(bytes, { from, to, messagesMax: messagesPerCallMax });
      if (!decoded.ok) throw new Error(`the simulator's own call does not decode: ${decoded.reason}`);
      receiver.receive?.(from, decoded.batch);
    };
    if (this.paused.has(to)) {
      const held = this.held.get(to) ?? [];
      held.push(run);
      this.held.set(to, held);
    } else {
      run();
    }
  }
}
