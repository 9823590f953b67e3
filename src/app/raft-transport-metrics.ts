// Prometheus metrics of the Raft peer transport: per peer, calls by outcome, messages and bytes sent, drops,
// calls in flight, queue depth, reachability and call latency; for the receiving server, calls by outcome and
// what they carried. Counters mirror the transport's own stats at scrape time (nothing on the send path but the
// latency histogram, which is fed per call).

import type { CounterChild, MetricsRegistry } from "../base/metrics.ts";
import type { NodeId } from "../raft/core/index.ts";
import type { CallOutcome, PeerStats, RaftServerStats } from "../raft/transport/index.ts";

export interface RaftTransportMetrics {
  /** Pass as ConnectRaftTransport's onCallCompleted: observes the latency of each successful call. */
  onCallCompleted(peerNodeId: NodeId, outcome: CallOutcome): void;
  /** Mirrors these at every scrape: the transport's per-peer stats and the Raft server's. */
  collectFrom(sources: {
    peers: () => readonly PeerStats[];
    server: () => RaftServerStats | undefined;
  }): void;
}

/** Moves a counter up to a total kept elsewhere (the totals only grow). */
function mirror(child: CounterChild, total: number): void {
  if (total > child.value) child.inc(total - child.value);
}

export function createRaftTransportMetrics(registry: MetricsRegistry): RaftTransportMetrics {
  const peer = ["peer"];
  const calls = registry.counter("raft_peer_calls_total", "Raft calls to a peer, by outcome", [
    "peer",
    "outcome",
  ]);
  const refused = registry.counter("raft_peer_calls_refused_total", "Raft calls a peer refused", peer);
  const messagesSent = registry.counter(
    "raft_peer_messages_sent_total",
    "Raft messages a peer accepted",
    peer,
  );
  const bytesSent = registry.counter(
    "raft_peer_bytes_sent_total",
    "Request body bytes a peer accepted",
    peer,
  );
  const dropped = registry.counter(
    "raft_peer_messages_dropped_total",
    "Raft messages dropped: peer queue full, larger than a call, or refused",
    peer,
  );
  const inflight = registry.gauge(
    "raft_peer_inflight_calls",
    "Raft calls in flight to a peer (0 or 1)",
    peer,
  );
  const queued = registry.gauge(
    "raft_peer_queued_messages",
    "Raft messages waiting for a call to a peer",
    peer,
  );
  const queuedBytes = registry.gauge(
    "raft_peer_queued_bytes",
    "Bytes (upper bound) waiting for a peer",
    peer,
  );
  const reachable = registry.gauge("raft_peer_reachable", "1 unless the last call to the peer failed", peer);
  const latency = registry.histogram(
    "raft_peer_call_latency_seconds",
    "Round trip of successful Raft calls",
    peer,
  );
  const serverCalls = registry.counter("raft_server_calls_total", "Raft calls received, by outcome", [
    "outcome",
  ]);
  const received = registry.counter(
    "raft_server_messages_received_total",
    "Raft messages accepted from peers",
  );
  const bytesReceived = registry.counter(
    "raft_server_bytes_received_total",
    "Raft batch bytes accepted from peers",
  );

  return {
    onCallCompleted(peerNodeId, outcome) {
      if (outcome.ok) latency.labels({ peer: String(peerNodeId) }).observe(outcome.latencyMs / 1000);
    },
    collectFrom(sources) {
      registry.onCollect(() => {
        for (const stats of sources.peers()) {
          const labels = { peer: String(stats.peerNodeId) };
          mirror(calls.labels({ ...labels, outcome: "ok" }), stats.calls - stats.callFailures);
          mirror(calls.labels({ ...labels, outcome: "failed" }), stats.callFailures);
          mirror(refused.labels(labels), stats.callsRefused);
          mirror(messagesSent.labels(labels), stats.messagesSent);
          mirror(bytesSent.labels(labels), stats.bytesSent);
          mirror(dropped.labels(labels), stats.messagesDropped);
          inflight.labels(labels).set(stats.inflightCalls);
          queued.labels(labels).set(stats.queuedMessages);
          queuedBytes.labels(labels).set(stats.queuedBytes);
          reachable.labels(labels).set(stats.reachable ? 1 : 0);
        }
        const server = sources.server();
        if (server === undefined) return;
        mirror(serverCalls.labels({ outcome: "accepted" }), server.callsAccepted);
        mirror(serverCalls.labels({ outcome: "refused" }), server.callsRefused);
        mirror(received.labels(), server.messagesReceived);
        mirror(bytesReceived.labels(), server.bytesReceived);
      });
    },
  };
}
