// The partition replicas this node hosts, kept in step with the metadata: after every metadata change,
// reconcile() opens a replica for each assigned partition not yet hosted and deletes those whose topic is gone.
// It answers the handlers' look-ups by name or id, and who leads each hosted partition.

import type { Logger } from "../base/logger.ts";
import { nodeGroupIds, partitionGroupId } from "./internal-topics.ts";
import type { PartitionDirectory, PartitionLeadership } from "./metadata/metadata-service.ts";
import type { MetadataState, TopicMetadata } from "./metadata/metadata-state.ts";
import type { LeaderReport, LocalLeadership, PartitionLeaders } from "./partition-leaders.ts";
import type { PartitionReplica, ReplicaDirectory } from "./partition-replica.ts";

export interface HostedReplica extends PartitionReplica {
  /** Stops its Raft group; the log stays on disk (the node is stopping). */
  stop(): Promise<void>;
  /** Stops its Raft group and deletes its log and Raft state (the topic was deleted). */
  delete(): Promise<void>;
  /** Who leads, as this replica's Raft group knows it. */
  localLeadership(): LocalLeadership;
  /** Offsets each follower is behind, as the leader sees it (empty unless this replica leads). */
  followerLagOffsets(): ReadonlyMap<number, number>;
  /** Whether replica `nodeId` could take over leadership now (this replica leads; RaftGroup.canTakeOver). */
  canTakeOver(nodeId: number): boolean;
  /** Hands leadership to replica `target` (RaftGroup.transferLeadership); settles once it leads, or why not. */
  transferLeadership(target: number): Promise<{ ok: true } | { ok: false; reason: string }>;
}

export interface HostedReplicasOptions {
  readonly nodeId: number;
  readonly open: OpenReplica;
  readonly logger: Logger;
  /** What the other nodes report they lead (a cluster); absent standalone, where every replica is local. */
  readonly leaders?: PartitionLeaders;
  /** Monotonic milliseconds: the age of the leaders' reports. */
  readonly monotonicMs: () => number;
}

export type OpenReplica = (topic: TopicMetadata, partition: number) => HostedReplica;

export class HostedReplicas implements ReplicaDirectory, PartitionDirectory {
  /** By `${topicId}/${partition}`, and by `${topicName}/${partition}`: Produce and Fetch look up by name. */
  private readonly byKey = new Map<string, HostedReplica>();
  private readonly byNameKey = new Map<string, HostedReplica>();
  /** Topic-partitions never opened because their Raft group is one of the node's own (logged once each). */
  private readonly refused = new Set<string>();

  private readonly nodeId: number;
  private readonly open: OpenReplica;
  private readonly logger: Logger;

  constructor(private readonly options: HostedReplicasOptions) {
    this.nodeId = options.nodeId;
    this.open = options.open;
    this.logger = options.logger;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Every hosted replica (metrics, admin views). */
  all(): IterableIterator<HostedReplica> {
    return this.byKey.values();
  }

  /** Opens what the metadata assigns here and is not open; deletes what the metadata no longer has. */
  reconcile(state: MetadataState): void {
    const wanted = new Set<string>();
    for (const topic of state.topics()) {
      topic.partitions.forEach((assignment, partition) => {
        if (!assignment.replicas.includes(this.nodeId)) return;
        const key = `${topic.topicId}/${partition}`;
        if (this.collidesWithNodeGroup(topic, partition, key)) return;
        wanted.add(key);
        if (this.byKey.has(key)) return;
        const replica = this.open(topic, partition);
        this.byKey.set(key, replica);
        this.byNameKey.set(`${topic.name}/${partition}`, replica);
      });
    }
    for (const [key, replica] of this.byKey) {
      if (wanted.has(key)) continue;
      this.byKey.delete(key);
      const nameKey = `${replica.topicName}/${replica.partition}`;
      if (this.byNameKey.get(nameKey) === replica) this.byNameKey.delete(nameKey);
      void replica.delete().catch((error) => this.logger.error("deleting a replica failed", { key, error }));
    }
  }

  /**
   * Metadata written before topic names were checked may hold a topic named like one of the node's own groups
   * (a `__cluster_metadata` topic). Opening it would collide with the metadata group at every start, and
   * deleting it would delete the metadata log: such a partition is never opened, and so never deleted.
   */
  private collidesWithNodeGroup(topic: TopicMetadata, partition: number, key: string): boolean {
    const groupId = partitionGroupId(topic.name, partition);
    if (!nodeGroupIds.has(groupId)) return false;
    if (!this.refused.has(key)) {
      this.refused.add(key);
      this.logger.error("not hosting a partition: its raft group is the node's own; delete the topic", {
        topic: topic.name,
        partition,
        groupId,
      });
    }
    return true;
  }

  byId(topicId: string, partition: number): PartitionReplica | undefined {
    return this.byKey.get(`${topicId}/${partition}`);
  }

  /** The hosted replica itself, with its Raft group's controls (leadership transfer). */
  hosted(topicId: string, partition: number): HostedReplica | undefined {
    return this.byKey.get(`${topicId}/${partition}`);
  }

  byName(topicName: string, partition: number): PartitionReplica | undefined {
    return this.byNameKey.get(`${topicName}/${partition}`);
  }

  leadership(topicId: string, partition: number): PartitionLeadership | null {
    const local = this.byKey.get(`${topicId}/${partition}`)?.localLeadership();
    const leaders = this.options.leaders;
    if (leaders === undefined) {
      if (local?.leaderId !== this.nodeId) return null;
      return { leaderId: this.nodeId, leaderEpoch: local.leaderEpoch, isr: [...local.isr] };
    }
    return leaders.lookup(topicId, partition, local, this.options.monotonicMs());
  }

  /** What this node reports to its peers: the partitions it leads, with their epochs and in-sync replicas. */
  ledHere(): LeaderReport[] {
    const reports: LeaderReport[] = [];
    for (const replica of this.byKey.values()) {
      const local = replica.localLeadership();
      if (local.leaderId !== this.nodeId) continue;
      reports.push({
        topicId: replica.topicId,
        partition: replica.partition,
        leaderId: this.nodeId,
        leaderEpoch: local.leaderEpoch,
        isr: local.isr,
      });
    }
    return reports;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.byKey.values()].map((replica) => replica.stop()));
    this.byKey.clear();
    this.byNameKey.clear();
  }
}
