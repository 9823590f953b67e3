// The Kafka API handlers, one file per API (or per pair that shares its logic), and the full list a broker
// serves.

import type { Clock, Scheduler } from "../../base/clock.ts";
import type { GroupService } from "../../cluster/group-service.ts";
import type { ProducerIdAllocator } from "../../cluster/producer-ids.ts";
import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
import type { AnyApiHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { FetchSessionCache } from "../fetch-sessions.ts";
import { HandlerRegistry } from "../handler-registry.ts";
import { addOffsetsToTxnHandler } from "./add-offsets-to-txn.ts";
import { addPartitionsToTxnHandler } from "./add-partitions-to-txn.ts";
import { alterConfigsHandler, incrementalAlterConfigsHandler } from "./alter-configs.ts";
import { alterReplicaLogDirsHandler } from "./alter-replica-log-dirs.ts";
import { apiVersionsHandler } from "./api-versions.ts";
import { alterClientQuotasHandler, describeClientQuotasHandler } from "./client-quotas.ts";
import {
  getTelemetrySubscriptionsHandler,
  listClientMetricsResourcesHandler,
  pushTelemetryHandler,
} from "./client-telemetry.ts";
import { consumerGroupDescribeHandler } from "./consumer-group-describe.ts";
import { consumerGroupHeartbeatHandler } from "./consumer-group-heartbeat.ts";
import { createPartitionsHandler } from "./create-partitions.ts";
import { createTopicsHandler } from "./create-topics.ts";
import { deleteGroupsHandler } from "./delete-groups.ts";
import { deleteRecordsHandler } from "./delete-records.ts";
import { deleteTopicsHandler } from "./delete-topics.ts";
import { describeClusterHandler } from "./describe-cluster.ts";
import { describeConfigsHandler } from "./describe-configs.ts";
import { describeGroupsHandler } from "./describe-groups.ts";
import { describeLogDirsHandler, type LogDirUsage } from "./describe-log-dirs.ts";
import { describeProducersHandler } from "./describe-producers.ts";
import { describeQuorumHandler, type MetadataQuorum } from "./describe-quorum.ts";
import { describeTopicPartitionsHandler } from "./describe-topic-partitions.ts";
import { describeTransactionsHandler, listTransactionsHandler } from "./describe-transactions.ts";
import { electLeadersHandler } from "./elect-leaders.ts";
import { endTxnHandler } from "./end-txn.ts";
import { fetchHandler } from "./fetch.ts";
import { findCoordinatorHandler } from "./find-coordinator.ts";
import { heartbeatHandler } from "./heartbeat.ts";
import { initProducerIdHandler } from "./init-producer-id.ts";
import { joinGroupHandler } from "./join-group.ts";
import { leaveGroupHandler } from "./leave-group.ts";
import { listGroupsHandler } from "./list-groups.ts";
import { listOffsetsHandler } from "./list-offsets.ts";
import { metadataHandler } from "./metadata.ts";
import { offsetCommitHandler } from "./offset-commit.ts";
import { offsetDeleteHandler } from "./offset-delete.ts";
import { offsetFetchHandler } from "./offset-fetch.ts";
import { offsetForLeaderEpochHandler } from "./offset-for-leader-epoch.ts";
import { produceHandler } from "./produce.ts";
import { syncGroupHandler } from "./sync-group.ts";
import { txnOffsetCommitHandler } from "./txn-offset-commit.ts";
import { updateFeaturesHandler } from "./update-features.ts";
import { writeTxnMarkersHandler } from "./write-txn-markers.ts";

export { apiVersionsHandler } from "./api-versions.ts";

/** Everything the handlers share; src/app creates each of them. */
export interface HandlerDeps {
  context: BrokerContext;
  groups: GroupService;
  fetchSessions: FetchSessionCache;
  producerIds: ProducerIdAllocator;
  logDir: LogDirUsage;
  /** The transaction coordinators; absent, transactional producers are refused. */
  transactions?: TransactionService;
  /** The wall clock stamps produced records; the monotonic one ages fetch sessions; the scheduler ends waits. */
  time: { clock: Clock; scheduler: Scheduler };
  /** The metadata Raft group, for DescribeQuorum; absent where there is none (handler tests). */
  quorum?: MetadataQuorum;
}

/** Handlers answered from the cluster metadata alone: topics, partitions, configs, brokers. */
export function metadataHandlers(context: BrokerContext): AnyApiHandler[] {
  return [
    metadataHandler(context),
    createTopicsHandler(context),
    deleteTopicsHandler(context),
    createPartitionsHandler(context),
    describeConfigsHandler(context),
    alterConfigsHandler(context),
    incrementalAlterConfigsHandler(context),
    describeClusterHandler(context),
    describeTopicPartitionsHandler(context),
    updateFeaturesHandler(),
    listClientMetricsResourcesHandler(),
    describeClientQuotasHandler(context),
    alterClientQuotasHandler(context),
  ];
}

/** The group APIs, classic and consumer (KIP-848), answered by the coordinators of `groups`. */
export function groupHandlers({
  context,
  groups,
  transactions,
}: Pick<HandlerDeps, "context" | "groups" | "transactions">): AnyApiHandler[] {
  return [
    findCoordinatorHandler(context, groups, transactions ?? null),
    joinGroupHandler(groups),
    syncGroupHandler(groups),
    heartbeatHandler(groups),
    leaveGroupHandler(groups),
    offsetCommitHandler(context, groups),
    offsetFetchHandler(groups),
    listGroupsHandler(groups),
    describeGroupsHandler(groups),
    deleteGroupsHandler(groups),
    offsetDeleteHandler(groups),
    consumerGroupHeartbeatHandler(groups),
    consumerGroupDescribeHandler(groups),
  ];
}

/** Every Kafka API a broker serves but ApiVersions, which answers from the registry they make (handlerRegistry). */
export function allHandlers(deps: HandlerDeps): AnyApiHandler[] {
  const { context, time } = deps;
  return [
    ...metadataHandlers(context),
    produceHandler(context, time),
    fetchHandler(context, deps.fetchSessions, time),
    listOffsetsHandler(context),
    initProducerIdHandler(deps.producerIds, deps.transactions ?? null),
    offsetForLeaderEpochHandler(context),
    deleteRecordsHandler(context),
    electLeadersHandler(context),
    describeLogDirsHandler(context, deps.logDir),
    describeProducersHandler(context),
    alterReplicaLogDirsHandler(context, deps.logDir),
    getTelemetrySubscriptionsHandler(() => context.newTopicId()),
    pushTelemetryHandler(),
    ...(deps.quorum ? [describeQuorumHandler(context, deps.quorum)] : []),
    ...groupHandlers(deps),
    ...(deps.transactions === undefined
      ? []
      : transactionHandlers({ ...deps, transactions: deps.transactions })),
  ];
}

/** The transaction APIs (KIP-98, KIP-664), answered by the transaction coordinators. */
function transactionHandlers(
  deps: Pick<HandlerDeps, "context" | "groups" | "time"> & { transactions: TransactionService },
): AnyApiHandler[] {
  const { context, groups, transactions } = deps;
  return [
    addPartitionsToTxnHandler(context, transactions),
    addOffsetsToTxnHandler(transactions),
    endTxnHandler(transactions),
    txnOffsetCommitHandler(context, groups, transactions),
    writeTxnMarkersHandler(context),
    describeTransactionsHandler(transactions),
    listTransactionsHandler(transactions, () => deps.time.clock.wallMs()),
  ];
}

/** A registry of `handlers` plus ApiVersions, which advertises exactly what the registry serves. */
export function handlerRegistry(handlers: readonly AnyApiHandler[]): HandlerRegistry {
  const registry: HandlerRegistry = new HandlerRegistry([
    apiVersionsHandler(() => registry.servedApis()),
    ...handlers,
  ]);
  return registry;
}
