// Balanced leadership: when a partition's preferred replica (the first of its assignment) should lead again,
// and which partitions a node hands over in one imbalance check (Kafka's auto.leader.rebalance.enable). Pure: the
// cluster's state comes in as arguments.
//
// Who decides. In Kafka the controller checks the balance and writes the new leaders to the metadata log. Here
// leadership is learned, not decided (DESIGN.md): each partition's Raft group elects its own leader, and only
// the current leader can hand over without waiting for an election timeout (TimeoutNow). So every node runs
// the check for the partitions it leads: "I lead this partition and am not its preferred replica; is the
// preferred one live (registered, not fenced) and caught up, and is its broker's imbalance above the
// threshold?" — and transfers those that pass. No controller round trip, and no node acts on a partition it does
// not lead. The imbalance per broker is counted, as Kafka's ZooKeeper controller counts it
// (checkAndTriggerAutoLeaderRebalance), over every partition in the metadata with the leaders this node knows
// (its own replicas' Raft groups, and the leaders its peers report): a broker that is the preferred replica of N
// partitions and leads K fewer of them than that is imbalanced when K / N exceeds the percentage. (KRaft's
// controller ignores the percentage and restores every partition it can: a percentage of 0 does that here.)

/** One partition as this node sees it. */
export interface PartitionLeaderView {
  readonly topicId: string;
  readonly partition: number;
  /** Its assignment; the first replica is the preferred leader. */
  readonly replicas: readonly number[];
  /** Who leads, as this node knows it; null while no leader is known. */
  readonly leaderId: number | null;
}

/** What a partition's leader should do about its preferred replica. */
export type PreferredElection =
  | { readonly kind: "notNeeded" }
  | { readonly kind: "unavailable"; readonly reason: string }
  | { readonly kind: "transfer"; readonly target: number };

/**
 * Kafka's preferred replica election (PartitionLeaderElectionAlgorithms.preferredReplicaPartitionLeaderElection)
 * as the partition's leader decides it: not needed when the preferred replica leads; possible only when it is
 * live and in sync — here, caught up with this leader and heard from lately (RaftGroup.canTakeOver).
 */
export function preferredElection(
  partition: Pick<PartitionLeaderView, "replicas" | "leaderId">,
  preferred: { readonly live: boolean; readonly caughtUp: boolean },
): PreferredElection {
  const target = partition.replicas[0];
  if (target === undefined || partition.leaderId === target) return { kind: "notNeeded" };
  if (!preferred.live) return { kind: "unavailable", reason: `preferred replica ${target} is not alive` };
  if (!preferred.caughtUp)
    return { kind: "unavailable", reason: `preferred replica ${target} is not in sync` };
  return { kind: "transfer", target };
}

/** A broker's share of the leadership: partitions it is the preferred replica of, and those it does not lead. */
export interface BrokerBalance {
  readonly preferredCount: number;
  readonly notLedCount: number;
}

export interface BalanceInput {
  readonly nodeId: number;
  /** Every partition of every topic in the metadata. */
  readonly partitions: Iterable<PartitionLeaderView>;
  /** Registered and not fenced. */
  isLive(nodeId: number): boolean;
  /** For a partition this node leads: whether `nodeId` could take over now (RaftGroup.canTakeOver). */
  canTakeOver(partition: PartitionLeaderView, nodeId: number): boolean;
  /** Kafka's leader.imbalance.per.broker.percentage: a broker is rebalanced above this, 0 to 100. */
  readonly imbalancePercentPerBroker: number;
  /** Transfers one check may start; the rest wait for the next check (KRaft's maxElectionsPerImbalance). */
  readonly transfersMax: number;
}

export interface BalancePlan {
  /** Per preferred broker, as this node counts it. */
  readonly brokers: ReadonlyMap<number, BrokerBalance>;
  /** Partitions this node leads that go to their preferred replica now, in metadata order. */
  readonly transfers: ReadonlyArray<{ readonly partition: PartitionLeaderView; readonly target: number }>;
}

export function planLeaderBalance(input: BalanceInput): BalancePlan {
  const brokers = new Map<number, { preferredCount: number; notLedCount: number }>();
  const ledHereNotPreferred: PartitionLeaderView[] = [];
  for (const partition of input.partitions) {
    const preferred = partition.replicas[0];
    if (preferred === undefined) continue;
    let balance = brokers.get(preferred);
    if (balance === undefined) {
      balance = { preferredCount: 0, notLedCount: 0 };
      brokers.set(preferred, balance);
    }
    balance.preferredCount += 1;
    if (partition.leaderId === preferred) continue;
    balance.notLedCount += 1;
    if (partition.leaderId === input.nodeId) ledHereNotPreferred.push(partition);
  }
  const transfers: Array<{ partition: PartitionLeaderView; target: number }> = [];
  for (const partition of ledHereNotPreferred) {
    if (transfers.length >= input.transfersMax) break;
    const target = partition.replicas[0]!;
    if (!isImbalanced(brokers.get(target)!, input.imbalancePercentPerBroker)) continue;
    const decision = preferredElection(partition, {
      live: input.isLive(target),
      caughtUp: input.canTakeOver(partition, target),
    });
    if (decision.kind === "transfer") transfers.push({ partition, target: decision.target });
  }
  return { brokers, transfers };
}

/** Kafka's test: the share of a broker's preferred partitions it does not lead exceeds the percentage. */
export function isImbalanced(balance: BrokerBalance, imbalancePercentPerBroker: number): boolean {
  return balance.notLedCount * 100 > imbalancePercentPerBroker * balance.preferredCount;
}
