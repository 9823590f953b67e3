// Several RaftTransport endpoints in one process, for tests and benchmarks: each call is delivered in a later
// event-loop turn, or dropped. A call over a cut link fails as a refused connection would, and the sender is
// told its peer is unreachable; a call dropped by dropIf is lost silently, as on a lossy network.
import type { NodeId } from "../core/index.ts";
import type { GroupMessage, RaftTransport } from "../node/transport.ts";

export interface InMemoryCall {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly batch: readonly GroupMessage[];
}

interface Endpoint {
  receive?: (from: NodeId, batch: readonly GroupMessage[]) => void;
  unreachable?: (peer: NodeId) => void;
}

export class InMemoryRaftNetwork {
  private readonly endpoints = new Map<NodeId, Endpoint>();
  private readonly cut = new Set<string>();
  /** Every call made, delivered or not (tests count them). */
  readonly calls: InMemoryCall[] = [];
  /** Calls for which this returns true are dropped. */
  dropIf: (call: InMemoryCall) => boolean = () => false;
  /** Delay before delivery; 0 delivers in the next turn (setImmediate). */
  delayMs = 0;

  endpoint(nodeId: NodeId): RaftTransport {
    const endpoint: Endpoint = {};
    this.endpoints.set(nodeId, endpoint);
    return {
      send: (peerNodeId, batch) => this.send({ from: nodeId, to: peerNodeId, batch }),
      onReceive: (handler) => {
        endpoint.receive = handler;
      },
      onUnreachable: (handler) => {
        endpoint.unreachable = handler;
      },
    };
  }

  /** Cuts both directions between nodeId and every other node (a crash or a partition). */
  isolate(nodeId: NodeId): void {
    for (const other of this.endpoints.keys()) {
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
    if (this.isCut(call)) {
      const sender = this.endpoints.get(call.from);
      setImmediate(() => sender?.unreachable?.(call.to));
      return;
    }
    if (this.dropIf(call)) return;
    const deliver = (): void => {
      if (this.isCut(call)) return;
      this.endpoints.get(call.to)?.receive?.(call.from, call.batch);
    };
    if (this.delayMs > 0) setTimeout(deliver, this.delayMs);
    else setImmediate(deliver);
  }

  private isCut(call: InMemoryCall): boolean {
    return this.cut.has(`${call.from}>${call.to}`);
  }
}
