// Preferred leader elections on one node: ElectLeaders' PREFERRED type for a partition, wherever its leader is,
// and the periodic imbalance check (leader-balance.ts decides, this carries it out). Only a partition's leader
// can hand over without an election timeout, so a partition led here is handed over by its own Raft group
// (RaftGroup.transferLeadership: catch the preferred replica up, then TimeoutNow), and one led elsewhere is asked
// of its leader with a peer call that runs electHere there. Each answer comes once the transfer has finished or
// failed: the Raft group settles it within a few election timeouts.

import type { Logger } from "../base/logger.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import type { HostedReplicas } from "./hosted-replicas.ts";
import {
  type BalancePlan,
  type PartitionLeaderView,
  planLeaderBalance,
  preferredElection,
} from "./leader-balance.ts";
import type { MetadataState } from "./metadata/metadata-state.ts";

/** One partition's ElectLeaders result: a Kafka error code (0 when elected) and its message. */
export interface ElectionAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface ElectionRequest {
  readonly topicId: string;
  readonly partition: number;
  /** How long the asker waits for the answer (ElectLeaders' timeoutMs). */
  readonly timeoutMs: number;
}

/** ElectLeaders' PREFERRED type, as the handler needs it. */
export interface LeaderElections {
  electPreferred(request: ElectionRequest): Promise<ElectionAnswer>;
}

export interface PreferredLeadersOptions {
  readonly nodeId: number;
  readonly metadata: { readonly state: MetadataState };
  readonly replicas: HostedReplicas;
  /** Runs electHere on node `leaderId` (a cluster peer call); absent standalone, where every leader is here. */
  readonly forward?: (leaderId: number, request: ElectionRequest) => Promise<ElectionAnswer>;
  readonly logger: Logger;
}

export interface BalanceSettings {
  /** Kafka's leader.imbalance.per.broker.percentage. */
  readonly imbalancePercentPerBroker: number;
  /** Transfers one check starts at most. */
  readonly transfersMax: number;
}

const elected: ElectionAnswer = { errorCode: ErrorCode.None, errorMessage: null };

export class PreferredLeaders implements LeaderElections {
  private checkInFlight = false;

  constructor(private readonly options: PreferredLeadersOptions) {}

  /** On whichever node leads the partition: here, or its leader through a peer call (retried once if it moved). */
  async electPreferred(request: ElectionRequest): Promise<ElectionAnswer> {
    const first = await this.electAtLeader(request);
    if (first.errorCode !== ErrorCode.NotLeaderOrFollower) return first;
    // Leadership moved between the look-up and the call: ask the leader known now, once.
    return this.electAtLeader(request);
  }

  /** The election for a partition this node leads: the other end of the peer call. */
  async electHere(topicId: string, partition: number): Promise<ElectionAnswer> {
    const assignment = this.options.metadata.state.topicById(topicId)?.partitions[partition];
    if (assignment === undefined) return unknownPartition(topicId, partition);
    const replica = this.options.replicas.hosted(topicId, partition);
    if (replica === undefined || !replica.isLeader()) {
      return {
        errorCode: ErrorCode.NotLeaderOrFollower,
        errorMessage: "this broker does not lead the partition",
      };
    }
    const target = assignment.replicas[0]!;
    const decision = preferredElection(
      { replicas: assignment.replicas, leaderId: this.options.nodeId },
      { live: this.isLive(target), caughtUp: replica.canTakeOver(target) },
    );
    if (decision.kind === "notNeeded") return { errorCode: ErrorCode.ElectionNotNeeded, errorMessage: null };
    if (decision.kind === "unavailable") return notAvailable(decision.reason);
    const outcome = await replica.transferLeadership(decision.target);
    return outcome.ok ? elected : notAvailable(outcome.reason);
  }

  /**
   * One imbalance check: hands the partitions planLeaderBalance picks to their preferred replicas, and logs what
   * came of it once every transfer has settled. A check while the last one's transfers are under way is skipped.
   */
  checkBalance(settings: BalanceSettings): BalancePlan | undefined {
    if (this.checkInFlight) return undefined;
    const plan = planLeaderBalance({
      nodeId: this.options.nodeId,
      partitions: this.partitionViews(),
      isLive: (nodeId) => this.isLive(nodeId),
      canTakeOver: (partition, nodeId) =>
        this.options.replicas.hosted(partition.topicId, partition.partition)?.canTakeOver(nodeId) ?? false,
      ...settings,
    });
    if (plan.transfers.length === 0) return plan;
    this.checkInFlight = true;
    const transfers = plan.transfers.map(async ({ partition, target }) => {
      const replica = this.options.replicas.hosted(partition.topicId, partition.partition);
      if (replica === undefined) return { ok: false as const, reason: "no longer hosted here" };
      return replica.transferLeadership(target);
    });
    void Promise.all(transfers).then((outcomes) => {
      this.checkInFlight = false;
      const failed = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.reason]));
      this.options.logger.info("handed leadership back to preferred replicas", {
        transferred: outcomes.length - failed.length,
        failed: failed.length,
        ...(failed.length > 0 ? { firstFailure: failed[0] } : {}),
      });
    });
    return plan;
  }

  private async electAtLeader(request: ElectionRequest): Promise<ElectionAnswer> {
    const { topicId, partition } = request;
    const leaderId = this.options.replicas.leadership(topicId, partition)?.leaderId ?? null;
    if (leaderId === null) {
      return notAvailable(
        "the partition has no leader now: an election is under way or most replicas are down",
      );
    }
    if (leaderId === this.options.nodeId) return this.electHere(topicId, partition);
    const forward = this.options.forward;
    if (forward === undefined) return notAvailable(`node ${leaderId} leads and cannot be asked from here`);
    try {
      return await forward(leaderId, request);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return {
        errorCode: ErrorCode.RequestTimedOut,
        errorMessage: `node ${leaderId} did not answer: ${detail}`,
      };
    }
  }

  private isLive(nodeId: number): boolean {
    const broker = this.options.metadata.state.broker(nodeId);
    return broker !== undefined && !broker.fenced;
  }

  private *partitionViews(): Generator<PartitionLeaderView> {
    for (const topic of this.options.metadata.state.topics()) {
      for (const [partition, assignment] of topic.partitions.entries()) {
        const leadership = this.options.replicas.leadership(topic.topicId, partition);
        yield {
          topicId: topic.topicId,
          partition,
          replicas: assignment.replicas,
          leaderId: leadership?.leaderId ?? null,
        };
      }
    }
  }
}

function notAvailable(reason: string): ElectionAnswer {
  return { errorCode: ErrorCode.PreferredLeaderNotAvailable, errorMessage: reason };
}

function unknownPartition(topicId: string, partition: number): ElectionAnswer {
  return {
    errorCode: ErrorCode.UnknownTopicOrPartition,
    errorMessage: `no partition ${partition} in topic ${topicId}`,
  };
}
