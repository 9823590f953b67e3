// What a node proposes when it leads the metadata and finds it incomplete: the cluster id (once, ever), its own
// broker registration (when new or its address changed), and the internal __consumer_offsets topic. Pure: the
// caller supplies the fresh ids; an already complete metadata yields no records.

import { offsetsSegmentBytes } from "../internal-topics.ts";
import type { MetadataRecord } from "./metadata-records.ts";
import type { MetadataState } from "./metadata-state.ts";

export interface BootstrapInput {
  nodeId: number;
  advertisedHost: string;
  advertisedPort: number;
  offsetsTopicName: string;
  offsetsPartitions: number;
  newClusterId(): string;
  newTopicId(): string;
}

export function bootstrapRecords(state: MetadataState, input: BootstrapInput): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  if (state.clusterId === null) records.push({ type: "cluster-id", clusterId: input.newClusterId() });
  const registered = state.broker(input.nodeId);
  if (!registered || registered.host !== input.advertisedHost || registered.port !== input.advertisedPort) {
    records.push({
      type: "broker",
      nodeId: input.nodeId,
      host: input.advertisedHost,
      port: input.advertisedPort,
      rack: null,
    });
  }
  if (!state.topicByName(input.offsetsTopicName)) {
    records.push({
      type: "topic",
      name: input.offsetsTopicName,
      topicId: input.newTopicId(),
      partitions: Array.from({ length: input.offsetsPartitions }, () => ({ replicas: [input.nodeId] })),
      // Kafka's own: the group coordinators compact it (group-log-compaction.ts).
      configs: { "cleanup.policy": "compact", "segment.bytes": String(offsetsSegmentBytes) },
    });
  }
  return records;
}
