// What a raft-cluster node runs beside its Raft groups: the peer server on --raft-addr (the Raft transport and
// the cluster service), a client per peer, and the node's duties towards the others — checking at start that
// every peer was given the same voters, heartbeating to the controller, fencing silent brokers while it is the
// controller, telling every peer which partitions it leads (the leaders table, partition-leaders.ts), and
// handing the partitions it leads back to their preferred replicas (leader-balance.ts).

import type { Interceptor } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Cancel } from "../base/clock.ts";
import type { Logger } from "../base/logger.ts";
import type { MetricsRegistry } from "../base/metrics.ts";
import { ClusterPeers, type ClusterServiceHandlers, clusterServiceImpl } from "../cluster/cluster-rpc.ts";
import type { HostedReplicas } from "../cluster/hosted-replicas.ts";
import { BrokerLiveness } from "../cluster/metadata/broker-liveness.ts";
import type { MetadataForwarder, RaftMetadataService } from "../cluster/metadata/raft-metadata-service.ts";
import { PartitionLeaders } from "../cluster/partition-leaders.ts";
import type { ElectionAnswer, ElectionRequest, PreferredLeaders } from "../cluster/preferred-leaders.ts";
import { Rejoin } from "../cluster/rejoin.ts";
import { ClusterService } from "../gen/chronik/cluster/v1/cluster_pb.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import type { GroupManager, RaftGroup } from "../raft/node/index.ts";
import type { RaftTransport } from "../raft/node/transport.ts";
import { clusterSecretHeader } from "../raft/transport/cluster-secret.ts";
import { ConnectRaftTransport, type RaftServer, startRaftServer } from "../raft/transport/index.ts";
import { exitOnBug } from "./exit-on-bug.ts";
import type { NodeIdentity } from "./node-identity.ts";
import { createRaftTransportMetrics } from "./raft-transport-metrics.ts";
import type { ServerConfig } from "./server-config.ts";
import { StartupRefusal } from "./startup-refusal.ts";
import { systemClock, systemScheduler } from "./system-time.ts";
import { chronikVersion } from "./version.ts";

/** Kafka's broker.heartbeat.interval.ms. */
const brokerHeartbeatIntervalMs = 1_000;
/** Kafka's broker.session.timeout.ms: a broker silent this long is fenced. */
const brokerSessionTimeoutMs = 9_000;
/** How often the controller looks for brokers to fence or unfence. */
const livenessCheckIntervalMs = 1_000;
/** How often a node tells every peer what it leads, besides right after a change. */
const leadersReportIntervalMs = 1_000;
/** How long a node's report counts without a newer one: a few missed reports, not one. */
const leadersReportTtlMs = 5 * leadersReportIntervalMs;
/** Pause after a change of leadership before reporting, so a burst of elections makes one report. */
const leadersReportDebounceMs = 20;
/** How often start-up asks a silent peer which voters it was given. */
const helloRetryMs = 1_000;
/** Leadership transfers one imbalance check starts at most (KRaft's maxElectionsPerImbalance). */
const leaderTransfersPerCheckMax = 1_000;

export interface ClusterRuntime {
  readonly transport: RaftTransport;
  readonly leaders: PartitionLeaders;
  readonly forward: MetadataForwarder;
  /** Asks node `leaderId` to hand a partition it leads to its preferred replica (PreferredLeaders.forward). */
  readonly electPreferred: (leaderId: number, request: ElectionRequest) => Promise<ElectionAnswer>;
  /** Rejects with a StartupRefusal when a peer was started with other voters (start-up races with it). */
  readonly refused: Promise<never>;
  readonly peerPort: number;
  /** Per-peer counters of the Raft transport, for /metrics. */
  readonly raftTransport: ConnectRaftTransport;
  /** Whether this node over a new data directory may vote yet, group by group (cluster/rejoin.ts). */
  readonly rejoin: Rejoin;
  /** The groups whose terms peers may ask for (GroupTerms), once they exist. */
  hostGroups(manager: GroupManager): void;
  /** The voters and this node's view of each peer's reachability (the admin status). */
  peerStatus(): Array<{ nodeId: number; address: string; reachable: boolean }>;
  /** Asks every peer who it is now (the admin API's cluster view): unreachable ones within `timeoutMs`. */
  probePeers(timeoutMs: number): Promise<PeerProbe[]>;
  /** Starts the node's duties once its metadata and replicas exist. */
  attach(parts: ClusterParts): void;
  /** A replica's leadership changed: report soon. */
  leadershipChanged(): void;
  stop(): Promise<void>;
}

export interface PeerProbe {
  nodeId: number;
  reachable: boolean;
  /** Empty when the peer did not answer. */
  version: string;
}

export interface ClusterParts {
  readonly metadata: RaftMetadataService;
  readonly metadataGroup: RaftGroup;
  readonly replicas: HostedReplicas;
  readonly elections: PreferredLeaders;
}

/** How a node registered before incarnations were recorded is named to a node asking about itself. */
const incarnationNotRecorded = "(registered before incarnations were recorded)";

export function startClusterRuntime(
  config: ServerConfig,
  voters: readonly number[],
  nodeIdentity: NodeIdentity,
  logger: Logger,
  metrics: MetricsRegistry,
): ClusterRuntime {
  const raftConfig = config.raft;
  if (raftConfig === null) throw new Error("startClusterRuntime needs raft-cluster settings");
  const log = logger.with({ component: "cluster" });
  let parts: ClusterParts | undefined;
  let groups: GroupManager | undefined;
  let rejoin: Rejoin | undefined;
  const identity = {
    nodeId: config.nodeId,
    voters,
    incarnationId: nodeIdentity.incarnationId,
    clusterId: () => parts?.metadata.state.clusterId ?? null,
    version: chronikVersion,
    // New before this process and not rejoining: a cluster starting for the first time (cluster/rejoin.ts).
    fresh: () => parts === undefined && nodeIdentity.phase === "new" && rejoin?.rejoining !== true,
    registeredIncarnation: (nodeId: number) => {
      if (parts === undefined) return null;
      const broker = parts.metadata.state.broker(nodeId);
      // A registration without an incarnation cannot vouch that the asker is the same incarnation.
      return broker === undefined ? "" : (broker.incarnationId ?? incarnationNotRecorded);
    },
  };
  const leaders = new PartitionLeaders(leadersReportTtlMs);
  const liveness = new BrokerLiveness(brokerSessionTimeoutMs);
  const secret = config.security.clusterSecret;
  const secretInterceptors: Interceptor[] =
    secret === null
      ? []
      : [
          (next) => (request) => {
            request.header.set(clusterSecretHeader, secret);
            return next(request);
          },
        ];
  const baseUrls = new Map(raftConfig.peers.map((peer) => [peer.nodeId, `http://${peer.host}:${peer.port}`]));
  const peers = new ClusterPeers(
    identity,
    new Map(
      [...baseUrls].map(([nodeId, baseUrl]) => [
        nodeId,
        createClient(
          ClusterService,
          createConnectTransport({ httpVersion: "1.1", baseUrl, interceptors: secretInterceptors }),
        ),
      ]),
    ),
  );
  const transportMetrics = createRaftTransportMetrics(metrics);
  const raftTransport = new ConnectRaftTransport({
    nodeId: config.nodeId,
    peers: raftConfig.peers,
    clusterId: () => identity.clusterId() ?? "",
    logger: log,
    clusterSecret: secret,
    onCallCompleted: (peer, outcome) => transportMetrics.onCallCompleted(peer, outcome),
  });
  const handlers: ClusterServiceHandlers = {
    forwardMetadata: (fromNodeId, request) => {
      // A broker that plans a change is alive: a restarting one unfences itself this way, a moment before its
      // first heartbeat, and must not be fenced again in between.
      if (parts?.metadataGroup.isLeader) liveness.heard(fromNodeId, systemClock.monotonicMs());
      return (
        parts?.metadata.acceptForwarded(request) ??
        Promise.resolve({ outcome: "notLeader" as const, leaderId: -1 })
      );
    },
    brokerHeartbeat: (fromNodeId) => {
      if (!parts?.metadataGroup.isLeader) return false;
      liveness.heard(fromNodeId, systemClock.monotonicMs());
      return true;
    },
    reportLeaders: (fromNodeId, reports) => leaders.received(fromNodeId, reports, systemClock.monotonicMs()),
    electPreferredLeader: (topicId, partition) =>
      parts?.elections.electHere(topicId, partition) ??
      Promise.resolve({ errorCode: ErrorCode.NotLeaderOrFollower, errorMessage: "this node is starting" }),
    group: (groupId) => groups?.group(groupId),
  };
  const server: RaftServer = startRaftServer({
    host: raftConfig.bindHost,
    port: raftConfig.port,
    receiver: raftTransport,
    logger: log,
    services: [(router) => router.service(ClusterService, clusterServiceImpl(identity, handlers, log))],
    clusterSecret: secret,
    onBug: exitOnBug(log),
  });
  transportMetrics.collectFrom({ peers: () => raftTransport.stats(), server: () => server.stats });

  const cancels: Cancel[] = [];
  let stopped = false;
  const refused = checkPeersAgree(peers, voters, () => stopped);
  rejoin = new Rejoin({
    nodeId: config.nodeId,
    voters,
    incarnationId: nodeIdentity.incarnationId,
    phase: nodeIdentity.phase,
    savePhase: (phase) => nodeIdentity.save(phase),
    hello: (peerId) => peers.hello(peerId),
    groupTerms: (peerId, groupIds) => peers.groupTerms(peerId, groupIds),
    scheduler: systemScheduler,
    logger: log,
  });
  rejoin.start();

  // ---- duties ------------------------------------------------------------------------------------------
  let reportTimer: Cancel | undefined;
  const reportLeaders = (): void => {
    reportTimer = undefined;
    if (parts === undefined || stopped) return;
    const ledHere = parts.replicas.ledHere();
    for (const peerId of peers.peerIds) {
      peers.reportLeaders(peerId, ledHere).catch(() => {});
    }
  };
  let controllerSince = false;
  let livenessChangeInFlight = false;
  const checkLiveness = (): void => {
    if (parts === undefined) return;
    const { metadata, metadataGroup } = parts;
    if (!metadataGroup.isLeader) {
      controllerSince = false;
      return;
    }
    const nowMs = systemClock.monotonicMs();
    liveness.heard(config.nodeId, nowMs);
    if (!controllerSince) {
      controllerSince = true;
      liveness.reset(metadata.state, nowMs);
      return;
    }
    if (livenessChangeInFlight || liveness.changes(metadata.state, nowMs).length === 0) return;
    livenessChangeInFlight = true;
    metadata
      .execute((state) => ({ ok: true, records: liveness.changes(state, systemClock.monotonicMs()) }))
      .then((result) => {
        if (result.ok && result.records.length > 0)
          log.info("broker liveness changed", { records: result.records });
      })
      .catch((error) => log.warn("fencing brokers failed", { error }))
      .finally(() => {
        livenessChangeInFlight = false;
      });
  };
  const balance = raftConfig.leaderBalance;
  const checkLeaderBalance = (): void => {
    if (parts === undefined || stopped) return;
    parts.elections.checkBalance({
      imbalancePercentPerBroker: balance.imbalancePercentPerBroker,
      transfersMax: leaderTransfersPerCheckMax,
    });
  };
  const heartbeat = (): void => {
    if (parts === undefined) return;
    const controllerId = parts.metadataGroup.leaderId;
    if (controllerId === null || controllerId === config.nodeId) return;
    peers.brokerHeartbeat(controllerId).catch(() => {});
  };

  return {
    transport: raftTransport,
    leaders,
    forward: (leaderId, request) => peers.forwardMetadata(leaderId, request),
    electPreferred: (leaderId, request) => peers.electPreferredLeader(leaderId, request),
    refused,
    peerPort: server.port,
    raftTransport,
    rejoin,
    hostGroups(manager) {
      groups = manager;
    },
    peerStatus: () =>
      raftConfig.peers.map((peer) => ({
        nodeId: peer.nodeId,
        address: `${peer.host}:${peer.port}`,
        reachable:
          raftTransport.stats().find((stats) => stats.peerNodeId === peer.nodeId)?.reachable ?? false,
      })),
    probePeers: (timeoutMs) =>
      Promise.all(
        peers.peerIds.map((nodeId) =>
          peers.hello(nodeId, timeoutMs).then(
            (answer) => ({ nodeId, reachable: true, version: answer.version }),
            () => ({ nodeId, reachable: false, version: "" }),
          ),
        ),
      ),
    attach(attached) {
      parts = attached;
      cancels.push(systemScheduler.setInterval(heartbeat, brokerHeartbeatIntervalMs));
      cancels.push(systemScheduler.setInterval(checkLiveness, livenessCheckIntervalMs));
      cancels.push(systemScheduler.setInterval(reportLeaders, leadersReportIntervalMs));
      if (balance.autoRebalance)
        cancels.push(systemScheduler.setInterval(checkLeaderBalance, balance.checkIntervalMs));
      heartbeat();
      reportLeaders();
    },
    leadershipChanged() {
      if (reportTimer === undefined && !stopped)
        reportTimer = systemScheduler.setTimeout(reportLeaders, leadersReportDebounceMs);
    },
    async stop() {
      stopped = true;
      rejoin?.stop();
      for (const cancel of cancels) cancel();
      reportTimer?.();
      raftTransport.stop();
      await server.stop();
    },
  };
}

/**
 * Asks every peer which voters it was given, until each has answered once. A peer with other voters makes this
 * node refuse to start: two nodes that disagree on the voters could each count a different majority.
 */
function checkPeersAgree(
  peers: ClusterPeers,
  voters: readonly number[],
  stopped: () => boolean,
): Promise<never> {
  return new Promise<never>((_, reject) => {
    for (const peerId of peers.peerIds) {
      const ask = (): void => {
        if (stopped()) return;
        peers.hello(peerId).then(
          (answer) => {
            const theirs = [...answer.voters].sort((a, b) => a - b);
            const same = theirs.length === voters.length && theirs.every((id, index) => id === voters[index]);
            if (same) return;
            reject(
              new StartupRefusal(
                `node ${peerId} was started with voters [${theirs.join(",")}], this node with ` +
                  `[${voters.join(",")}]: every node needs the same --peers (plus itself)`,
              ),
            );
          },
          () => systemScheduler.setTimeout(ask, helloRetryMs),
        );
      };
      ask();
    }
  });
}
