// Per-partition gauges, read from the hosted replicas at scrape time (nothing on the produce path): log end
// offset, high watermark, log start offset, size on disk, and whether this node leads the partition.

import type { MetricsRegistry } from "../base/metrics.ts";
import type { HostedReplica } from "../cluster/hosted-replicas.ts";

export function registerPartitionMetrics(
  registry: MetricsRegistry,
  replicas: () => Iterable<HostedReplica>,
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
  const inSync = registry.gauge(
    "partition_in_sync_replicas",
    "Replicas in sync with the leader (reported where the partition is led)",
    labels,
  );
  const lag = registry.gauge(
    "partition_follower_lag_offsets",
    "Offsets a follower's log is behind the leader's (reported by the leader)",
    [...labels, "follower"],
  );
  const families = [logEnd, highWatermark, logStart, sizeBytes, leader, inSync];
  let previousLags = new Set<string>();
  let previous = new Set<string>();
  registry.onCollect(() => {
    const seen = new Set<string>();
    const seenLags = new Set<string>();
    for (const replica of replicas()) {
      const partitionLabels = { topic: replica.topicName, partition: String(replica.partition) };
      seen.add(JSON.stringify(partitionLabels));
      logEnd.labels(partitionLabels).set(replica.logEndOffset());
      highWatermark.labels(partitionLabels).set(replica.highWatermark.value);
      logStart.labels(partitionLabels).set(replica.logStartOffset());
      sizeBytes.labels(partitionLabels).set(replica.sizeBytes());
      leader.labels(partitionLabels).set(replica.isLeader() ? 1 : 0);
      if (replica.isLeader()) inSync.labels(partitionLabels).set(replica.localLeadership().isr.length);
      else inSync.remove(partitionLabels);
      for (const [follower, offsets] of replica.followerLagOffsets()) {
        const lagLabels = { ...partitionLabels, follower: String(follower) };
        seenLags.add(JSON.stringify(lagLabels));
        lag.labels(lagLabels).set(offsets);
      }
    }
    // Lags of partitions no longer led here, or no longer hosted, leave the exposition.
    for (const key of previousLags) if (!seenLags.has(key)) lag.remove(JSON.parse(key));
    previousLags = seenLags;
    // Partitions no longer hosted (deleted topics) leave the exposition.
    for (const key of previous) {
      if (seen.has(key)) continue;
      for (const family of families) family.remove(JSON.parse(key));
    }
    previous = seen;
  });
}
