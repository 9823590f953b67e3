// The RaftTransport between Chronik processes: Connect-RPC calls per peer over HTTP/1.1 (DESIGN.md has the
// measured reasons), made with Bun's fetch on the already-encoded batch (fetch-call.ts), each peer behind a
// PeerSender (one call in flight, bounded queue, backoff), and the receiving end the Raft server
// (raft-server.ts) hands accepted batches to.
//
// Cluster ids: the transport reads this node's from a getter, since it is known only once the metadata is
// loaded; until then it is "" (unknown). A call is refused only when both ends know their cluster id and the
// two differ: a fresh cluster must exchange Raft messages before any node has learned the id it is forming.
import { assert } from "../../base/assert.ts";
import type { Logger } from "../../base/logger.ts";
import type { NodeId } from "../core/index.ts";
import type { GroupMessage, RaftTransport } from "../node/transport.ts";
import { clusterSecretHeader } from "./cluster-secret.ts";
import { fetchDeliverCall } from "./fetch-call.ts";
import type { RaftTransportLimits } from "./limits.ts";
import { resolveRaftTransportLimits } from "./limits.ts";
import type { CallOutcome, PeerStats } from "./peer-sender.ts";
import { PeerSender } from "./peer-sender.ts";
import type { RaftReceiver } from "./raft-server.ts";

export interface RaftPeer {
  readonly nodeId: NodeId;
  /** Where the peer's Raft server listens (its --raft-addr, as --peers names it). */
  readonly host: string;
  readonly port: number;
}

export interface ConnectRaftTransportOptions {
  readonly nodeId: NodeId;
  /** The other nodes of the cluster; calls from any other node are refused. */
  readonly peers: readonly RaftPeer[];
  /** This node's cluster id, "" while unknown. */
  readonly clusterId: () => string;
  readonly logger: Logger;
  readonly limits?: Partial<RaftTransportLimits>;
  /** Sent with every call when set (cluster-secret.ts). */
  readonly clusterSecret?: string | null;
  /** Told the outcome of every call (a latency histogram hangs here). */
  readonly onCallCompleted?: (peerNodeId: NodeId, outcome: CallOutcome) => void;
}

export class ConnectRaftTransport implements RaftTransport, RaftReceiver {
  readonly nodeId: NodeId;
  readonly limits: RaftTransportLimits;
  readonly clusterId: () => string;
  private readonly senders = new Map<NodeId, PeerSender>();
  private readonly logger: Logger;
  private receiveHandler: ((from: NodeId, batch: readonly GroupMessage[]) => void) | undefined;
  private unreachableHandler: ((peer: NodeId) => void) | undefined;
  private readonly unknownPeersLogged = new Set<NodeId>();

  constructor(options: ConnectRaftTransportOptions) {
    const limits = resolveRaftTransportLimits(options.limits);
    assert(typeof limits !== "string", `raft transport limits: ${limits}`);
    this.nodeId = options.nodeId;
    this.limits = limits;
    this.clusterId = options.clusterId;
    this.logger = options.logger.with({ component: "raft-transport" });
    for (const peer of options.peers) {
      assert(peer.nodeId !== options.nodeId, `node ${peer.nodeId} is this node, not a peer`);
      assert(!this.senders.has(peer.nodeId), `peer ${peer.nodeId} listed twice`);
      const host = peer.host.includes(":") ? `[${peer.host}]` : peer.host;
      const secret = options.clusterSecret ?? null;
      const call = fetchDeliverCall(
        `http://${host}:${peer.port}`,
        secret === null ? {} : { [clusterSecretHeader]: secret },
      );
      const sender = new PeerSender({
        nodeId: options.nodeId,
        peerNodeId: peer.nodeId,
        clusterId: options.clusterId,
        limits,
        logger: this.logger,
        call,
        onUnreachable: (peerNodeId) => this.unreachableHandler?.(peerNodeId),
        onCallCompleted: options.onCallCompleted,
      });
      this.senders.set(peer.nodeId, sender);
    }
  }

  send(peerNodeId: NodeId, batch: readonly GroupMessage[]): void {
    const sender = this.senders.get(peerNodeId);
    if (sender !== undefined) {
      sender.enqueue(batch);
      return;
    }
    // A group whose membership names a node this one has no address for: nothing can reach it.
    if (!this.unknownPeersLogged.has(peerNodeId)) {
      this.unknownPeersLogged.add(peerNodeId);
      this.logger.warn("dropping raft messages to a node that is not a configured peer", { to: peerNodeId });
    }
  }

  onReceive(handler: (fromNodeId: NodeId, batch: readonly GroupMessage[]) => void): void {
    this.receiveHandler = handler;
  }

  onUnreachable(handler: (peerNodeId: NodeId) => void): void {
    this.unreachableHandler = handler;
  }

  /** The server's question: is this node one of ours? */
  isPeer(nodeId: NodeId): boolean {
    return this.senders.has(nodeId);
  }

  /** The server hands every accepted call's messages here. */
  deliver(from: NodeId, batch: readonly GroupMessage[]): void {
    this.receiveHandler?.(from, batch);
  }

  /** Per-peer counters, updated in place (read them at scrape time). */
  stats(): PeerStats[] {
    return [...this.senders.values()].map((sender) => sender.stats);
  }

  /** Abandons every call in flight and queue; the transport sends nothing more. */
  stop(): void {
    for (const sender of this.senders.values()) sender.stop();
  }
}
