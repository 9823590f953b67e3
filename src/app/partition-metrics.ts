// Per-partition gauges, read from the hosted replicas at scrape time (nothing on the produce path): log end
// offset, high watermark, log start offset, size on disk, and whether this node leads the partition.

import type { MetricsRegistry } from "../base/metrics.ts";
import type { PartitionReplica } from "../cluster/partition-replica.ts";

export function registerPartitionMetrics(
  registry: MetricsRegistry,
  replicas: () => Iterable<PartitionReplica>,
): void {
  const labels = ["topic", "partition"];
  const logEnd = registry.gauge(
    "partition_log_end_offset",
    "Offset the next appended record will take",
    labels,
  );
  const highWatermark = registry.gauge(
    "partition_high_watermark",
    "Offset up to which records are committed",
    labels,
  );
  const logStart = registry.gauge("partition_log_start_offset", "First offset still held", labels);
  const sizeBytes = registry.gauge(
    "partition_size_bytes",
    "Bytes of the partition's log segments on disk",
    labels,
  );
  const leader = registry.gauge("partition_leader", "1 when this node leads the partition", labels);
  const families = [logEnd, highWatermark, logStart, sizeBytes, leader];
  let previous = new Set<string>();
  registry.onCollect(() => {
    const seen = new Set<string>();
    for (const replica of replicas()) {
      const partitionLabels = { topic: replica.topicName, partition: String(replica.partition) };
      seen.add(JSON.stringify(partitionLabels));
      logEnd.labels(partitionLabels).set(replica.logEndOffset());
      highWatermark.labels(partitionLabels).set(replica.highWatermark.value);
      logStart.labels(partitionLabels).set(replica.logStartOffset());
      sizeBytes.labels(partitionLabels).set(replica.sizeBytes());
      leader.labels(partitionLabels).set(replica.isLeader() ? 1 : 0);
    }
    // Partitions no longer hosted (deleted topics) leave the exposition.
    for (const key of previous) {
      if (seen.has(key)) continue;
      for (const family of families) family.remove(JSON.parse(key));
    }
    previous = seen;
  });
}
