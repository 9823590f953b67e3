// The validated configuration of one chronik-server process: what the command line and environment decided.
// Built by cli/ (which validates everything from outside); app/ and below only ever see this typed value.

import type { LogFormat, LogLevel } from "../base/logger.ts";

export type ServerMode = "standalone" | "raft-cluster";

export interface RaftPeer {
  nodeId: number;
  host: string;
  port: number;
}

/** Kafka's security protocols: whether a listener speaks TLS, and whether it requires SASL. */
export type SecurityProtocol = "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";

export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === "SSL" || protocol === "SASL_SSL";
}

export function usesSasl(protocol: SecurityProtocol): boolean {
  return protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL";
}

/** One Kafka listener (Kafka's listeners + advertised.listeners + listener.security.protocol.map entry). */
export interface KafkaListenerConfig {
  /** PLAINTEXT, SASL_SSL, or a name of the operator's (CLIENT, REPLICATION…), upper case. */
  name: string;
  securityProtocol: SecurityProtocol;
  bindHost: string;
  port: number;
  /** Where clients on this listener are told to connect (Metadata, FindCoordinator). */
  advertisedHost: string;
  advertisedPort: number;
}

/** Certificates and secrets, read from files at start-up (and the TLS files again on SIGHUP or a change). */
export interface SecurityConfig {
  /** The TLS listeners' certificate chain and key (PEM); null when no listener uses TLS. */
  tls: { certFile: string; keyFile: string; clientCaFile: string | null } | null;
  /** Lines "name:password": users given PLAIN and SCRAM credentials at start-up when they have none. */
  saslUsersFile: string | null;
  /** Kafka's connections.max.reauth.ms: how long a SASL session lasts before the client must re-authenticate; 0 = forever. */
  reauthMsMax: number;
  /** Raft peers present it to each other (and may use it for the admin API); null: the peer port is open. */
  clusterSecret: string | null;
}

export interface BrokerDefaults {
  /** auto.create.topics.enable: Metadata for an unknown topic creates it. */
  autoCreateTopics: boolean;
  /** num.partitions: partitions of an auto-created topic. */
  numPartitions: number;
  /** default.replication.factor: replicas of a topic created without one; 0 means min(3, live brokers). */
  defaultReplicationFactor: number;
  /** message.max.bytes: the largest record batch a topic accepts, unless the topic says otherwise. */
  messageMaxBytes: number;
  /** log.cleaner.backoff.ms: how long the log cleaner sleeps when no compacted log is due. */
  logCleanerBackoffMs: number;
  /** log.cleaner.io.max.bytes.per.second: the log cleaner's reads and writes per second, all logs together. */
  logCleanerIoMaxBytesPerSecond: number;
}

/** The classic group coordinator's settings, after Kafka's group.* broker configs. */
export interface ClassicGroupSettings {
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members; 0 = not at all. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms and group.max.session.timeout.ms: what a JoinGroup may ask for. */
  sessionTimeoutMsMin: number;
  sessionTimeoutMsMax: number;
  /** group.max.size: members beyond it get GROUP_MAX_SIZE_REACHED. */
  groupMaxSize: number;
}

/** The consumer (KIP-848) group coordinator's settings, after Kafka's group.consumer.* broker configs. */
export interface ConsumerGroupSettings {
  /** group.consumer.heartbeat.interval.ms: the heartbeat pace given to members, unless their group's says. */
  heartbeatIntervalMs: number;
  /** group.consumer.min/max.heartbeat.interval.ms: the bounds of a group's consumer.heartbeat.interval.ms. */
  heartbeatIntervalMsMin: number;
  heartbeatIntervalMsMax: number;
  /** group.consumer.session.timeout.ms: a member silent this long leaves its group, unless its group's says. */
  sessionTimeoutMs: number;
  /** group.consumer.min/max.session.timeout.ms: the bounds of a group's consumer.session.timeout.ms. */
  sessionTimeoutMsMin: number;
  sessionTimeoutMsMax: number;
  /** group.consumer.max.size: members beyond it get GROUP_MAX_SIZE_REACHED. */
  groupMaxSize: number;
}

export interface ServerConfig {
  mode: ServerMode;
  nodeId: number;
  dataDir: string;
  kafkaBindHost: string;
  kafkaPort: number;
  /** The host and port clients are told to connect to (Metadata, FindCoordinator). */
  advertisedHost: string;
  advertisedPort: number;
  /**
   * Every Kafka listener, the first the one kafkaBindHost/kafkaPort/advertisedHost/advertisedPort describe
   * (--kafka-port and --advertised-addr are the short form of one PLAINTEXT listener).
   */
  listeners: KafkaListenerConfig[];
  security: SecurityConfig;
  /** Kafka's broker.rack: where this node stands, for rack-aware reads (KIP-392); null when not set. */
  rack: string | null;
  /** A follower serves committed reads (false: only leaders answer Fetch, followers say NOT_LEADER). */
  fetchFromFollowers: boolean;
  httpBindHost: string;
  httpPort: number;
  /** A bearer token every admin API call must carry; null leaves the admin API open. */
  adminToken: string | null;
  /** Kafka's authorizer settings: whether ACLs are enforced, and who passes them all. */
  authorization: AuthorizationSettings;
  logLevel: LogLevel;
  logFormat: LogFormat;
  broker: BrokerDefaults;
  groups: { classic: ClassicGroupSettings; consumer: ConsumerGroupSettings };
  /** raft-cluster only: where this node listens for its peers, who they are, and how leaders are balanced. */
  raft: {
    bindHost: string;
    port: number;
    peers: RaftPeer[];
    bootstrap: boolean;
    leaderBalance: LeaderBalanceSettings;
  } | null;
}

/** authorizer.class.name, super.users and allow.everyone.if.no.acl.found. */
export interface AuthorizationSettings {
  /** false: every request is allowed and the ACL APIs answer SECURITY_DISABLED (Kafka without an authorizer). */
  enabled: boolean;
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
}

/** Kafka's automatic preferred leader election settings (see cluster/leader-balance.ts). */
export interface LeaderBalanceSettings {
  /** auto.leader.rebalance.enable: leaders hand partitions back to returning preferred replicas. */
  autoRebalance: boolean;
  /** leader.imbalance.per.broker.percentage: 0 to 100. */
  imbalancePercentPerBroker: number;
  /** leader.imbalance.check.interval.seconds, in milliseconds. */
  checkIntervalMs: number;
}
