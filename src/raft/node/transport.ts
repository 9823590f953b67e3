// The peer transport a GroupManager speaks through: one call carries every group's messages to one peer node.
// The Connect-RPC implementation lives in raft/transport; the in-memory network here connects several
// managers in one process for tests, and can drop or delay calls.
import type { Message, NodeId } from "../core/index.ts";

export interface GroupMessage {
  readonly groupId: string;
  readonly message: Message;
}

export interface RaftTransport {
  /** Sends one batch to a peer node, fire-and-forget: Raft resends what is lost. */
  send(peerNodeId: NodeId, batch: readonly GroupMessage[]): void;
  /** Registers the (single) handler for batches arriving from peers. */
  onReceive(handler: (fromNodeId: NodeId, batch: readonly GroupMessage[]) => void): void;
}

export interface InMemoryCall {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly batch: readonly GroupMessage[];
}

/** Several in-process endpoints; each call is delivered in a later event-loop turn, or dropped. */
export class InMemoryRaftNetwork {
  private readonly handlers = new Map<NodeId, (from: NodeId, batch: readonly GroupMessage[]) => void>();
  private readonly cut = new Set<string>();
  /** Every call made, delivered or not (tests count them). */
  readonly calls: InMemoryCall[] = [];
  /** Calls for which this returns true are dropped. */
  dropIf: (call: InMemoryCall) => boolean = () => false;
  /** Delay before delivery; 0 delivers in the next turn (setImmediate). */
  delayMs = 0;

  endpoint(nodeId: NodeId): RaftTransport {
    return {
      send: (peerNodeId, batch) => this.send({ from: nodeId, to: peerNodeId, batch }),
      onReceive: (handler) => {
        this.handlers.set(nodeId, handler);
      },
    };
  }

  /** Cuts both directions between nodeId and every other node (a crash or a partition). */
  isolate(nodeId: NodeId): void {
    for (const other of this.handlers.keys()) {
      if (other === nodeId) continue;
      this.cut.add(`${nodeId}>${other}`);
      this.cut.add(`${other}>${nodeId}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  private send(call: InMemoryCall): void {
    this.calls.push(call);
    if (this.cut.has(`${call.from}>${call.to}`) || this.dropIf(call)) return;
    const deliver = (): void => {
      if (this.cut.has(`${call.from}>${call.to}`)) return;
      this.handlers.get(call.to)?.(call.from, call.batch);
    };
    if (this.delayMs > 0) setTimeout(deliver, this.delayMs);
    else setImmediate(deliver);
  }
}
