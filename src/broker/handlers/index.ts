// The Kafka API handlers, one file per API (or per pair that shares its logic).

import type { GroupService } from "../../cluster/group-service.ts";
import type { AnyApiHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { alterConfigsHandler, incrementalAlterConfigsHandler } from "./alter-configs.ts";
import { consumerGroupDescribeHandler } from "./consumer-group-describe.ts";
import { consumerGroupHeartbeatHandler } from "./consumer-group-heartbeat.ts";
import { createPartitionsHandler } from "./create-partitions.ts";
import { createTopicsHandler } from "./create-topics.ts";
import { deleteGroupsHandler } from "./delete-groups.ts";
import { deleteTopicsHandler } from "./delete-topics.ts";
import { describeClusterHandler } from "./describe-cluster.ts";
import { describeConfigsHandler } from "./describe-configs.ts";
import { describeGroupsHandler } from "./describe-groups.ts";
import { findCoordinatorHandler } from "./find-coordinator.ts";
import { heartbeatHandler } from "./heartbeat.ts";
import { joinGroupHandler } from "./join-group.ts";
import { leaveGroupHandler } from "./leave-group.ts";
import { listGroupsHandler } from "./list-groups.ts";
import { metadataHandler } from "./metadata.ts";
import { offsetCommitHandler } from "./offset-commit.ts";
import { offsetDeleteHandler } from "./offset-delete.ts";
import { offsetFetchHandler } from "./offset-fetch.ts";
import { syncGroupHandler } from "./sync-group.ts";

export { apiVersionsHandler } from "./api-versions.ts";

/** What the group handlers answer from. */
export interface GroupHandlerDeps {
  context: BrokerContext;
  groups: GroupService;
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
  ];
}

/** The group APIs, classic and consumer (KIP-848), answered by the coordinators of `groups`. */
export function groupHandlers({ context, groups }: GroupHandlerDeps): AnyApiHandler[] {
  return [
    findCoordinatorHandler(context, groups),
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
