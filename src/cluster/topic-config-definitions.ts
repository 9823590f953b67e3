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

/** DescribeConfigs config sources, as numbered on the wire. */
export enum ConfigSource {
  Unknown = 0,
  DynamicTopicConfig = 1,
  DynamicBrokerConfig = 2,
  DynamicDefaultBrokerConfig = 3,
  StaticBrokerConfig = 4,
  DefaultConfig = 5,
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

function define(
  name: string,
  type: ConfigType,
  defaultValue: string,
  brokerSynonym: string,
  check: (value: string) => string | null,
  defaultSynonym = { name: brokerSynonym, value: defaultValue },
): TopicConfigDefinition {
  return { name, type, defaultValue, brokerSynonym, check, defaultSynonym };
}

/** Kafka's default of log.retention.hours and log.roll.hours: a week. */
const weekHours = { value: "168" };

/**
 * Chronik differs from Kafka in one default on purpose: flush.messages is 1 (fsync before every
 * acknowledgement), because nothing acknowledged may be lost even when every replica crashes at once.
 */
export const topicConfigDefinitions: readonly TopicConfigDefinition[] = [
  // Compaction is not implemented: "compact" is refused rather than accepted and ignored.
  define("cleanup.policy", ConfigType.List, "delete", "log.cleanup.policy", listOf(["delete"])),
  define(
    "compression.type",
    ConfigType.String,
    "producer",
    "compression.type",
    // Recompressing on the broker is not implemented: batches are stored as the producer sent them.
    oneOf(["producer"]),
  ),
  define("flush.messages", ConfigType.Long, "1", "log.flush.interval.messages", integerCheck(1n, longMax)),
  define("flush.ms", ConfigType.Long, String(longMax), "log.flush.interval.ms", integerCheck(0n, longMax)),
  define(
    "index.interval.bytes",
    ConfigType.Int,
    "4096",
    "log.index.interval.bytes",
    integerCheck(0n, intMax),
  ),
  define("max.message.bytes", ConfigType.Int, "1048588", "message.max.bytes", integerCheck(0n, intMax)),
  define(
    "message.timestamp.type",
    ConfigType.String,
    "CreateTime",
    "log.message.timestamp.type",
    oneOf(["CreateTime", "LogAppendTime"]),
  ),
  define("min.insync.replicas", ConfigType.Int, "1", "min.insync.replicas", integerCheck(1n, intMax)),
  define("retention.bytes", ConfigType.Long, "-1", "log.retention.bytes", integerCheck(-1n, longMax)),
  define("retention.ms", ConfigType.Long, "604800000", "log.retention.ms", integerCheck(-1n, longMax), {
    name: "log.retention.hours",
    ...weekHours,
  }),
  define("segment.bytes", ConfigType.Int, "1073741824", "log.segment.bytes", integerCheck(1048576n, intMax)),
  define("segment.ms", ConfigType.Long, "604800000", "log.roll.ms", integerCheck(1n, longMax), {
    name: "log.roll.hours",
    ...weekHours,
  }),
  define(
    "segment.index.bytes",
    ConfigType.Int,
    "10485760",
    "log.index.size.max.bytes",
    integerCheck(4n, intMax),
  ),
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
