// Who leads each partition, as this node knows it (Redpanda's leaders table). Leadership is learned, not decided
// by the controller: a partition's Raft group elects its own leader, and every node tells the others which
// groups it leads (with the term and in-sync replicas) — on change and every few seconds. A node answers
// Metadata from its own replicas first (a follower knows its leader and term from Raft) and from the reports
// for partitions it does not host; the report with the highest epoch wins. Reports of a node that stopped
// reporting expire, so a dead leader is not named for long. Pure: the time comes in as arguments.

import type { PartitionLeadership } from "./metadata/metadata-service.ts";

/** One partition's leadership as its leader reports it. */
export interface LeaderReport {
  readonly topicId: string;
  readonly partition: number;
  readonly leaderId: number;
  /** The leader epoch clients see. */
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

/** What a hosted replica's Raft group knows: its leader (null when none is known) and the epoch. */
export interface LocalLeadership {
  readonly leaderId: number | null;
  readonly leaderEpoch: number;
  /** The in-sync replicas when this node leads; empty when it follows. */
  readonly isr: readonly number[];
}

interface NodeReports {
  readonly receivedAtMs: number;
  readonly byKey: ReadonlyMap<string, LeaderReport>;
}

export class PartitionLeaders {
  private readonly reportsByNode = new Map<number, NodeReports>();

  /** @param reportTtlMs how long a node's reports count after it last sent them. */
  constructor(private readonly reportTtlMs: number) {}

  /** A node's full list of the partitions it leads, replacing what it said before. */
  received(fromNodeId: number, reports: readonly LeaderReport[], nowMs: number): void {
    const byKey = new Map<string, LeaderReport>();
    for (const report of reports) byKey.set(key(report.topicId, report.partition), report);
    this.reportsByNode.set(fromNodeId, { receivedAtMs: nowMs, byKey });
  }

  /**
   * The partition's leadership: the local replica's view and every fresh report, the highest epoch winning.
   * A follower's own view names the leader but not the ISR: a report of the same epoch fills that in.
   */
  lookup(
    topicId: string,
    partition: number,
    local: LocalLeadership | undefined,
    nowMs: number,
  ): PartitionLeadership | null {
    let best: PartitionLeadership | null = null;
    if (local !== undefined && local.leaderId !== null) {
      best = { leaderId: local.leaderId, leaderEpoch: local.leaderEpoch, isr: local.isr };
    }
    const partitionKey = key(topicId, partition);
    for (const [, reports] of this.reportsByNode) {
      if (nowMs - reports.receivedAtMs > this.reportTtlMs) continue;
      const report = reports.byKey.get(partitionKey);
      if (report === undefined) continue;
      const sameLeaderFillsIsr =
        best !== null &&
        best.leaderEpoch === report.leaderEpoch &&
        best.leaderId === report.leaderId &&
        best.isr.length === 0;
      if (best === null || report.leaderEpoch > best.leaderEpoch || sameLeaderFillsIsr) {
        best = { leaderId: report.leaderId, leaderEpoch: report.leaderEpoch, isr: report.isr };
      }
    }
    if (best !== null && best.isr.length === 0) return { ...best, isr: [best.leaderId] };
    return best;
  }
}

function key(topicId: string, partition: number): string {
  return `${topicId}/${partition}`;
}
