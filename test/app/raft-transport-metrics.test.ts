// Proves the Raft transport's metrics: per-peer and server counters mirror the transport's stats at each scrape
// without ever going down, and successful calls land in the latency histogram.
import { expect, test } from "bun:test";
import { createRaftTransportMetrics } from "../../src/app/raft-transport-metrics.ts";
import { MetricsRegistry } from "../../src/base/metrics.ts";
import type { PeerStats, RaftServerStats } from "../../src/raft/transport/index.ts";

function peerStats(peerNodeId: number): PeerStats {
  return {
    peerNodeId,
    calls: 0,
    callFailures: 0,
    callsRefused: 0,
    messagesSent: 0,
    bytesSent: 0,
    messagesDropped: 0,
    inflightCalls: 0,
    queuedMessages: 0,
    queuedBytes: 0,
    latencyMsLast: 0,
    latencyMsSum: 0,
    latencyMsMax: 0,
    reachable: true,
    failuresInARow: 0,
  };
}

test("counters follow the stats at each scrape; the latency histogram counts successful calls", () => {
  const registry = new MetricsRegistry();
  const metrics = createRaftTransportMetrics(registry);
  const peers = [peerStats(2), peerStats(3)];
  const server: RaftServerStats = {
    callsAccepted: 0,
    callsRefused: 0,
    messagesReceived: 0,
    bytesReceived: 0,
  };
  metrics.collectFrom({ peers: () => peers, server: () => server });
  Object.assign(peers[0]!, {
    calls: 5,
    callFailures: 2,
    messagesSent: 40,
    bytesSent: 1234,
    queuedMessages: 7,
  });
  Object.assign(peers[1]!, {
    calls: 1,
    callFailures: 1,
    callsRefused: 1,
    messagesDropped: 3,
    reachable: false,
  });
  Object.assign(server, { callsAccepted: 9, callsRefused: 1, messagesReceived: 90, bytesReceived: 4096 });
  metrics.onCallCompleted(2, { ok: true, latencyMs: 0.4, messages: 3, bytes: 100 });
  metrics.onCallCompleted(2, { ok: false, latencyMs: 5, messages: 3, bytes: 100 });
  const text = registry.render();
  for (const line of [
    'raft_peer_calls_total{peer="2",outcome="ok"} 3',
    'raft_peer_calls_total{peer="2",outcome="failed"} 2',
    'raft_peer_messages_sent_total{peer="2"} 40',
    'raft_peer_bytes_sent_total{peer="2"} 1234',
    'raft_peer_queued_messages{peer="2"} 7',
    'raft_peer_calls_refused_total{peer="3"} 1',
    'raft_peer_messages_dropped_total{peer="3"} 3',
    'raft_peer_reachable{peer="3"} 0',
    'raft_peer_reachable{peer="2"} 1',
    'raft_server_calls_total{outcome="accepted"} 9',
    "raft_server_bytes_received_total 4096",
    'raft_peer_call_latency_seconds_count{peer="2"} 1',
  ]) {
    expect(text).toContain(`${line}\n`);
  }
  peers[0]!.messagesSent = 41;
  expect(registry.render()).toContain('raft_peer_messages_sent_total{peer="2"} 41\n');
});
