// Prometheus metrics for the Kafka listener's connection hooks: open connections, refusals, bytes in and out.
// Request counts and latencies per API and version are kept by the request dispatcher, which knows the version.

import type { MetricsRegistry } from "../base/metrics.ts";
import type { ConnectionMetrics } from "../broker/connection-metrics.ts";

export function createConnectionMetrics(registry: MetricsRegistry): ConnectionMetrics {
  const open = registry.gauge("kafka_connections", "Open Kafka client connections").labels();
  const opened = registry.counter("kafka_connections_opened_total", "Kafka connections accepted").labels();
  const refused = registry
    .counter("kafka_connections_refused_total", "Connections closed at once: too many open")
    .labels();
  const bytesIn = registry
    .counter("kafka_bytes_received_total", "Bytes received from Kafka clients")
    .labels();
  const bytesOut = registry.counter("kafka_bytes_sent_total", "Bytes sent to Kafka clients").labels();
  return {
    connectionOpened: () => {
      open.inc();
      opened.inc();
    },
    connectionClosed: () => open.dec(),
    connectionRefused: () => refused.inc(),
    bytesReceived: (bytes) => bytesIn.inc(bytes),
    bytesSent: (bytes) => bytesOut.inc(bytes),
    requestStarted: () => {},
    requestCompleted: () => {},
  };
}
