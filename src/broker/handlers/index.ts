// The Kafka API handlers, one file per API (or per pair that shares its logic).

import type { AnyApiHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { alterConfigsHandler, incrementalAlterConfigsHandler } from "./alter-configs.ts";
import { createPartitionsHandler } from "./create-partitions.ts";
import { createTopicsHandler } from "./create-topics.ts";
import { deleteTopicsHandler } from "./delete-topics.ts";
import { describeClusterHandler } from "./describe-cluster.ts";
import { describeConfigsHandler } from "./describe-configs.ts";
import { metadataHandler } from "./metadata.ts";

export { apiVersionsHandler } from "./api-versions.ts";

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
