// What a raft-cluster node runs beside its Raft groups: the peer server on --raft-addr (the Raft transport and
// the cluster service), a client per peer, and the node's duties towards the others — checking at start that
// every peer was given the same voters, heartbeating to the controller, fencing silent brokers while it is the
// controller, and telling every peer which partitions it leads (the leaders table, partition-leaders.ts).

import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Logger } from "../base/logger.ts";
import type { MetricsRegistry } from "../base/metrics.ts";
import { ClusterPeers, type ClusterServiceHandlers, clusterServiceImpl } from "../cluster/cluster-rpc.ts";
import type { HostedReplicas } from "../cluster/hosted-replicas.ts";
import { BrokerLiveness } from "../cluster/metadata/broker-liveness.ts";
import type { MetadataForwarder, RaftMetadataService } from "../cluster/metadata/raft-metadata-service.ts";
import { PartitionLeaders } from "../cluster/partition-leaders.ts";
import { Rejoin } from "../cluster/rejoin.ts";
import { ClusterService } from "../gen/chronik/cluster/v1/cluster_pb.ts";
import type { GroupManager, RaftGroup } from "../raft/node/index.ts";
import type { RaftTransport } from "../raft/node/transport.ts";
import { ConnectRaftTransport, type RaftServer, startRaftServer } from "../raft/transport/index.ts";
import { exitOnBug } from "./exit-on-bug.ts";
import type { NodeIdentity } from "./node-identity.ts";
import { createRaftTransportMetrics } from "./raft-transport-metrics.ts";
import type { ServerConfig } from "./server-config.ts";
import { StartupRefusal } from "./startup-refusal.ts";
import { systemScheduler } from "./system-time.ts";

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

export interface ClusterRuntime {
  readonly transport: RaftTransport;
  readonly leaders: PartitionLeaders;
  readonly forward: MetadataForwarder;
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
  /** Starts the node's duties once its metadata and replicas exist. */
  attach(parts: ClusterParts): void;
  /** A replica's leadership changed: report soon. */
  leadershipChanged(): void;
  stop(): Promise<void>;
}

export interface ClusterParts {
  readonly metadata: RaftMetadataService;
  readonly metadataGroup: RaftGroup;
  readonly replicas: HostedReplicas;
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
    // New before this process and not rejoining: a cluster starting for the first time (cluster/rejoin.ts).
    fresh: () => parts === undefined && nodeIdentity.fresh && rejoin?.rejoining !== true,
    registeredIncarnation: (nodeId: number) => {
      if (parts === undefined) return null;
      const broker = parts.metadata.state.broker(nodeId);
      // A registration without an incarnation cannot vouch that the asker is the same incarnation.
      return broker === undefined ? "" : (broker.incarnationId ?? incarnationNotRecorded);
    },
  };
  const leaders = new PartitionLeaders(leadersReportTtlMs);
  const liveness = new BrokerLiveness(brokerSessionTimeoutMs);
  const baseUrls = new Map(raftConfig.peers.map((peer) => [peer.nodeId, `http://${peer.host}:${peer.port}`]));
  const peers = new ClusterPeers(
    identity,
    new Map(
      [...baseUrls].map(([nodeId, baseUrl]) => [
        nodeId,
        createClient(ClusterService, createConnectTransport({ httpVersion: "1.1", baseUrl })),
      ]),
    ),
  );
  const transportMetrics = createRaftTransportMetrics(metrics);
  const raftTransport = new ConnectRaftTransport({
    nodeId: config.nodeId,
    peers: raftConfig.peers,
    clusterId: () => identity.clusterId() ?? "",
    logger: log,
    onCallCompleted: (peer, outcome) => transportMetrics.onCallCompleted(peer, outcome),
  });
  const handlers: ClusterServiceHandlers = {
    forwardMetadata: (request) =>
      parts?.metadata.acceptForwarded(request) ??
      Promise.resolve({ outcome: "notLeader" as const, leaderId: -1 }),
    brokerHeartbeat: (fromNodeId) => {
      if (!parts?.metadataGroup.isLeader) return false;
      liveness.heard(fromNodeId, performance.now());
      return true;
    },
    reportLeaders: (fromNodeId, reports) => leaders.received(fromNodeId, reports, performance.now()),
    group: (groupId) => groups?.group(groupId),
  };
  const server: RaftServer = startRaftServer({
    host: raftConfig.bindHost,
    port: raftConfig.port,
    receiver: raftTransport,
    logger: log,
    services: [(router) => router.service(ClusterService, clusterServiceImpl(identity, handlers, log))],
    onBug: exitOnBug(log),
  });
  transportMetrics.collectFrom({ peers: () => raftTransport.stats(), server: () => server.stats });

  const timers: Array<ReturnType<typeof setInterval>> = [];
  let stopped = false;
  const refused = checkPeersAgree(peers, voters, log, () => stopped);
  rejoin = new Rejoin({
    nodeId: config.nodeId,
    voters,
    incarnationId: nodeIdentity.incarnationId,
    fresh: nodeIdentity.fresh,
    hello: (peerId) => peers.hello(peerId),
    groupTerms: (peerId, groupIds) => peers.groupTerms(peerId, groupIds),
    scheduler: systemScheduler,
    logger: log,
  });
  rejoin.start();

  // ---- duties ------------------------------------------------------------------------------------------
  let reportTimer: ReturnType<typeof setTimeout> | undefined;
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
    const nowMs = performance.now();
    liveness.heard(config.nodeId, nowMs);
    if (!controllerSince) {
      controllerSince = true;
      liveness.reset(metadata.state, nowMs);
      return;
    }
    if (livenessChangeInFlight || liveness.changes(metadata.state, nowMs).length === 0) return;
    livenessChangeInFlight = true;
    metadata
      .execute((state) => ({ ok: true, records: liveness.changes(state, performance.now()) }))
      .then((result) => {
        if (result.ok && result.records.length > 0)
          log.info("broker liveness changed", { records: result.records });
      })
      .catch((error) => log.warn("fencing brokers failed", { error }))
      .finally(() => {
        livenessChangeInFlight = false;
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
    attach(attached) {
      parts = attached;
      timers.push(setInterval(heartbeat, brokerHeartbeatIntervalMs));
      timers.push(setInterval(checkLiveness, livenessCheckIntervalMs));
      timers.push(setInterval(reportLeaders, leadersReportIntervalMs));
      heartbeat();
      reportLeaders();
    },
    leadershipChanged() {
      if (reportTimer === undefined && !stopped)
        reportTimer = setTimeout(reportLeaders, leadersReportDebounceMs);
    },
    async stop() {
      stopped = true;
      rejoin?.stop();
      for (const timer of timers) clearInterval(timer);
      if (reportTimer !== undefined) clearTimeout(reportTimer);
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
  logger: Logger,
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
          () => setTimeout(ask, helloRetryMs),
        );
      };
      ask();
    }
    void logger;
  });
}
