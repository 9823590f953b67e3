// What the Kafka API handlers need from the node, passed in explicitly so each handler can be tested with an
// in-memory cluster: the metadata, partition leadership, broker defaults, and sources of ids and randomness.

import type { Logger } from "../base/logger.ts";
import type { BrokerStaticConfigs } from "../cluster/config-view.ts";
import type { PlanningContext } from "../cluster/metadata/metadata-commands.ts";
import type { MetadataService, PartitionDirectory } from "../cluster/metadata/metadata-service.ts";
import type { ReplicaDirectory } from "../cluster/partition-replica.ts";
import type { LeaderElections } from "../cluster/preferred-leaders.ts";

export interface BrokerContext {
  nodeId: number;
  metadata: MetadataService;
  /** The metadata group's leader (Kafka's active controller) as this node knows it; -1 when none. */
  controllerId(): number;
  /** Whether a follower replica answers Fetch from its own committed log (else NOT_LEADER_OR_FOLLOWER). */
  fetchFromFollowers: boolean;
  partitions: PartitionDirectory;
  /** The partition replicas hosted on this node. */
  replicas: ReplicaDirectory;
  /** Hands a partition to its preferred replica, on whichever node leads it (ElectLeaders). */
  leaderElections: LeaderElections;
  defaults: { numPartitions: number; replicationFactor: number; autoCreateTopics: boolean };
  /** Broker-level settings given at start-up, by Kafka config name. */
  brokerStatic: BrokerStaticConfigs;
  /** A fresh random topic id in Kafka's base64url form. */
  newTopicId(): string;
  /** A uniform random integer in [0, bound). */
  randomIndex(bound: number): number;
  logger: Logger;
}

/** The planning context metadata commands need, from the broker's, over `state` (the one a plan is run on). */
export function planningContext(context: BrokerContext, state = context.metadata.state): PlanningContext {
  return {
    state,
    defaults: {
      numPartitions: context.defaults.numPartitions,
      replicationFactor: context.defaults.replicationFactor,
    },
    newTopicId: () => context.newTopicId(),
    randomIndex: (bound) => context.randomIndex(bound),
  };
}

/** Kafka's "authorized operations not requested" marker (Integer.MIN_VALUE) in Metadata, DescribeCluster and DescribeGroups. */
export const authorizedOperationsNotRequested = -2147483648;
