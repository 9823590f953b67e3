// Every command-line option of chronik-server, with its environment variable, default and validation.
// One table, so --help, the parser and the environment all agree. Values arrive as strings (argv, env) and
// leave typed; a bad value is reported in one line naming the option, the value and what is allowed.

import * as v from "valibot";
import { logLevels } from "../base/logger.ts";

export type OptionScope = "global" | "raft-cluster";

export interface OptionSpec<T> {
  /** The long flag without dashes, e.g. "kafka-port". */
  flag: string;
  env: string;
  /** The value used when neither flag nor environment gives one, as it would be typed. */
  defaultText: string;
  /** What is allowed, in words, for the one-line error and --help. */
  allowed: string;
  help: string;
  scope: OptionScope;
  /** True for switches that may stand alone (`--bootstrap` means true). */
  isSwitch?: boolean;
  schema: v.GenericSchema<string, T>;
}

const portNumber = (min: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/),
    v.transform(Number),
    v.number(),
    v.integer(),
    v.minValue(min),
    v.maxValue(65535),
  );

const integerInRange = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^-?\d+$/),
    v.transform(Number),
    v.number(),
    v.integer(),
    v.minValue(min),
    v.maxValue(max),
  );

/** Kafka's Integer.MAX_VALUE: the largest int config, and the default of the group size limits. */
const intMax = 2 ** 31 - 1;

const booleanText = v.pipe(
  v.picklist(["true", "false", "1", "0", "yes", "no"]),
  v.transform((text) => text === "true" || text === "1" || text === "yes"),
);

/** A host name or address clients can reach: not a wildcard address. */
const advertisedHost = v.pipe(
  v.string(),
  v.minLength(1),
  v.regex(/^[A-Za-z0-9._:[\]-]+$/),
  v.check((host) => host !== "0.0.0.0" && host !== "::" && host !== "[::]"),
);

const bindHost = v.pipe(v.string(), v.minLength(1), v.regex(/^[A-Za-z0-9._:[\]-]+$/));

/** "host:port", as in --raft-addr 0.0.0.0:9192. */
export const hostPort = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._-]+:\d{1,5}$/),
  v.transform((text) => {
    const colon = text.lastIndexOf(":");
    return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
  }),
  v.check((address) => address.port >= 1 && address.port <= 65535),
);

/** "2@host2:9292,3@host3:9392": the other voters of the cluster. */
const peerList = v.pipe(
  v.string(),
  v.transform((text) => text.split(",").filter((part) => part.trim() !== "")),
  v.array(
    v.pipe(
      v.string(),
      v.transform((part) => part.trim()),
      v.regex(/^\d+@[A-Za-z0-9._-]+:\d{1,5}$/),
      v.transform((part) => {
        const [id, address] = part.split("@") as [string, string];
        const colon = address.lastIndexOf(":");
        return { nodeId: Number(id), host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
      }),
      v.check((peer) => peer.port >= 1 && peer.port <= 65535 && peer.nodeId <= 2 ** 31 - 1),
    ),
  ),
);

export const optionSpecs = {
  kafkaPort: {
    flag: "kafka-port",
    env: "CHRONIK_KAFKA_PORT",
    defaultText: "9092",
    allowed: "a port from 1 to 65535",
    help: "Kafka protocol listener port",
    scope: "global",
    schema: portNumber(1),
  },
  bindAddr: {
    flag: "bind-addr",
    env: "CHRONIK_BIND_ADDR",
    defaultText: "0.0.0.0",
    allowed: "a host name or IP address",
    help: "address the Kafka and HTTP listeners bind to",
    scope: "global",
    schema: bindHost,
  },
  advertisedAddr: {
    flag: "advertised-addr",
    env: "CHRONIK_ADVERTISED_ADDR",
    defaultText: "localhost",
    allowed: "a host name or IP address clients can reach (not 0.0.0.0)",
    help: "host clients are told to connect to",
    scope: "global",
    schema: advertisedHost,
  },
  rack: {
    flag: "rack",
    env: "CHRONIK_RACK",
    defaultText: "",
    allowed: "a rack name of letters, digits and ._-",
    help: "broker.rack: this node's rack, for consumers reading from the closest replica (KIP-392)",
    scope: "global",
    schema: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,255}$/)),
  },
  fetchFromFollowers: {
    flag: "fetch-from-followers",
    env: "CHRONIK_FETCH_FROM_FOLLOWERS",
    defaultText: "true",
    allowed: "true or false",
    help: "followers serve committed records to consumers (false: only partition leaders answer Fetch)",
    scope: "global",
    schema: booleanText,
  },
  advertisedPort: {
    flag: "advertised-port",
    env: "CHRONIK_ADVERTISED_PORT",
    defaultText: "",
    allowed: "a port from 1 to 65535",
    help: "port clients are told to connect to (default: --kafka-port)",
    scope: "global",
    schema: portNumber(1),
  },
  nodeId: {
    flag: "node-id",
    env: "CHRONIK_NODE_ID",
    defaultText: "1",
    allowed: "an integer from 0 to 2147483647",
    help: "this node's id, unique in the cluster",
    scope: "global",
    schema: integerInRange(0, 2 ** 31 - 1),
  },
  dataDir: {
    flag: "data-dir",
    env: "CHRONIK_DATA_DIR",
    defaultText: "./data",
    allowed: "a directory path",
    help: "where logs and metadata are stored",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  httpPort: {
    flag: "http-port",
    env: "CHRONIK_HTTP_PORT",
    defaultText: "8080",
    allowed: "a port from 1 to 65535",
    help: "HTTP port for /health, /ready, /metrics and the admin API",
    scope: "global",
    schema: portNumber(1),
  },
  listeners: {
    flag: "listeners",
    env: "CHRONIK_LISTENERS",
    defaultText: "",
    allowed: "NAME://host:port[,NAME://host:port…], e.g. PLAINTEXT://:9092,SASL_SSL://:9093",
    help: "Kafka listeners, each with its security protocol by name (default: PLAINTEXT on --kafka-port)",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  advertisedListeners: {
    flag: "advertised-listeners",
    env: "CHRONIK_ADVERTISED_LISTENERS",
    defaultText: "",
    allowed: "NAME://host:port[,…] naming listeners of --listeners",
    help: "where clients of each listener are told to connect (default: the listener, host --advertised-addr)",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  listenerSecurityProtocolMap: {
    flag: "listener-security-protocol-map",
    env: "CHRONIK_LISTENER_SECURITY_PROTOCOL_MAP",
    defaultText: "",
    allowed: "NAME:PROTOCOL[,…] with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
    help: "security protocol of each listener name (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL map to themselves)",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  tlsCert: {
    flag: "tls-cert",
    env: "CHRONIK_TLS_CERT",
    defaultText: "",
    allowed: "a PEM file path",
    help: "certificate chain of the SSL and SASL_SSL listeners (reloaded on SIGHUP or when the file changes)",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  tlsKey: {
    flag: "tls-key",
    env: "CHRONIK_TLS_KEY",
    defaultText: "",
    allowed: "a PEM file path",
    help: "private key of --tls-cert",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  tlsClientCa: {
    flag: "tls-client-ca",
    env: "CHRONIK_TLS_CLIENT_CA",
    defaultText: "",
    allowed: "a PEM file path",
    help: "CA certificates trusted for client certificates: TLS listeners then require one (mutual TLS)",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  saslUsers: {
    flag: "sasl-users",
    env: "CHRONIK_SASL_USERS",
    defaultText: "",
    allowed: "a file path of name:password lines",
    help: "users given PLAIN and SCRAM-SHA-256/512 credentials at start-up unless they have some",
    scope: "global",
    schema: v.pipe(v.string(), v.minLength(1)),
  },
  connectionsMaxReauthMs: {
    flag: "connections-max-reauth-ms",
    env: "CHRONIK_CONNECTIONS_MAX_REAUTH_MS",
    defaultText: "0",
    allowed: "an integer from 0 to 2147483647",
    help: "connections.max.reauth.ms: SASL sessions last this long, then clients re-authenticate (0: forever)",
    scope: "global",
    schema: integerInRange(0, intMax),
  },
  clusterSecret: {
    flag: "cluster-secret",
    env: "CHRONIK_CLUSTER_SECRET",
    defaultText: "",
    allowed: "16 to 4096 printable characters without spaces",
    help: "secret every Raft peer call carries; peers without it are refused (prefer the environment)",
    scope: "raft-cluster",
    schema: v.pipe(v.string(), v.regex(/^[\x21-\x7e]{16,4096}$/)),
  },
  adminToken: {
    flag: "admin-token",
    env: "CHRONIK_ADMIN_TOKEN",
    defaultText: "",
    allowed: "8 to 4096 printable characters without spaces",
    help: "bearer token every admin API call must carry (prefer the environment: flags show in ps)",
    scope: "global",
    schema: v.pipe(v.string(), v.regex(/^[\x21-\x7e]{8,4096}$/)),
  },
  logLevel: {
    flag: "log-level",
    env: "CHRONIK_LOG_LEVEL",
    defaultText: "info",
    allowed: logLevels.join(", "),
    help: "least severe log level printed",
    scope: "global",
    schema: v.picklist(logLevels),
  },
  logFormat: {
    flag: "log-format",
    env: "CHRONIK_LOG_FORMAT",
    defaultText: "text",
    allowed: "text, json",
    help: "one readable line or one JSON object per event",
    scope: "global",
    schema: v.picklist(["text", "json"] as const),
  },
  authorizer: {
    flag: "authorizer",
    env: "CHRONIK_AUTHORIZER",
    defaultText: "none",
    allowed: "none, acl",
    help: "authorizer.class.name: acl enforces ACLs (Kafka's StandardAuthorizer); none allows every request and answers the ACL APIs SECURITY_DISABLED, as Kafka without an authorizer",
    scope: "global",
    schema: v.picklist(["none", "acl"] as const),
  },
  superUsers: {
    flag: "super-users",
    env: "CHRONIK_SUPER_USERS",
    defaultText: "",
    allowed: "principals Type:name separated by ';', e.g. User:admin;User:ops",
    help: "super.users: principals the authorizer allows everything",
    scope: "global",
    schema: v.pipe(
      v.string(),
      v.transform((text) =>
        text
          .split(";")
          .map((part) => part.trim())
          .filter((part) => part !== ""),
      ),
      v.array(v.pipe(v.string(), v.regex(/^[^:\s]+:[^\s]+$/))),
    ),
  },
  allowEveryoneIfNoAclFound: {
    flag: "allow-everyone-if-no-acl-found",
    env: "CHRONIK_ALLOW_EVERYONE_IF_NO_ACL_FOUND",
    defaultText: "false",
    allowed: "true or false",
    help: "allow.everyone.if.no.acl.found: with --authorizer acl, a resource without any ACL is open to all",
    scope: "global",
    schema: booleanText,
  },
  autoCreateTopics: {
    flag: "auto-create-topics",
    env: "CHRONIK_AUTO_CREATE_TOPICS",
    defaultText: "true",
    allowed: "true or false",
    help: "auto.create.topics.enable: Metadata for an unknown topic creates it",
    scope: "global",
    schema: booleanText,
  },
  numPartitions: {
    flag: "num-partitions",
    env: "CHRONIK_NUM_PARTITIONS",
    defaultText: "1",
    allowed: "an integer from 1 to 100000",
    help: "num.partitions: partitions of an auto-created topic",
    scope: "global",
    schema: integerInRange(1, 100_000),
  },
  defaultReplicationFactor: {
    flag: "default-replication-factor",
    env: "CHRONIK_DEFAULT_REPLICATION_FACTOR",
    defaultText: "0",
    allowed: "an integer from 0 to 32767",
    help: "default.replication.factor: replicas of a topic created without one; 0 means min(3, live brokers)",
    scope: "global",
    schema: integerInRange(0, 32767),
  },
  messageMaxBytes: {
    flag: "message-max-bytes",
    env: "CHRONIK_MESSAGE_MAX_BYTES",
    defaultText: "1048588",
    allowed: "an integer from 1024 to 104857600",
    help: "message.max.bytes: largest record batch accepted",
    scope: "global",
    schema: integerInRange(1024, 104_857_600),
  },
  logCleanerBackoffMs: {
    flag: "log-cleaner-backoff-ms",
    env: "CHRONIK_LOG_CLEANER_BACKOFF_MS",
    defaultText: "15000",
    allowed: "an integer from 1 to 86400000",
    help: "log.cleaner.backoff.ms: how long the log cleaner sleeps when no compacted log needs cleaning",
    scope: "global",
    schema: integerInRange(1, 86_400_000),
  },
  logCleanerIoMaxBytesPerSecond: {
    flag: "log-cleaner-io-max-bytes-per-second",
    env: "CHRONIK_LOG_CLEANER_IO_MAX_BYTES_PER_SECOND",
    defaultText: "67108864",
    allowed: "an integer from 1024 to 9007199254740991",
    help: "log.cleaner.io.max.bytes.per.second: what the log cleaner may read and write per second",
    scope: "global",
    schema: integerInRange(1024, Number.MAX_SAFE_INTEGER),
  },
  groupInitialRebalanceDelayMs: {
    flag: "group-initial-rebalance-delay-ms",
    env: "CHRONIK_GROUP_INITIAL_REBALANCE_DELAY_MS",
    defaultText: "3000",
    allowed: "an integer from 0 to 3600000",
    help: "group.initial.rebalance.delay.ms: how long a new classic group waits for more members; 0 = none",
    scope: "global",
    schema: integerInRange(0, 3_600_000),
  },
  groupMinSessionTimeoutMs: {
    flag: "group-min-session-timeout-ms",
    env: "CHRONIK_GROUP_MIN_SESSION_TIMEOUT_MS",
    defaultText: "6000",
    allowed: "an integer from 1 to 2147483647",
    help: "group.min.session.timeout.ms: a classic JoinGroup asking for less gets INVALID_SESSION_TIMEOUT",
    scope: "global",
    schema: integerInRange(1, intMax),
  },
  groupMaxSessionTimeoutMs: {
    flag: "group-max-session-timeout-ms",
    env: "CHRONIK_GROUP_MAX_SESSION_TIMEOUT_MS",
    defaultText: "1800000",
    allowed: "an integer from 1 to 2147483647",
    help: "group.max.session.timeout.ms: a classic JoinGroup asking for more gets INVALID_SESSION_TIMEOUT",
    scope: "global",
    schema: integerInRange(1, intMax),
  },
  groupMaxSize: {
    flag: "group-max-size",
    env: "CHRONIK_GROUP_MAX_SIZE",
    defaultText: String(intMax),
    allowed: "an integer from 1 to 2147483647",
    help: "group.max.size: members a classic group takes before GROUP_MAX_SIZE_REACHED",
    scope: "global",
    schema: integerInRange(1, intMax),
  },
  groupConsumerHeartbeatIntervalMs: {
    flag: "group-consumer-heartbeat-interval-ms",
    env: "CHRONIK_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS",
    defaultText: "5000",
    allowed: "an integer from 100 to 3600000",
    help: "group.consumer.heartbeat.interval.ms: how often KIP-848 consumers are told to heartbeat",
    scope: "global",
    schema: integerInRange(100, 3_600_000),
  },
  groupConsumerSessionTimeoutMs: {
    flag: "group-consumer-session-timeout-ms",
    env: "CHRONIK_GROUP_CONSUMER_SESSION_TIMEOUT_MS",
    defaultText: "45000",
    allowed: "an integer from 1000 to 3600000",
    help: "group.consumer.session.timeout.ms: a silent KIP-848 consumer is removed after this",
    scope: "global",
    schema: integerInRange(1000, 3_600_000),
  },
  groupConsumerMinHeartbeatIntervalMs: {
    flag: "group-consumer-min-heartbeat-interval-ms",
    env: "CHRONIK_GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS",
    defaultText: "5000",
    allowed: "an integer from 100 to 3600000",
    help: "group.consumer.min.heartbeat.interval.ms: the least a group's consumer.heartbeat.interval.ms may be",
    scope: "global",
    schema: integerInRange(100, 3_600_000),
  },
  groupConsumerMaxHeartbeatIntervalMs: {
    flag: "group-consumer-max-heartbeat-interval-ms",
    env: "CHRONIK_GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS",
    defaultText: "15000",
    allowed: "an integer from 100 to 3600000",
    help: "group.consumer.max.heartbeat.interval.ms: the most a group's consumer.heartbeat.interval.ms may be",
    scope: "global",
    schema: integerInRange(100, 3_600_000),
  },
  groupConsumerMinSessionTimeoutMs: {
    flag: "group-consumer-min-session-timeout-ms",
    env: "CHRONIK_GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS",
    defaultText: "45000",
    allowed: "an integer from 1000 to 3600000",
    help: "group.consumer.min.session.timeout.ms: the least a group's consumer.session.timeout.ms may be",
    scope: "global",
    schema: integerInRange(1000, 3_600_000),
  },
  groupConsumerMaxSessionTimeoutMs: {
    flag: "group-consumer-max-session-timeout-ms",
    env: "CHRONIK_GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS",
    defaultText: "60000",
    allowed: "an integer from 1000 to 3600000",
    help: "group.consumer.max.session.timeout.ms: the most a group's consumer.session.timeout.ms may be",
    scope: "global",
    schema: integerInRange(1000, 3_600_000),
  },
  groupConsumerMaxSize: {
    flag: "group-consumer-max-size",
    env: "CHRONIK_GROUP_CONSUMER_MAX_SIZE",
    defaultText: String(intMax),
    allowed: "an integer from 1 to 2147483647",
    help: "group.consumer.max.size: members a KIP-848 group takes before GROUP_MAX_SIZE_REACHED",
    scope: "global",
    schema: integerInRange(1, intMax),
  },
  raftAddr: {
    flag: "raft-addr",
    env: "CHRONIK_RAFT_ADDR",
    defaultText: "0.0.0.0:9192",
    allowed: "host:port",
    help: "where this node listens for its Raft peers",
    scope: "raft-cluster",
    schema: hostPort,
  },
  peers: {
    flag: "peers",
    env: "CHRONIK_RAFT_PEERS",
    defaultText: "",
    allowed: 'a list like "2@host2:9292,3@host3:9392"',
    help: "the other voters: id@host:port, comma separated",
    scope: "raft-cluster",
    schema: peerList,
  },
  autoLeaderRebalanceEnable: {
    flag: "auto-leader-rebalance-enable",
    env: "CHRONIK_AUTO_LEADER_REBALANCE_ENABLE",
    defaultText: "true",
    allowed: "true or false",
    help: "auto.leader.rebalance.enable: leaders hand partitions back to their preferred replicas when these return",
    scope: "raft-cluster",
    schema: booleanText,
  },
  leaderImbalancePerBrokerPercentage: {
    flag: "leader-imbalance-per-broker-percentage",
    env: "CHRONIK_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE",
    defaultText: "10",
    allowed: "an integer from 0 to 100",
    help: "leader.imbalance.per.broker.percentage: a broker leading fewer of its preferred partitions than this is rebalanced",
    scope: "raft-cluster",
    schema: integerInRange(0, 100),
  },
  leaderImbalanceCheckIntervalSeconds: {
    flag: "leader-imbalance-check-interval-seconds",
    env: "CHRONIK_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS",
    defaultText: "30",
    allowed: "an integer from 1 to 86400",
    help: "leader.imbalance.check.interval.seconds: how often each node checks the leaders of the partitions it leads",
    scope: "raft-cluster",
    schema: integerInRange(1, 86_400),
  },
  bootstrap: {
    flag: "bootstrap",
    env: "CHRONIK_BOOTSTRAP",
    defaultText: "false",
    allowed: "true or false",
    help: "form a new cluster from --peers if none exists yet",
    scope: "raft-cluster",
    isSwitch: true,
    schema: booleanText,
  },
} satisfies Record<string, OptionSpec<unknown>>;

export type OptionName = keyof typeof optionSpecs;
export type OptionValues = { [K in OptionName]: v.InferOutput<(typeof optionSpecs)[K]["schema"]> };
