// The topic configs Chronik honours, with Kafka's names, types, defaults, valid ranges and broker-level
// synonyms (retention.ms ↔ log.retention.ms). CreateTopics and AlterConfigs validate against this table;
// DescribeConfigs reports from it, with sources and synonyms as Kafka does. A config not in the table is
// refused with INVALID_CONFIG rather than silently accepted and ignored.
// Values are kept as strings, as Kafka keeps them; typed readers convert at the point of use.

/** DescribeConfigs config types (org.apache.kafka.clients.admin.ConfigEntry.ConfigType). */
export enum ConfigType {
  Unknown = 0,
  Boolean = 1,
  String = 2,
  Int = 3,
  Short = 4,
  Long = 5,
  Double = 6,
  List = 7,
  Class = 8,
  Password = 9,
}

/** DescribeConfigs config sources, as numbered on the wire (DescribeConfigsResponse.ConfigSource). */
export enum ConfigSource {
  Unknown = 0,
  DynamicTopicConfig = 1,
  DynamicBrokerConfig = 2,
  DynamicDefaultBrokerConfig = 3,
  StaticBrokerConfig = 4,
  DefaultConfig = 5,
  DynamicBrokerLoggerConfig = 6,
  ClientMetricsConfig = 7,
  GroupConfig = 8,
}

export interface TopicConfigDefinition {
  name: string;
  type: ConfigType;
  /** Kafka's default, used when neither the topic nor the broker sets it. */
  defaultValue: string;
  /** The broker config that supplies this topic config's default (e.g. log.retention.ms). */
  brokerSynonym: string;
  /**
   * The synonym DescribeConfigs names as the source of the default. Usually brokerSynonym at defaultValue;
   * where Kafka's default is set on a coarser broker config it is that one (retention.ms's default comes from
   * log.retention.hours=168, since log.retention.ms is unset), as Kafka reports it.
   */
  defaultSynonym: { name: string; value: string };
  /** What DescribeConfigs answers when asked for documentation: Kafka's text (TopicConfig.java). */
  documentation: string;
  /** The broker synonym's documentation (ServerLogConfigs, ServerConfigs). */
  brokerDocumentation: string;
  /** A one-line reason when `value` is not allowed, else null. */
  check(value: string): string | null;
}

const longMax = 9223372036854775807n;
const intMax = 2147483647n;

function integerCheck(min: bigint, max: bigint): (value: string) => string | null {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) return `"${value}" is not an integer`;
    const parsed = BigInt(value.trim());
    if (parsed < min || parsed > max) return `${value} is outside [${min}, ${max}]`;
    return null;
  };
}

function oneOf(allowed: readonly string[]): (value: string) => string | null {
  return (value) => (allowed.includes(value) ? null : `"${value}" is not one of ${allowed.join(", ")}`);
}

function listOf(allowed: readonly string[]): (value: string) => string | null {
  return (value) => {
    const items = value.split(",").map((item) => item.trim());
    const bad = items.find((item) => !allowed.includes(item));
    return bad === undefined ? null : `"${bad}" is not one of ${allowed.join(", ")}`;
  };
}

/** Kafka's ValidList of cleanup.policy: delete, compact or both (an empty list is Kafka 4's "none"; refused here). */
function cleanupPolicyCheck(value: string): string | null {
  const problem = listOf(["delete", "compact"])(value);
  if (problem !== null) return problem;
  return value.trim() === "" ? "cleanup.policy needs delete, compact or both" : null;
}

/** A double in [min, max] (min.cleanable.dirty.ratio). */
function doubleCheck(min: number, max: number): (value: string) => string | null {
  return (value) => {
    const parsed = Number(value.trim());
    if (value.trim() === "" || !Number.isFinite(parsed)) return `"${value}" is not a number`;
    return parsed < min || parsed > max ? `${value} is outside [${min}, ${max}]` : null;
  };
}

/** GzipCompression.LevelValidator: -1 (zlib's default) or 1 to 9. */
function gzipLevelCheck(value: string): string | null {
  const problem = integerCheck(-1n, 9n)(value);
  if (problem !== null) return problem;
  return BigInt(value.trim()) === 0n ? "0 is not a gzip level: use -1 (the default) or 1 to 9" : null;
}

type Definition = Omit<TopicConfigDefinition, "defaultSynonym"> & {
  defaultSynonym?: TopicConfigDefinition["defaultSynonym"];
};

function define(definition: Definition): TopicConfigDefinition {
  return {
    ...definition,
    defaultSynonym: definition.defaultSynonym ?? {
      name: definition.brokerSynonym,
      value: definition.defaultValue,
    },
  };
}

/** Kafka's default of log.retention.hours and log.roll.hours: a week. */
const weekHours = { value: "168" };

/** compression.type's values (BrokerCompressionType): a codec, none, or the producer's own. */
export const compressionTypes = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"] as const;
export type CompressionTypeName = (typeof compressionTypes)[number];

const compressionLevelDocumentation = (codec: string) =>
  `The compression level to use if compression.type is set to <code>${codec}</code>.`;

const maxMessageBytesDocumentation =
  "The largest record batch size allowed by Kafka (after compression if compression is enabled). " +
  "If this is increased and there are consumers older than 0.10.2, the consumers' fetch size must also be " +
  "increased so that they can fetch record batches this large. In the latest message format version, records " +
  "are always grouped into batches for efficiency. In previous message format versions, uncompressed records " +
  "are not grouped into batches and this limit only applies to a single record in that case.";

const minInsyncReplicasDocumentation =
  'When a producer sets acks to "all" (or "-1"), this configuration specifies the minimum number of replicas ' +
  "that must acknowledge a write for the write to be considered successful. If this minimum cannot be met, " +
  "then the producer will raise an exception (either NotEnoughReplicas or NotEnoughReplicasAfterAppend).";

const compressionTypeDocumentation =
  "Specify the final compression type for a given topic. This configuration accepts the standard compression " +
  "codecs ('gzip', 'snappy', 'lz4', 'zstd'). It additionally accepts 'uncompressed' which is equivalent to no " +
  "compression; and 'producer' which means retain the original compression codec set by the producer.";

/**
 * Chronik differs from Kafka in one default on purpose: flush.messages is 1 (fsync before every
 * acknowledgement), because nothing acknowledged may be lost even when every replica crashes at once.
 */
export const topicConfigDefinitions: readonly TopicConfigDefinition[] = [
  // "compact" runs the log cleaner over the topic (storage/log-cleaner.ts); "compact,delete" also deletes by age and size.
  define({
    name: "cleanup.policy",
    type: ConfigType.List,
    defaultValue: "delete",
    brokerSynonym: "log.cleanup.policy",
    check: cleanupPolicyCheck,
    documentation:
      'This config designates the retention policy to use on log segments. The "delete" policy (which is the ' +
      "default) will discard old segments when their retention time or size limit has been reached. The " +
      '"compact" policy will enable log compaction, which retains the latest value for each key.',
    brokerDocumentation:
      "The default cleanup policy for segments beyond the retention window. A comma separated list of valid policies.",
  }),
  // A codec other than "producer" makes the broker recompress batches that arrive in another codec.
  define({
    name: "compression.type",
    type: ConfigType.String,
    defaultValue: "producer",
    brokerSynonym: "compression.type",
    check: oneOf(compressionTypes),
    documentation: compressionTypeDocumentation,
    brokerDocumentation: compressionTypeDocumentation,
  }),
  // KIP-390's levels, with Kafka's ranges and defaults (GzipCompression, Lz4Compression, ZstdCompression).
  define({
    name: "compression.gzip.level",
    type: ConfigType.Int,
    defaultValue: "-1",
    brokerSynonym: "compression.gzip.level",
    check: gzipLevelCheck,
    documentation: compressionLevelDocumentation("gzip"),
    brokerDocumentation: compressionLevelDocumentation("gzip"),
  }),
  define({
    name: "compression.lz4.level",
    type: ConfigType.Int,
    defaultValue: "9",
    brokerSynonym: "compression.lz4.level",
    check: integerCheck(1n, 17n),
    documentation: compressionLevelDocumentation("lz4"),
    brokerDocumentation: compressionLevelDocumentation("lz4"),
  }),
  define({
    name: "compression.zstd.level",
    type: ConfigType.Int,
    defaultValue: "3",
    brokerSynonym: "compression.zstd.level",
    check: integerCheck(-131072n, 22n),
    documentation: compressionLevelDocumentation("zstd"),
    brokerDocumentation: compressionLevelDocumentation("zstd"),
  }),
  define({
    name: "flush.messages",
    type: ConfigType.Long,
    defaultValue: "1",
    brokerSynonym: "log.flush.interval.messages",
    check: integerCheck(1n, longMax),
    documentation:
      "This setting allows specifying an interval at which we will force an fsync of data written to the log. " +
      "For example if this was set to 1 we would fsync after every message; if it were 5 we would fsync after " +
      "every five messages.",
    brokerDocumentation:
      "The number of messages accumulated on a log partition before messages are flushed to disk.",
  }),
  define({
    name: "flush.ms",
    type: ConfigType.Long,
    defaultValue: String(longMax),
    brokerSynonym: "log.flush.interval.ms",
    check: integerCheck(0n, longMax),
    documentation:
      "This setting allows specifying a time interval at which we will force an fsync of data written to the " +
      "log. For example if this was set to 1000 we would fsync after 1000 ms had passed.",
    brokerDocumentation:
      "The maximum time in ms that a message in any topic is kept in memory before flushed to disk.",
  }),
  define({
    name: "index.interval.bytes",
    type: ConfigType.Int,
    defaultValue: "4096",
    brokerSynonym: "log.index.interval.bytes",
    check: integerCheck(0n, intMax),
    documentation:
      "This setting controls how frequently Kafka adds an index entry to its offset index. The default setting " +
      "ensures that we index a message roughly every 4096 bytes. More indexing allows reads to jump closer to " +
      "the exact position in the log but makes the index larger. You probably don't need to change this.",
    brokerDocumentation: "The interval with which we add an entry to the offset index.",
  }),
  define({
    name: "max.message.bytes",
    type: ConfigType.Int,
    defaultValue: "1048588",
    brokerSynonym: "message.max.bytes",
    check: integerCheck(0n, intMax),
    documentation: maxMessageBytesDocumentation,
    brokerDocumentation: `${maxMessageBytesDocumentation}This can be set per topic with the topic level <code>max.message.bytes</code> config.`,
  }),
  define({
    name: "message.timestamp.type",
    type: ConfigType.String,
    defaultValue: "CreateTime",
    brokerSynonym: "log.message.timestamp.type",
    check: oneOf(["CreateTime", "LogAppendTime"]),
    documentation: "Define whether the timestamp in the message is message create time or log append time.",
    brokerDocumentation:
      "Define whether the timestamp in the message is message create time or log append time. The value " +
      "should be either <code>CreateTime</code> or <code>LogAppendTime</code>.",
  }),
  define({
    name: "min.insync.replicas",
    type: ConfigType.Int,
    defaultValue: "1",
    brokerSynonym: "min.insync.replicas",
    check: integerCheck(1n, intMax),
    documentation: minInsyncReplicasDocumentation,
    brokerDocumentation: minInsyncReplicasDocumentation,
  }),
  define({
    name: "retention.bytes",
    type: ConfigType.Long,
    defaultValue: "-1",
    brokerSynonym: "log.retention.bytes",
    check: integerCheck(-1n, longMax),
    documentation:
      "This configuration controls the maximum size a partition (which consists of log segments) can grow to " +
      'before we will discard old log segments to free up space if we are using the "delete" retention ' +
      "policy. By default there is no size limit only a time limit. Since this limit is enforced at the " +
      "partition level, multiply it by the number of partitions to compute the topic retention in bytes.",
    brokerDocumentation: "The maximum size of the log before deleting it",
  }),
  define({
    name: "retention.ms",
    type: ConfigType.Long,
    defaultValue: "604800000",
    brokerSynonym: "log.retention.ms",
    check: integerCheck(-1n, longMax),
    defaultSynonym: { name: "log.retention.hours", ...weekHours },
    documentation:
      "This configuration controls the maximum time we will retain a log before we will discard old log " +
      'segments to free up space if we are using the "delete" retention policy. This represents an SLA on how ' +
      "soon consumers must read their data. If set to -1, no time limit is applied.",
    brokerDocumentation:
      "The number of milliseconds to keep a log file before deleting it (in milliseconds), If not set, the " +
      "value in log.retention.minutes is used. If set to -1, no time limit is applied.",
  }),
  define({
    name: "segment.bytes",
    type: ConfigType.Int,
    defaultValue: "1073741824",
    brokerSynonym: "log.segment.bytes",
    check: integerCheck(1048576n, intMax),
    documentation:
      "This configuration controls the segment file size for the log. Retention and cleaning is always done a " +
      "file at a time so a larger segment size means fewer files but less granular control over retention.",
    brokerDocumentation: "The maximum size of a single log file",
  }),
  define({
    name: "segment.ms",
    type: ConfigType.Long,
    defaultValue: "604800000",
    brokerSynonym: "log.roll.ms",
    check: integerCheck(1n, longMax),
    defaultSynonym: { name: "log.roll.hours", ...weekHours },
    documentation:
      "This configuration controls the period of time after which Kafka will force the log to roll even if the " +
      "segment file isn't full to ensure that retention can delete or compact old data.",
    brokerDocumentation:
      "The maximum time before a new log segment is rolled out (in milliseconds). If not set, the value in " +
      "log.roll.hours is used",
  }),
  define({
    name: "segment.index.bytes",
    type: ConfigType.Int,
    defaultValue: "10485760",
    brokerSynonym: "log.index.size.max.bytes",
    check: integerCheck(4n, intMax),
    documentation:
      "This configuration controls the size of the index that maps offsets to file positions. We preallocate " +
      "this index file and shrink it only after log rolls. You generally should not need to change this setting.",
    brokerDocumentation: "The maximum size in bytes of the offset index",
  }),
  // The log cleaner's topic configs (storage/log-cleaner.ts), with Kafka's defaults and ranges.
  define({
    name: "delete.retention.ms",
    type: ConfigType.Long,
    defaultValue: "86400000",
    brokerSynonym: "log.cleaner.delete.retention.ms",
    check: integerCheck(0n, longMax),
    documentation:
      "The amount of time to retain tombstone message markers for log compacted topics. This setting also " +
      "gives a bound on the time in which a consumer must complete a read if they begin from offset 0 to " +
      "ensure that they get a valid snapshot of the final stage (otherwise tombstones messages may be " +
      "collected before a consumer completes their scan).",
    brokerDocumentation: "The amount of time to retain tombstone message markers for log compacted topics.",
  }),
  define({
    name: "min.cleanable.dirty.ratio",
    type: ConfigType.Double,
    defaultValue: "0.5",
    brokerSynonym: "log.cleaner.min.cleanable.ratio",
    check: doubleCheck(0, 1),
    documentation:
      "This configuration controls how frequently the log compactor will attempt to clean the log (assuming " +
      "log compaction is enabled). By default we will avoid cleaning a log where more than 50% of the log has " +
      "been compacted. This ratio bounds the maximum space wasted in the log by duplicates.",
    brokerDocumentation: "The minimum ratio of dirty log to total log for a log to eligible for cleaning.",
  }),
  define({
    name: "min.compaction.lag.ms",
    type: ConfigType.Long,
    defaultValue: "0",
    brokerSynonym: "log.cleaner.min.compaction.lag.ms",
    check: integerCheck(0n, longMax),
    documentation:
      "The minimum time a message will remain uncompacted in the log. Only applicable for logs that are " +
      "being compacted.",
    brokerDocumentation: "The minimum time a message will remain uncompacted in the log.",
  }),
  define({
    name: "max.compaction.lag.ms",
    type: ConfigType.Long,
    defaultValue: "9223372036854775807",
    brokerSynonym: "log.cleaner.max.compaction.lag.ms",
    check: integerCheck(1n, longMax),
    documentation:
      "The maximum time a message will remain ineligible for compaction in the log. Only applicable for logs " +
      "that are being compacted.",
    brokerDocumentation: "The maximum time a message will remain ineligible for compaction in the log.",
  }),
];

const definitionByName = new Map(topicConfigDefinitions.map((definition) => [definition.name, definition]));

export function topicConfigDefinition(name: string): TopicConfigDefinition | undefined {
  return definitionByName.get(name);
}

/** Checks a set of topic config overrides; returns the first problem in one line, or null. */
export function checkTopicConfigs(configs: ReadonlyMap<string, string>): string | null {
  for (const [name, value] of configs) {
    const definition = definitionByName.get(name);
    if (!definition) return `unknown or unsupported topic config ${name}`;
    const problem = definition.check(value);
    if (problem !== null) return `invalid value for ${name}: ${problem}`;
  }
  return null;
}

/** Reads a long config as a number, saturating at Number.MAX_SAFE_INTEGER (Long.MAX_VALUE means "never"). */
export function longConfigValue(value: string): number {
  const parsed = BigInt(value);
  return parsed > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(parsed);
}
