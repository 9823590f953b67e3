// The peer transport a GroupManager speaks through: one call carries every group's messages to one peer node.
// Implementations live in raft/transport: Connect-RPC between processes, and an in-memory network for tests.
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
  /**
   * Registers the (single) handler told when a call to a peer failed: what was in flight to it is presumed
   * lost, and leaders should stop streaming appends to it (the core's reportUnreachable). A transport that
   * cannot fail (standalone's no-op) need not offer it.
   */
  onUnreachable?(handler: (peerNodeId: NodeId) => void): void;
}
