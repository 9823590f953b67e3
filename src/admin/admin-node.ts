// What the admin service needs from a running broker node, passed in explicitly (app/broker-node.ts builds it):
// the same broker context the Kafka handlers use (metadata, hosted replicas, partition leadership, defaults),
// the group service, time, and the cluster's peers. Every change goes through the same cluster/ functions the
// Kafka handlers call — metadata changes through `context.metadata.execute(plan)`, which a follower forwards to
// the metadata leader — so the admin API and the Kafka API can never disagree on what is allowed.

import type { Clock, Scheduler } from "../base/clock.ts";
import type { BrokerContext } from "../broker/broker-context.ts";
import type { GroupService } from "../cluster/group-service.ts";

/** A peer as the answering node sees it now. */
export interface PeerProbe {
  nodeId: number;
  reachable: boolean;
  /** Empty when the peer did not answer. */
  version: string;
}

export interface AdminNode {
  readonly context: BrokerContext;
  readonly groups: GroupService;
  /** The metadata group's role, term and leader (the controller) as this node sees them. */
  metadataStatus(): { role: string; term: number; controllerId: number };
  /** raft-cluster: asks every peer who it is, the unreachable ones within `timeoutMs`; standalone: none. */
  probePeers(timeoutMs: number): Promise<PeerProbe[]>;
  readonly version: string;
  /** wallMs stamps produced records; monotonicMs bounds consume streams. */
  readonly clock: Clock;
  readonly scheduler: Scheduler;
}
