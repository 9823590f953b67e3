// A topic's effective configs as the storage engine's LogConfig: segments, retention, and the flush policy:
// flush.messages = 1 means fsync before every acknowledgement (Chronik's default); otherwise a finite flush.ms
// syncs on that interval, and neither leaves it to the OS as Kafka's default does. A flush.messages above 1
// has no per-count effect here (the log has no "every N messages" policy yet).

import { type CompactionConfig, type LogConfig, logConfigOf } from "../storage/index.ts";
import { type BrokerStaticConfigs, topicConfigValue } from "./config-view.ts";
import { internalTopicNames, metadataTopicName, offsetsSegmentBytes } from "./internal-topics.ts";
import type { MetadataState } from "./metadata/metadata-state.ts";
import { longConfigValue, topicConfigDefinition } from "./topic-config-definitions.ts";

function value(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
  name: string,
): number {
  const definition = topicConfigDefinition(name);
  if (!definition) throw new Error(`no topic config ${name}`);
  return longConfigValue(topicConfigValue(overrides, brokerStatic, definition));
}

/** cleanup.policy's parts: compact runs the log cleaner; delete keeps retention.ms and retention.bytes. */
export function cleanupPolicyOf(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
): { compact: boolean; delete: boolean } {
  const definition = topicConfigDefinition("cleanup.policy")!;
  const items = topicConfigValue(overrides, brokerStatic, definition)
    .split(",")
    .map((item) => item.trim());
  return { compact: items.includes("compact"), delete: items.includes("delete") };
}

function compactionConfig(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
): CompactionConfig {
  const ratioDefinition = topicConfigDefinition("min.cleanable.dirty.ratio")!;
  return {
    deleteRetentionMs: value(overrides, brokerStatic, "delete.retention.ms"),
    minCompactionLagMs: value(overrides, brokerStatic, "min.compaction.lag.ms"),
    maxCompactionLagMs: value(overrides, brokerStatic, "max.compaction.lag.ms"),
    minCleanableDirtyRatio: Number(topicConfigValue(overrides, brokerStatic, ratioDefinition)),
  };
}

export function topicLogConfig(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
): LogConfig {
  const policy = cleanupPolicyOf(overrides, brokerStatic);
  const flushMessages = value(overrides, brokerStatic, "flush.messages");
  const flushMs = value(overrides, brokerStatic, "flush.ms");
  const flushPolicy = flushMessages <= 1 ? "every" : flushMs < Number.MAX_SAFE_INTEGER ? "interval" : "never";
  return logConfigOf({
    segmentBytes: value(overrides, brokerStatic, "segment.bytes"),
    segmentMs: value(overrides, brokerStatic, "segment.ms"),
    indexIntervalBytes: Math.max(1, value(overrides, brokerStatic, "index.interval.bytes")),
    // Without "delete" in cleanup.policy, as in Kafka, no segment goes for its age or the log's size.
    retentionMs: policy.delete ? value(overrides, brokerStatic, "retention.ms") : -1,
    retentionBytes: policy.delete ? value(overrides, brokerStatic, "retention.bytes") : -1,
    flushPolicy,
    flushIntervalMs: flushPolicy === "interval" ? Math.max(1, flushMs) : 1000,
    compaction: policy.compact ? compactionConfig(overrides, brokerStatic) : null,
  });
}

/** retention.ms and retention.bytes at -1: no segment is ever deleted for its age or the log's size. */
const keptForever = { retentionMs: -1, retentionBytes: -1 } as const;

/**
 * The config of any log a node keeps, by its topic. Logs that hold state rather than a stream never delete
 * segments by age or size, whatever their topic configs say: the metadata log, because with no metadata
 * snapshots yet a replay from its start is the only copy of the cluster's topics; and the coordinators' topics
 * (__consumer_offsets), whose old records only their compaction (group-log-compaction.ts) may drop — by age,
 * it would drop the latest commit of every group that has not committed since (an idle consumer's position).
 * Their segments are at most offsets.topic.segment.bytes (also for a topic created before it was set on it),
 * so what compaction leaves behind is deleted soon.
 */
export function logConfigFor(
  topic: string,
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
): LogConfig {
  if (topic === metadataTopicName) return logConfigOf(keptForever);
  const config = topicLogConfig(overrides, brokerStatic);
  if (!internalTopicNames.has(topic)) return config;
  // Their own compaction restates live records and moves the log start (group-log-compaction.ts); the log
  // cleaner stays out of it, so the two never race over the same segments.
  return {
    ...config,
    ...keptForever,
    segmentBytes: Math.min(config.segmentBytes, offsetsSegmentBytes),
    compaction: null,
  };
}

/**
 * Tells the open logs of each topic whose configs changed — by AlterConfigs, or at start-up, where the logs open
 * before the metadata holding their configs is replayed — so a config takes effect without a restart (Kafka's
 * LogManager.updateTopicConfig). Metadata replaces a topic's config map on every change and never edits it in
 * place, so a map not seen before is a change.
 */
export class TopicConfigFollower {
  private seen = new Map<string, ReadonlyMap<string, string>>();

  constructor(private readonly reconfigure: (topic: string, partitionCount: number) => void) {}

  follow(state: MetadataState): void {
    const next = new Map<string, ReadonlyMap<string, string>>();
    for (const topic of state.topics()) {
      next.set(topic.name, topic.configs);
      if (this.seen.get(topic.name) !== topic.configs) this.reconfigure(topic.name, topic.partitions.length);
    }
    this.seen = next;
  }
}
