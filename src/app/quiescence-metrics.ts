// Gauges of the node's Raft groups read at scrape time: how many it hosts and how many are quiesced (idle,
// standing for themselves through the node heartbeats; raft/node/node-liveness.ts).

import type { MetricsRegistry } from "../base/metrics.ts";
import type { GroupManager } from "../raft/node/index.ts";

export function registerQuiescenceMetrics(registry: MetricsRegistry, manager: GroupManager): void {
  const groups = registry.gauge("raft_groups", "Raft groups hosted on this node");
  const quiescent = registry.gauge(
    "raft_quiescent_groups",
    "Raft groups quiesced: no ticks, no heartbeats of their own",
  );
  registry.onCollect(() => {
    groups.labels().set(manager.groupIds.length);
    quiescent.labels().set(manager.quiescentGroupCount());
  });
}
