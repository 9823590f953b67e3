// Assembles one broker node: the partition logs, a Raft group per hosted partition plus one for the cluster
// metadata (all ticked by one GroupManager), the consumer-group service, every Kafka API handler, and the Kafka
// listener. Standalone is a cluster of one: every group has this node as its only voter and commits on its own
// fsync — the same write path a replicated cluster uses (DESIGN.md decision 2).

import { statfsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AdminNode } from "../admin/admin-node.ts";
import type { Clock, Scheduler } from "../base/clock.ts";
import { type Logger, silentLogger } from "../base/logger.ts";
import type { MetricsRegistry } from "../base/metrics.ts";
import { Prng } from "../base/prng.ts";
import { requestAuthorizer, securedHandlers } from "../broker/authorization/index.ts";
import type { BrokerContext } from "../broker/broker-context.ts";
import { ClientQuotaEnforcer } from "../broker/client-quota-enforcer.ts";
import { defaultFetchSessionLimits, FetchSessionCache } from "../broker/fetch-sessions.ts";
import type { MetadataQuorum } from "../broker/handlers/describe-quorum.ts";
import { allHandlers, handlerRegistry } from "../broker/handlers/index.ts";
import { saslAuthenticateHandler, saslHandshakeHandler } from "../broker/handlers/sasl.ts";
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from "../broker/handlers/scram-credentials.ts";
import { type KafkaListener, startListener } from "../broker/listener.ts";
import { RequestDispatcher } from "../broker/request-dispatcher.ts";
import { SaslAuthenticator } from "../broker/sasl/sasl-authenticator.ts";
import { saslGate } from "../broker/sasl/sasl-gate.ts";
import type { BrokerStaticConfigs } from "../cluster/config-view.ts";
import { DeletedPartitionsFollower } from "../cluster/deleted-partitions.ts";
import { BrokerConfigFollower, LayeredBrokerConfigs } from "../cluster/dynamic-broker-configs.ts";
import { consumerGroupSettingsOf } from "../cluster/group-config-definitions.ts";
import { GroupService, offsetsPartitionsDefault } from "../cluster/group-service.ts";
import { type HostedReplica, HostedReplicas } from "../cluster/hosted-replicas.ts";
import {
  metadataTopicName,
  offsetsTopicName,
  partitionGroupId,
  transactionStateTopicName,
} from "../cluster/internal-topics.ts";
import { bootstrapRecords } from "../cluster/metadata/bootstrap.ts";
import { defaultReplicationFactor } from "../cluster/metadata/metadata-commands.ts";
import type { BrokerListener } from "../cluster/metadata/metadata-records.ts";
import type { TopicMetadata } from "../cluster/metadata/metadata-state.ts";
import { type MetadataForwarder, RaftMetadataService } from "../cluster/metadata/raft-metadata-service.ts";
import { PreferredLeaders } from "../cluster/preferred-leaders.ts";
import { ProducerIdAllocator } from "../cluster/producer-ids.ts";
import { RaftReplica } from "../cluster/raft-replica.ts";
import type { Rejoin } from "../cluster/rejoin.ts";
import { topicConfigDefinition } from "../cluster/topic-config-definitions.ts";
import { logConfigFor, TopicConfigFollower } from "../cluster/topic-log-config.ts";
import { transactionMaxTimeoutMsDefault } from "../cluster/transactions/transaction-coordinator.ts";
import {
  TransactionService,
  transactionStatePartitionsDefault,
} from "../cluster/transactions/transaction-service.ts";
import { transactionStateTopicRecords } from "../cluster/transactions/transaction-state-topic.ts";
import type { MembershipConfig, RaftConfig } from "../raft/core/index.ts";
import { raftConfigDefaults } from "../raft/core/index.ts";
import {
  FileHardStateStore,
  GroupManager,
  HardStateJournal,
  type LogStartRecords,
  type ManagedGroupOptions,
  PartitionLogStore,
  type RaftGroup,
  type RaftGroupTestingBug,
} from "../raft/node/index.ts";
import type { RaftTransport } from "../raft/node/transport.ts";
import {
  dirSyncBatching,
  LogCleaner,
  type LogConfig,
  LogManager,
  nodeStorageFs,
  type PartitionLog,
  type StorageFs,
} from "../storage/index.ts";
import { type ClusterRuntime, startClusterRuntime } from "./cluster-runtime.ts";
import { createConnectionMetrics } from "./connection-metrics.ts";
import { exitOnBug } from "./exit-on-bug.ts";
import { loadNodeIdentity } from "./node-identity.ts";
import { registerPartitionMetrics } from "./partition-metrics.ts";
import { registerQuiescenceMetrics } from "./quiescence-metrics.ts";
import { seedSaslUsers } from "./sasl-users.ts";
import { type ServerConfig, usesSasl, usesTls } from "./server-config.ts";
import { StartupRefusal } from "./startup-refusal.ts";
import { systemClock, systemScheduler } from "./system-time.ts";
import { loadTlsOptions, watchTlsFiles } from "./tls-files.ts";
import { chronikVersion } from "./version.ts";

/**
 * Raft's clock: milliseconds per tick, and the election timeout and heartbeat interval in ticks. A cluster
 * elects within 0.5–1 s of its leader's last heartbeat (one every 100 ms), so failover takes about a second;
 * standalone's sole voter never waits for an election, and ticks at half the rate.
 */
const raftTimings = {
  cluster: { tickMs: 50, electionTimeoutTicks: 10, heartbeatIntervalTicks: 2 },
  standalone: { tickMs: 100, electionTimeoutTicks: 10, heartbeatIntervalTicks: 1 },
} as const;

function raftTiming(config: ServerConfig) {
  return config.raft === null ? raftTimings.standalone : raftTimings.cluster;
}

/** Kafka's replica.lag.time.max.ms: a follower not caught up for this long leaves the in-sync replicas. */
const replicaLagTimeMsMax = 30_000;
/** How long start-up may take to elect the metadata leader and replay the metadata log. */
const metadataStartupMsMax = 30_000;
/** The Raft hard state file beside each partition's segments. */
/** The Raft hard state file each partition directory held before the node-wide journal. */
const hardStateFileName = "raft-hard-state.json";

export interface BrokerNode {
  /** The first listener's port. */
  readonly kafkaPort: number;
  /** Every Kafka listener, in the order configured. */
  readonly listeners: readonly KafkaListener[];
  /** The metadata group's role, term and leader (the controller) as this node sees them. */
  metadataStatus(): { role: string; term: number; controllerId: number };
  /** The cluster side of a raft-cluster node; undefined standalone. */
  readonly cluster: ClusterRuntime | undefined;
  /** What the admin API works with: the same context and group service the Kafka handlers use. */
  readonly admin: AdminNode;
  stop(): Promise<void>;
}

export interface BrokerNodeDeps {
  logger: Logger;
  metrics: MetricsRegistry;
}

const maxMessageBytesDefinition = topicConfigDefinition("max.message.bytes")!;

/** Broker-level settings given at start-up, under Kafka's names, for DescribeConfigs and topic defaults. */
function brokerStaticConfigs(config: ServerConfig): BrokerStaticConfigs {
  const configs = new Map([
    ["node.id", String(config.nodeId)],
    ["broker.id", String(config.nodeId)],
    ["listeners", config.listeners.map((l) => `${l.name}://${l.bindHost}:${l.port}`).join(",")],
    [
      "advertised.listeners",
      config.listeners.map((l) => `${l.name}://${l.advertisedHost}:${l.advertisedPort}`).join(","),
    ],
    [
      "listener.security.protocol.map",
      config.listeners.map((listener) => `${listener.name}:${listener.securityProtocol}`).join(","),
    ],
    ["auto.create.topics.enable", String(config.broker.autoCreateTopics)],
    ["num.partitions", String(config.broker.numPartitions)],
    ["default.replication.factor", String(config.broker.defaultReplicationFactor)],
    ...groupStaticConfigs(config.groups),
    ...leaderBalanceStaticConfigs(config),
  ]);
  // A topic config's broker synonym is static only when set: at Kafka's default, max.message.bytes is
  // described as DEFAULT_CONFIG, as Kafka describes it when message.max.bytes is not in server.properties.
  const messageMaxBytes = String(config.broker.messageMaxBytes);
  if (messageMaxBytes !== maxMessageBytesDefinition.defaultValue)
    configs.set("message.max.bytes", messageMaxBytes);
  return configs;
}

/** A cluster node's leader balance settings under Kafka's names (standalone has one replica per partition). */
function leaderBalanceStaticConfigs(config: ServerConfig): Array<[string, string]> {
  const balance = config.raft?.leaderBalance;
  if (balance === undefined) return [];
  return [
    ["auto.leader.rebalance.enable", String(balance.autoRebalance)],
    ["leader.imbalance.per.broker.percentage", String(balance.imbalancePercentPerBroker)],
    ["leader.imbalance.check.interval.seconds", String(balance.checkIntervalMs / 1000)],
  ];
}

/** The group coordinators' settings under Kafka's broker config names. */
function groupStaticConfigs({ classic, consumer }: ServerConfig["groups"]): Array<[string, string]> {
  const settings: Array<[string, number]> = [
    ["group.initial.rebalance.delay.ms", classic.initialRebalanceDelayMs],
    ["group.min.session.timeout.ms", classic.sessionTimeoutMsMin],
    ["group.max.session.timeout.ms", classic.sessionTimeoutMsMax],
    ["group.max.size", classic.groupMaxSize],
    ["group.consumer.heartbeat.interval.ms", consumer.heartbeatIntervalMs],
    ["group.consumer.min.heartbeat.interval.ms", consumer.heartbeatIntervalMsMin],
    ["group.consumer.max.heartbeat.interval.ms", consumer.heartbeatIntervalMsMax],
    ["group.consumer.session.timeout.ms", consumer.sessionTimeoutMs],
    ["group.consumer.min.session.timeout.ms", consumer.sessionTimeoutMsMin],
    ["group.consumer.max.session.timeout.ms", consumer.sessionTimeoutMsMax],
    ["group.consumer.max.size", consumer.groupMaxSize],
  ];
  return settings.map(([name, value]) => [name, String(value)]);
}

/** The node's one source of non-cryptographic randomness (election timeouts, leader picks, session ids). */
const prng = new Prng(crypto.getRandomValues(new Uint32Array(1))[0]!);

function randomTopicId(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toBase64({ alphabet: "base64url", omitPadding: true });
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = systemClock.monotonicMs() + timeoutMs;
  while (!condition()) {
    if (systemClock.monotonicMs() > deadline)
      throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

/** The node's logs and its Raft groups, one per hosted partition, all ticked by one GroupManager. */
export interface NodeRaft {
  logs: LogManager;
  manager: GroupManager;
  /** Every group's term, vote and membership, saved in batches (hard-state-journal.ts). */
  hardStates: HardStateJournal;
  /** Milliseconds per Raft tick (what the in-sync window is counted in). */
  tickMs: number;
  /** Runs work that opens many partitions with their directory fsyncs shared (storage/dir-sync-batch.ts). */
  batchOpens<T>(work: () => T): T;
  openGroup(
    topic: string,
    partition: number,
    options: {
      deliverCommittedEntries: boolean;
      /** The group's voters when it starts out (a partition's replicas); a restart keeps the stored ones. */
      voters: readonly number[];
      /** The metadata group: a data directory that remembers other voters refuses to start. */
      votersMustMatch?: boolean;
    } & Pick<ManagedGroupOptions, "onCommitted" | "onHighWatermark" | "onLeadership">,
  ): { group: RaftGroup; log: PartitionLog; logStarts: LogStartRecords; snapshots: PartitionLogStore };
  /** Stops every group, then closes the logs and the hard-state journal. */
  close(): Promise<void>;
}

export { StartupRefusal };

function checkStoredVoters(stored: readonly number[], given: readonly number[]): void {
  const same = stored.length === given.length && stored.every((id, index) => id === given[index]);
  if (same) return;
  throw new StartupRefusal(
    `this data directory belongs to a cluster whose voters are [${stored.join(",")}], but --peers and --node-id ` +
      `give [${given.join(",")}]: start with the same --peers on every node`,
  );
}

/** The voters of the metadata group: --peers and this node (standalone: this node alone), sorted. */
export function metadataVoters(config: ServerConfig): number[] {
  const peers = config.raft?.peers.map((peer) => peer.nodeId) ?? [];
  return [config.nodeId, ...peers].sort((a, b) => a - b);
}

/**
 * What a node's storage and Raft take from the world: time, timers, the file system and randomness. The
 * process passes the real ones (systemEnvironment); the whole-node simulator passes a ManualClock, a crashable
 * in-memory disk and a seeded PRNG, so one seed replays a run exactly.
 */
export interface NodeEnvironment {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly storageFs: StorageFs;
  /** A uniform integer in [0, bound): election timeouts. */
  readonly randomInt: (bound: number) => number;
  /** A bug planted in every Raft group, for the simulator to catch; never set by the process. */
  readonly testingOnlyBug?: RaftGroupTestingBug;
}

const systemEnvironment: NodeEnvironment = {
  clock: systemClock,
  scheduler: systemScheduler,
  storageFs: nodeStorageFs,
  randomInt: (bound) => prng.int(bound),
};

export function startStorageAndRaft(
  config: ServerConfig,
  logger: Logger,
  configFor: (topic: string) => LogConfig,
  transport: RaftTransport = { send: () => {}, onReceive: () => {} },
  rejoin?: Rejoin,
  env: NodeEnvironment = systemEnvironment,
): NodeRaft {
  const dirSyncs = dirSyncBatching(env.storageFs);
  const logs = new LogManager({
    dataDir: config.dataDir,
    storageFs: dirSyncs.storageFs,
    log: (line) => logger.warn(line, { component: "storage" }),
    configFor,
    clock: env.clock,
    scheduler: env.scheduler,
  });
  for (const failure of logs.openAll()) {
    logger.error("partition offline", {
      topic: failure.topic,
      partition: failure.partition,
      error: failure.error,
    });
  }
  logs.start();
  // One cleaner for every compacted log of the node, each replica cleaning its own copy (log-cleaner.ts).
  const cleaner = new LogCleaner({
    logs: () => logs.onlineLogs(),
    clock: env.clock,
    scheduler: env.scheduler,
    budget: {
      backoffMs: config.broker.logCleanerBackoffMs,
      ioBytesPerSecondMax: config.broker.logCleanerIoMaxBytesPerSecond,
    },
    logLine: (line) => logger.info(line, { component: "log-cleaner" }),
  });
  cleaner.start();
  const hardStates = HardStateJournal.open({
    dir: config.dataDir,
    storageFs: env.storageFs,
    logLine: (line) => logger.warn(line, { component: "raft" }),
  });
  const manager = new GroupManager({
    nodeId: config.nodeId,
    transport,
    tickIntervalMs: raftTiming(config).tickMs,
    scheduler: env.scheduler,
    clock: env.clock,
    logger: logger.with({ component: "raft" }),
    // Idle replicated groups go quiet; one node heartbeat per peer stands for them (raft/node/node-liveness.ts).
    ...(config.raft === null ? {} : { quiescence: raftTimings.cluster }),
  });
  return {
    logs,
    manager,
    hardStates,
    tickMs: raftTiming(config).tickMs,
    batchOpens: (work) => dirSyncs.batch(work),
    async close() {
      manager.stop();
      await cleaner.close();
      await logs.close();
      await hardStates.close();
    },
    openGroup(topic, partition, options) {
      const state = logs.open(topic, partition);
      if (state.kind === "offline") throw state.error;
      const membership: MembershipConfig = { voters: [...options.voters], learners: [] };
      const initial = { term: 0, votedFor: null, commitOffset: -1, config: membership };
      const groupId = partitionGroupId(topic, partition);
      const hardState = hardStates.store(groupId, {
        initial,
        // Where this version's predecessors kept it, read until the journal holds a newer state.
        fallback: new FileHardStateStore({
          path: join(state.log.dir, hardStateFileName),
          initial,
          storageFs: env.storageFs,
        }),
      });
      if (options.votersMustMatch) checkStoredVoters(hardState.load().config.voters, options.voters);
      const { electionTimeoutTicks, heartbeatIntervalTicks } = raftTiming(config);
      const raftConfig: RaftConfig = {
        ...raftConfigDefaults,
        electionTimeoutTicks,
        heartbeatIntervalTicks,
        id: config.nodeId,
        deliverCommittedEntries: options.deliverCommittedEntries,
        randomInt: env.randomInt,
      };
      // A sole voter has no follower to serve from memory, and a group that applies nothing (a data
      // partition) reads no committed entries back: its store keeps only the last batch, which Raft's own
      // look-ups need, instead of a megabyte of payload copies that outlive young-generation collections
      // and feed the full ones (bench/RESULTS.md).
      const soleVoter = options.voters.length === 1;
      const recentCache = options.deliverCommittedEntries || !soleVoter ? {} : { recentCountMax: 1 };
      const store = new PartitionLogStore({
        log: state.log,
        nodeId: config.nodeId,
        membership: () => membership,
        clock: env.clock,
        storageFs: env.storageFs,
        // A partition's replica brings its producer state to snapshots; the metadata log has none.
        snapshotStateAttached: !options.deliverCommittedEntries,
        ...recentCache,
      });
      // Over a new data directory, no group votes until the node knows it lost nothing (cluster/rejoin.ts).
      const abstaining = rejoin?.abstainsNewGroups === true;
      const group = manager.addGroup({
        groupId,
        config: raftConfig,
        store,
        hardState,
        abstaining,
        testingOnlyBug: env.testingOnlyBug,
        onCommitted: options.onCommitted,
        onHighWatermark: options.onHighWatermark,
        onLeadership: options.onLeadership,
      });
      if (abstaining) rejoin!.track(group);
      return { group, log: state.log, logStarts: store.logStarts, snapshots: store };
    },
  };
}

/** A RaftReplica per partition the metadata assigns here, opened and deleted as the metadata changes. */
function createReplicas(
  nodeId: number,
  raft: NodeRaft,
  logger: Logger,
  cluster: Pick<ClusterRuntime, "leaders" | "leadershipChanged"> | undefined,
): HostedReplicas {
  const isrLagTicksMax = Math.ceil(replicaLagTimeMsMax / raft.tickMs);
  // Retention is the partition leader's decision, replicated as a LOG_START record (raft-replica.ts); a log no
  // replica is open over (the metadata log, kept forever) keeps deciding for itself.
  const byGroupId = new Map<string, RaftReplica>();
  raft.logs.setRetention((topic, partition, log) => {
    const replica = byGroupId.get(partitionGroupId(topic, partition));
    if (replica === undefined) log.applyRetention();
    else replica.applyRetention();
  });
  const open = (topic: TopicMetadata, partition: number): HostedReplica => {
    let replica: RaftReplica | undefined;
    const replicas = topic.partitions[partition]!.replicas;
    const { group, log, logStarts, snapshots } = raft.openGroup(topic.name, partition, {
      deliverCommittedEntries: false,
      voters: replicas,
      onHighWatermark: (highWatermark) => replica?.onCommit(highWatermark),
      onLeadership: () => cluster?.leadershipChanged(),
    });
    replica = new RaftReplica(topic.topicId, topic.name, partition, group, log, {
      logLine: (line) => logger.warn(line, { topic: topic.name, partition }),
      logStarts,
      snapshots,
      wallMs: () => systemClock.wallMs(),
    });
    byGroupId.set(group.groupId, replica);
    group.start();
    // The preferred leader (the first replica) of a new partition campaigns at once, so leadership starts out
    // spread as the assignment spread it; the others wait for their election timeouts.
    if (replicas.length > 1 && replicas[0] === nodeId && group.term === 0) group.campaign();
    return Object.assign(replica, {
      stop: async () => {
        byGroupId.delete(group.groupId);
        raft.manager.removeGroup(group.groupId);
      },
      delete: async () => {
        byGroupId.delete(group.groupId);
        raft.manager.removeGroup(group.groupId);
        await raft.hardStates.forget(group.groupId);
        await raft.logs.remove(topic.name, partition);
        logger.info("deleted partition", { topic: topic.name, partition });
      },
      localLeadership: () => ({
        leaderId: group.leaderId,
        leaderEpoch: replica!.leaderEpoch(),
        isr: group.inSyncReplicas(isrLagTicksMax),
      }),
      followerLagOffsets: () => group.followerLagOffsets(),
      canTakeOver: (nodeId: number) => group.canTakeOver(nodeId),
      transferLeadership: (target: number) => group.transferLeadership(target),
    });
  };
  return new HostedReplicas({
    nodeId,
    open,
    logger,
    leaders: cluster?.leaders,
    monotonicMs: () => performance.now(),
  });
}

/** How often a node waiting for a metadata quorum says so. */
const quorumWaitLogIntervalMs = 10_000;

export interface MetadataStartOptions {
  /** Carries changes to the metadata leader (a cluster); absent standalone. */
  forward?: MetadataForwarder;
  logger: Logger;
  /** This node's incarnation, registered with the broker. */
  incarnationId: string;
  /** Told this node's registration once the metadata has caught up (a cluster node over a new directory). */
  rejoin?: Rejoin;
}

/**
 * Starts the metadata group, waits until it has a leader and this node has applied what that leader had
 * committed, then fills in what a fresh or moved node lacks (cluster id, its registration, __consumer_offsets).
 * Standalone leads at once; a cluster node waits (and says so every few seconds) until a quorum of its voters
 * is up, however long that takes. Exported with startStorageAndRaft for tests that write a data directory as an
 * older version would have.
 */
export async function startMetadata(
  config: ServerConfig,
  raft: NodeRaft,
  onApplied: (metadata: RaftMetadataService) => void,
  options: MetadataStartOptions = { logger: silentLogger, incarnationId: "" },
): Promise<RaftMetadataService> {
  let metadata: RaftMetadataService | undefined;
  const { group } = raft.openGroup(metadataTopicName, 0, {
    deliverCommittedEntries: true,
    voters: metadataVoters(config),
    votersMustMatch: true,
    onCommitted: (entries) => {
      metadata!.applyCommitted(entries);
      onApplied(metadata!);
    },
  });
  metadata = new RaftMetadataService({
    log: group,
    clock: systemClock,
    forward: options.forward,
    scheduler: systemScheduler,
  });
  raft.manager.start();
  group.start();
  if (config.raft === null) {
    await until(
      () => group.isLeader && group.highWatermark > group.lastOffset,
      metadataStartupMsMax,
      "electing the metadata leader and committing its log",
    );
  } else {
    await waitForQuorum(group, options.logger);
    await metadata.catchUpWithLeader();
  }
  await metadata.waitForApplied(group.commitOffset);
  // Before registering this incarnation: the metadata caught up says whether it replaces a lost one.
  options.rejoin?.decideFromMetadata(metadata.state.broker(config.nodeId));
  await metadata.execute((state) => ({
    ok: true,
    records: bootstrapRecords(state, {
      nodeId: config.nodeId,
      advertisedHost: config.advertisedHost,
      advertisedPort: config.advertisedPort,
      rack: config.rack,
      listeners: advertisedListeners(config),
      incarnationId: options.incarnationId,
      offsetsTopicName,
      offsetsPartitions: offsetsPartitionsDefault,
      offsetsReplicationFactor: defaultReplicationFactor(0, metadataVoters(config).length),
      newClusterId: randomTopicId,
      newTopicId: randomTopicId,
      randomIndex: (bound) => prng.int(bound),
    }),
  }));
  return metadata;
}

/** What this node registers: every listener at the address it advertises. */
function advertisedListeners(config: ServerConfig): BrokerListener[] {
  return config.listeners.map((listener) => ({
    name: listener.name,
    host: listener.advertisedHost,
    port: listener.advertisedPort,
    securityProtocol: listener.securityProtocol,
  }));
}

/**
 * A cluster node's metadata is usable once a leader is known: a follower knows one only from an append or a
 * heartbeat, which carried the commit offset; a leader once its term's first entry is committed (a virgin log
 * has none). Start-up's first change then catches this node up with the leader's state (a stale plan is planned
 * again after catching up: raft-metadata-service.ts).
 */
function hasQuorum(group: RaftGroup): boolean {
  if (group.leaderId === null) return false;
  return !group.isLeader || group.highWatermark > group.lastOffset;
}

async function waitForQuorum(group: RaftGroup, logger: Logger): Promise<void> {
  let nextLogMs = performance.now() + quorumWaitLogIntervalMs;
  while (!hasQuorum(group)) {
    if (performance.now() > nextLogMs) {
      logger.info("waiting for a metadata quorum", { voters: group.voters, term: group.term });
      nextLogMs = performance.now() + quorumWaitLogIntervalMs;
    }
    await Bun.sleep(20);
  }
}

function createGroupService(
  config: ServerConfig,
  replicas: HostedReplicas,
  metadata: RaftMetadataService,
  logger: Logger,
): GroupService {
  return new GroupService({
    offsetsPartitions: offsetsPartitionsDefault,
    replicaOf: (partition) => replicas.byName(offsetsTopicName, partition),
    config: {
      initialRebalanceDelayMs: config.groups.classic.initialRebalanceDelayMs,
      sessionTimeoutMsMin: config.groups.classic.sessionTimeoutMsMin,
      sessionTimeoutMsMax: config.groups.classic.sessionTimeoutMsMax,
      groupMaxSize: config.groups.classic.groupMaxSize,
    },
    consumerConfig: {
      heartbeatIntervalMs: config.groups.consumer.heartbeatIntervalMs,
      sessionTimeoutMs: config.groups.consumer.sessionTimeoutMs,
      groupMaxSize: config.groups.consumer.groupMaxSize,
    },
    consumerGroupConfig: (groupId) => consumerGroupSettingsOf(metadata.state.groupConfigs(groupId)),
    topics: (name) => {
      const topic = metadata.state.topicByName(name);
      return topic && { topicId: topic.topicId, partitionCount: topic.partitions.length };
    },
    newUuid: () => crypto.randomUUID(),
    clock: systemClock,
    scheduler: systemScheduler,
    logger: logger.with({ component: "groups" }),
  });
}

/** The transaction coordinators of the __transaction_state partitions led here (transaction-service.ts). */
function createTransactionService(
  replicas: HostedReplicas,
  metadata: RaftMetadataService,
  groups: GroupService,
  logger: Logger,
): TransactionService {
  return new TransactionService({
    partitions: transactionStatePartitionsDefault,
    transactionMaxTimeoutMs: transactionMaxTimeoutMsDefault,
    replicaOf: (partition) => replicas.byName(transactionStateTopicName, partition),
    replicaByName: (topic, partition) => replicas.byName(topic, partition),
    topicExists: (topic) => metadata.state.topicByName(topic) !== undefined,
    onOffsetsMarker: (partition, producerId, commit) =>
      groups.settleTransaction(partition, producerId, commit),
    offsetsPartitions: offsetsPartitionsDefault,
    createTopic: async () => {
      const result = await metadata.execute((state) => ({
        ok: true,
        records: transactionStateTopicRecords(state, {
          partitions: transactionStatePartitionsDefault,
          newTopicId: randomTopicId,
          randomIndex: (bound) => prng.int(bound),
        }),
      }));
      if (!result.ok) throw new Error(result.message);
    },
    clock: systemClock,
    scheduler: systemScheduler,
    logger: logger.with({ component: "transactions" }),
  });
}

function brokerContext(
  config: ServerConfig,
  parts: {
    metadata: RaftMetadataService;
    metadataGroup: RaftGroup;
    replicas: HostedReplicas;
    elections: PreferredLeaders;
    brokerStatic: BrokerStaticConfigs;
    logger: Logger;
  },
): BrokerContext {
  return {
    nodeId: config.nodeId,
    metadata: parts.metadata,
    controllerId: () => parts.metadataGroup.leaderId ?? -1,
    fetchFromFollowers: config.fetchFromFollowers,
    partitions: parts.replicas,
    replicas: parts.replicas,
    leaderElections: parts.elections,
    defaults: {
      numPartitions: config.broker.numPartitions,
      replicationFactor: config.broker.defaultReplicationFactor,
      autoCreateTopics: config.broker.autoCreateTopics,
    },
    brokerStatic: parts.brokerStatic,
    newTopicId: randomTopicId,
    randomIndex: (bound) => prng.int(bound),
    logger: parts.logger.with({ component: "broker" }),
  };
}

export async function startBrokerNode(config: ServerConfig, deps: BrokerNodeDeps): Promise<BrokerNode> {
  const { logger } = deps;
  const voters = metadataVoters(config);
  const identity = loadNodeIdentity({
    dataDir: config.dataDir,
    nodeId: config.nodeId,
    storageFs: nodeStorageFs,
    newIncarnationId: () => crypto.randomUUID(),
  });
  const cluster =
    config.raft === null ? undefined : startClusterRuntime(config, voters, identity, logger, deps.metrics);
  // The metadata as last applied, start-up's replay included: the logs' topic configs are read from it.
  let applied: RaftMetadataService | undefined;
  // Static settings under the dynamic ones of the metadata as last applied: every reader of broker defaults sees
  // a dynamic change as soon as it is applied.
  const brokerStatic = new LayeredBrokerConfigs(
    brokerStaticConfigs(config),
    config.nodeId,
    () => applied?.state,
  );
  const raft = startStorageAndRaft(
    config,
    logger,
    (topic) => logConfigFor(topic, applied?.state.topicByName(topic)?.configs ?? new Map(), brokerStatic),
    cluster?.transport,
    cluster?.rejoin,
  );
  cluster?.hostGroups(raft.manager);
  const replicas = createReplicas(config.nodeId, raft, logger, cluster);
  const topicConfigs = new TopicConfigFollower((topic, partitions) =>
    raft.logs.reconfigure(topic, partitions),
  );
  const deletedPartitions = new DeletedPartitionsFollower();
  // A dynamic broker default changes the config of every log that does not override it.
  const brokerConfigFollower = new BrokerConfigFollower(config.nodeId, () => {
    for (const topic of applied?.state.topics() ?? [])
      raft.logs.reconfigure(topic.name, topic.partitions.length);
  });
  let groups: GroupService | undefined;
  const follow = (service: RaftMetadataService) => {
    applied = service;
    raft.batchOpens(() => replicas.reconcile(service.state));
    topicConfigs.follow(service.state);
    brokerConfigFollower.follow(service.state);
    // Runs in the turn that applied the records, before any request sees them: GroupService.onPartitionsDeleted
    // relies on it. Deletions replayed at start-up (no group service yet) had their tombstones written before.
    const deleted = deletedPartitions.follow(service.state);
    groups?.onPartitionsDeleted(deleted);
  };
  const starting = startMetadata(config, raft, follow, {
    forward: cluster?.forward,
    logger,
    incarnationId: identity.incarnationId,
    rejoin: cluster?.rejoin,
  });
  let metadata: RaftMetadataService;
  try {
    metadata = cluster === undefined ? await starting : await Promise.race([starting, cluster.refused]);
  } catch (error) {
    await cluster?.stop();
    await raft.close();
    throw error;
  }
  // A peer that disagrees on the voters and is first heard after start-up refuses itself; here it is logged.
  cluster?.refused.catch((error: Error) => logger.error(error.message));
  follow(metadata);
  cluster?.rejoin.startupComplete();
  const metadataGroup = raft.manager.group(partitionGroupId(metadataTopicName, 0))!;
  const elections = new PreferredLeaders({
    nodeId: config.nodeId,
    metadata,
    replicas,
    forward: cluster?.electPreferred,
    logger: logger.with({ component: "leaders" }),
  });
  cluster?.attach({ metadata, metadataGroup, replicas, elections });
  registerPartitionMetrics(deps.metrics, () => replicas.all());
  registerQuiescenceMetrics(deps.metrics, raft.manager);
  logger.info("metadata ready", {
    clusterId: metadata.state.clusterId,
    topics: [...metadata.state.topics()].length,
    partitionsHosted: replicas.size,
  });
  if (config.security.saslUsersFile !== null)
    await seedSaslUsers(config.security.saslUsersFile, metadata, logger);
  const groupService = createGroupService(config, replicas, metadata, logger);
  groups = groupService;
  const context = brokerContext(config, {
    metadata,
    metadataGroup,
    replicas,
    elections,
    brokerStatic,
    logger,
  });
  // Markers reach only partitions led on this node until the cluster RPC carries them: a cluster does not
  // coordinate transactions yet (InitProducerId with a transactional id is refused there, as before).
  const transactions =
    config.raft === null ? createTransactionService(replicas, metadata, groupService, logger) : undefined;
  const { listeners, stopWatching } = startKafkaListeners(
    config,
    context,
    { groups: groupService, transactions },
    deps,
    metadataQuorum(metadataGroup),
  );
  const metadataStatus = () => ({
    role: metadataGroup.role,
    term: metadataGroup.term,
    controllerId: metadataGroup.leaderId ?? -1,
  });
  return {
    kafkaPort: listeners[0]!.port,
    listeners,
    cluster,
    metadataStatus,
    admin: {
      context,
      groups: groupService,
      metadataStatus,
      probePeers: (timeoutMs) => cluster?.probePeers(timeoutMs) ?? Promise.resolve([]),
      version: chronikVersion,
      clock: systemClock,
      scheduler: systemScheduler,
    },
    async stop() {
      stopWatching();
      await Promise.all(listeners.map((listener) => listener.stop()));
      transactions?.close();
      groupService.close();
      await cluster?.stop();
      await replicas.stopAll();
      await raft.close();
    },
  };
}

/** The metadata group as DescribeQuorum reads it: a follower's log end offset is its match offset plus one. */
function metadataQuorum(group: RaftGroup): MetadataQuorum {
  return {
    get isLeader() {
      return group.isLeader;
    },
    get leaderId() {
      return group.leaderId;
    },
    get term() {
      return group.term;
    },
    get highWatermark() {
      return group.highWatermark;
    },
    get voters() {
      return group.voters;
    },
    logEndOffset(nodeId) {
      const logEnd = group.lastOffset + 1;
      if (nodeId === group.nodeId) return logEnd;
      const lag = group.followerLagOffsets().get(nodeId);
      return lag === undefined ? -1 : logEnd - lag;
    },
    wallMs: () => systemClock.wallMs(),
  };
}

function startupTlsOptions(files: NonNullable<ServerConfig["security"]["tls"]>): Bun.TLSOptions {
  try {
    return loadTlsOptions(files);
  } catch (error) {
    throw new StartupRefusal(`--tls-cert/--tls-key/--tls-client-ca: ${(error as Error).message}`);
  }
}

/** One Kafka listener per configured one, all serving the same handlers. */
function startKafkaListeners(
  config: ServerConfig,
  context: BrokerContext,
  { groups, transactions }: { groups: GroupService; transactions: TransactionService | undefined },
  deps: BrokerNodeDeps,
  quorum: MetadataQuorum,
): { listeners: KafkaListener[]; stopWatching: () => void } {
  const time = { clock: systemClock, scheduler: systemScheduler };
  const authorizer = requestAuthorizer(config.authorization, () => context.metadata.state.acls);
  if (authorizer.enabled) {
    deps.logger.info("ACLs enforced", {
      superUsers: config.authorization.superUsers,
      allowEveryoneIfNoAclFound: config.authorization.allowEveryoneIfNoAclFound,
    });
  }
  const saslListeners = config.listeners.filter((listener) => usesSasl(listener.securityProtocol));
  const sasl = new SaslAuthenticator({
    saslListeners: new Set(saslListeners.map((listener) => listener.name)),
    credentials: (user, mechanism) => context.metadata.state.scramCredential(user, mechanism),
    reauthMsMax: config.security.reauthMsMax,
    clock: systemClock,
    logger: deps.logger.with({ component: "sasl" }),
  });
  const handlers = handlerRegistry(
    securedHandlers(
      [
        ...allHandlers({
          context,
          groups,
          transactions,
          fetchSessions: new FetchSessionCache(defaultFetchSessionLimits, () => 1 + prng.int(0x7ffffffe)),
          producerIds: new ProducerIdAllocator(context.metadata),
          logDir: {
            logDir: resolve(config.dataDir),
            totalBytes: () => {
              const space = statfsSync(config.dataDir);
              return space.blocks * space.bsize;
            },
            usableBytes: () => {
              const space = statfsSync(config.dataDir);
              return space.bavail * space.bsize;
            },
          },
          time,
          quorum,
        }),
        saslHandshakeHandler(sasl),
        saslAuthenticateHandler(sasl),
        describeUserScramCredentialsHandler(context),
        alterUserScramCredentialsHandler(context),
      ],
      { authorizer, broker: context },
    ),
  );
  const dispatcher = new RequestDispatcher({
    registry: handlers,
    logger: deps.logger,
    metrics: deps.metrics,
    clock: systemClock,
    quotas: new ClientQuotaEnforcer({ clock: systemClock, state: () => context.metadata.state }),
  });
  const metrics = createConnectionMetrics(deps.metrics);
  const started: KafkaListener[] = [];
  const tlsFiles = config.security.tls;
  const tls = tlsFiles === null ? undefined : startupTlsOptions(tlsFiles);
  try {
    for (const listener of config.listeners) {
      started.push(
        startListener({
          listenerName: listener.name,
          ...(usesTls(listener.securityProtocol) ? { tls } : {}),
          hostname: listener.bindHost,
          port: listener.port,
          dispatcher: usesSasl(listener.securityProtocol) ? saslGate(dispatcher, sasl) : dispatcher,
          logger: deps.logger.with({ component: "kafka" }),
          metrics,
          ...time,
          onBug: exitOnBug(deps.logger),
        }),
      );
    }
  } catch (error) {
    for (const listener of started) void listener.stop({ drainMs: 0 });
    throw error;
  }
  const tlsListeners = started.filter((_, index) => usesTls(config.listeners[index]!.securityProtocol));
  const stopWatching =
    tlsFiles === null || tlsListeners.length === 0
      ? () => {}
      : watchTlsFiles(
          tlsFiles,
          (options) => {
            for (const listener of tlsListeners) listener.reloadTls(options);
          },
          {
            scheduler: systemScheduler,
            logger: deps.logger,
          },
        );
  return { listeners: started, stopWatching };
}
