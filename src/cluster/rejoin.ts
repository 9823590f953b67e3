// A node over a new data directory must never vote as if it remembered. Its lost incarnation may have voted in
// a term that is still running (a second vote there can elect two leaders in one term), and acknowledged entries
// into commits that no other live node may hold. The rule this node follows (stated here, enforced by the Raft
// core's abstention, src/raft/core/raft-node.ts):
//
//   A node whose data directory is new opens every Raft group abstaining — it replicates and acknowledges but
//   grants no vote and starts no election — until it knows whether the cluster knew it:
//   - a peer that has joined the cluster, or this node's own metadata once caught up (before it registers
//     itself), registers this node id under another incarnation (the id written once in each data directory,
//     as KRaft's directory id, KIP-853): the node is rejoining after losing its disk,
//     and each group stays abstaining until it has asked every other voter of the group for its current term
//     and commit offset (GroupTerms) and caught up with a leader at or above them;
//   - a peer that has joined the cluster (or the caught-up metadata) does not know this node, or a majority of
//     the voters (this node included) are new themselves (a cluster starting for the first time): nothing was
//     lost, and it votes.
// The directory's phase (new, rejoining, settled) is kept in its identity file, so a crash during a rejoin
// resumes it rather than forgetting it.
//
// Why abstaining rather than refusing to start: the node is needed as a replica at once (it copies every log
// back and its acknowledgements count toward commits, which are durable again), and the rule lifts itself group
// by group without an operator. Its cost is availability, never safety: while another voter of a group is down,
// a rejoining node cannot learn the fence there and the group cannot elect a new leader without that voter —
// as if the rejoining node were still missing. What it cannot see: a peer whose metadata has not yet applied
// this node's last registration answers "unknown" (if asked before the node's own metadata caught up), and a
// node wiped before its first registration committed looks like a first start.

import type { Cancel, Scheduler } from "../base/clock.ts";
import type { Logger } from "../base/logger.ts";
import type { VoteFence } from "../raft/core/index.ts";
import type { GroupTermAnswer, HelloAnswer } from "./cluster-rpc.ts";
import { groupTermsIdsMax } from "./cluster-rpc.ts";

/** What the coordinator needs of a Raft group (raft/node's RaftGroup). */
export interface AbstainingGroup {
  readonly groupId: string;
  readonly voters: readonly number[];
  readonly abstaining: boolean;
  readonly stopped: unknown;
  setVoteFence(fence: VoteFence): void;
}

export type RejoinDecision = "firstStart" | "rejoin" | "undecided";

/** The fence that ends an abstention at once: no incarnation of this node was lost. */
export const nothingLost: VoteFence = { term: 0, commitOffset: -1, emptyLogLeaderTerm: -1 };

/** Decides from the peers' Hello answers so far whether this new data directory replaces a lost one. */
export function rejoinDecision(input: {
  readonly voters: readonly number[];
  readonly incarnationId: string;
  readonly answers: ReadonlyMap<number, HelloAnswer>;
}): { decision: RejoinDecision; knownAs?: string } {
  const answers = [...input.answers.values()];
  for (const answer of answers) {
    const known = answer.callerIncarnationId;
    if (known !== null && known !== "" && known !== input.incarnationId)
      return { decision: "rejoin", knownAs: known };
  }
  if (answers.some((answer) => answer.callerIncarnationId !== null)) return { decision: "firstStart" };
  const fresh = 1 + answers.filter((answer) => answer.fresh).length;
  return { decision: fresh > input.voters.length / 2 ? "firstStart" : "undecided" };
}

/** The fence the other voters' answers make, or null while one of them has not answered. */
export function fenceOf(answers: ReadonlyArray<GroupTermAnswer | undefined>): VoteFence | null {
  if (answers.some((answer) => answer === undefined)) return null;
  let fence = { ...nothingLost };
  for (const answer of answers as GroupTermAnswer[]) {
    fence = {
      term: Math.max(fence.term, answer.term),
      commitOffset: Math.max(fence.commitOffset, answer.commitOffset),
      emptyLogLeaderTerm:
        answer.leading && answer.lastOffset === -1
          ? Math.max(fence.emptyLogLeaderTerm, answer.term)
          : fence.emptyLogLeaderTerm,
    };
  }
  return fence;
}

export interface RejoinOptions {
  readonly nodeId: number;
  readonly voters: readonly number[];
  readonly incarnationId: string;
  /** Where the data directory was at this start (app/node-identity.ts): new, rejoining, or settled. */
  readonly phase: "new" | "rejoining" | "settled";
  /** Records the directory's phase durably as it moves on (a crash then resumes where it was). */
  readonly savePhase: (phase: "rejoining" | "settled") => void;
  readonly hello: (peerId: number) => Promise<HelloAnswer>;
  readonly groupTerms: (
    peerId: number,
    groupIds: readonly string[],
  ) => Promise<Array<GroupTermAnswer | null>>;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Between rounds of asking the peers. */
  readonly retryMs?: number;
}

const retryMsDefault = 1_000;
/** Rounds a fenced group may stay abstaining before its voters are asked again (a newer fence). */
const refenceAfterRounds = 5;

export class Rejoin {
  private state: "voting" | "undecided" | "rejoining";
  /** Whether every group has caught up once since the rejoin began (then the directory is settled). */
  private settled = false;
  /** The node has replayed its metadata and opened every replica it hosts (no group it had is left unopened). */
  private started = false;
  private readonly helloAnswers = new Map<number, HelloAnswer>();
  /** Groups opened abstaining that have no fence yet, and the answers gathered for each (by peer). */
  private readonly unfenced = new Map<
    string,
    { group: AbstainingGroup; answers: Map<number, GroupTermAnswer> }
  >();
  /** Groups with a fence still abstaining (catching up): watched so the node can say when all vote again. */
  private readonly catchingUp = new Map<string, { group: AbstainingGroup; rounds: number }>();
  private cancelRound: Cancel | undefined;
  private roundInFlight = false;
  /** Groups waiting at the end of the last round. */
  private waitingBefore = 0;
  private readonly logger: Logger;

  constructor(private readonly options: RejoinOptions) {
    this.logger = options.logger.with({ component: "rejoin" });
    this.state = { new: "undecided", rejoining: "rejoining", settled: "voting" }[
      options.phase
    ] as Rejoin["state"];
    if (this.state === "rejoining") {
      this.logger.warn("resuming a rejoin cut short: no group votes until it has caught up", {
        incarnationId: options.incarnationId,
      });
    }
  }

  /** Whether groups opened now start abstaining. */
  get abstainsNewGroups(): boolean {
    return this.state !== "voting";
  }

  get rejoining(): boolean {
    return this.state === "rejoining";
  }

  /** Starts asking the peers, when there is anything to decide. */
  start(): void {
    if (this.state === "voting" || this.cancelRound !== undefined) return;
    this.cancelRound = this.options.scheduler.setInterval(
      () => this.round(),
      this.options.retryMs ?? retryMsDefault,
    );
    this.round();
  }

  stop(): void {
    this.cancelRound?.();
    this.cancelRound = undefined;
  }

  /** A group was opened abstaining (abstainsNewGroups was true). */
  track(group: AbstainingGroup): void {
    if (this.state === "voting") {
      group.setVoteFence(nothingLost);
      return;
    }
    this.unfenced.set(group.groupId, { group, answers: new Map() });
  }

  private round(): void {
    if (this.roundInFlight) return;
    this.roundInFlight = true;
    const asked = this.state === "undecided" ? this.askHello() : this.askGroupTerms();
    void asked.finally(() => {
      this.roundInFlight = false;
      this.watchCatchingUp();
    });
  }

  private async askHello(): Promise<void> {
    const peers = this.options.voters.filter((id) => id !== this.options.nodeId);
    await Promise.all(
      peers.map((peerId) =>
        this.options.hello(peerId).then(
          (answer) => this.helloAnswers.set(peerId, answer),
          () => {},
        ),
      ),
    );
    if (this.state !== "undecided") return;
    const { decision, knownAs } = rejoinDecision({
      voters: this.options.voters,
      incarnationId: this.options.incarnationId,
      answers: this.helloAnswers,
    });
    if (decision === "firstStart") this.decideFirstStart();
    else if (decision === "rejoin") this.decideRejoin(knownAs!);
  }

  /** Every group the node hosts is open: from now on, all of them caught up means the directory is settled. */
  startupComplete(): void {
    this.started = true;
  }

  /**
   * The node's own metadata has caught up with the leader's, before the node registers itself: its registration
   * there decides, if the peers' answers have not yet. Registered under another incarnation (or one recorded
   * before incarnations were) means rejoining; not registered means a first start.
   */
  decideFromMetadata(registered: { readonly incarnationId: string | null } | undefined): void {
    if (this.state !== "undecided") return;
    if (registered === undefined || registered.incarnationId === this.options.incarnationId) {
      this.decideFirstStart();
    } else {
      this.decideRejoin(registered.incarnationId ?? "(registered before incarnations were recorded)");
    }
  }

  private decideFirstStart(): void {
    this.options.savePhase("settled");
    this.state = "voting";
    this.stop();
    this.logger.info("new data directory, and no incarnation of this node is known: voting", {
      incarnationId: this.options.incarnationId,
    });
    for (const { group } of this.unfenced.values()) group.setVoteFence(nothingLost);
    this.unfenced.clear();
  }

  private decideRejoin(knownAs: string): void {
    this.options.savePhase("rejoining");
    this.state = "rejoining";
    this.logger.warn(
      "this data directory is new, but the cluster knew this node under another incarnation (its disk was " +
        "lost or replaced): rejoining every group without voting until it has caught up",
      { incarnationId: this.options.incarnationId, knownAs },
    );
  }

  /** One GroupTerms call per peer, for the groups still waiting on that peer's answer. */
  private async askGroupTerms(): Promise<void> {
    for (const [groupId, entry] of this.unfenced) {
      if (entry.group.stopped !== undefined) this.unfenced.delete(groupId);
    }
    const peers = this.options.voters.filter((id) => id !== this.options.nodeId);
    await Promise.all(peers.map((peerId) => this.askPeer(peerId)));
    for (const [groupId, entry] of this.unfenced) {
      const others = entry.group.voters.filter((id) => id !== this.options.nodeId);
      const fence = fenceOf(others.map((id) => entry.answers.get(id)));
      if (fence === null) continue;
      entry.group.setVoteFence(fence);
      this.unfenced.delete(groupId);
      this.catchingUp.set(groupId, { group: entry.group, rounds: 0 });
    }
  }

  private async askPeer(peerId: number): Promise<void> {
    const groupIds: string[] = [];
    for (const [groupId, entry] of this.unfenced) {
      if (groupIds.length >= groupTermsIdsMax) break;
      if (entry.group.voters.includes(peerId) && !entry.answers.has(peerId)) groupIds.push(groupId);
    }
    if (groupIds.length === 0) return;
    let answers: Array<GroupTermAnswer | null>;
    try {
      answers = await this.options.groupTerms(peerId, groupIds);
    } catch {
      return; // unreachable: asked again next round
    }
    groupIds.forEach((groupId, index) => {
      const answer = answers[index];
      if (answer !== null && answer !== undefined) this.unfenced.get(groupId)?.answers.set(peerId, answer);
    });
  }

  /**
   * Says once when every group opened so far votes again. The node stays rejoining for good: a group opened
   * later (its metadata applied after that moment, or a partition created since) still starts abstaining and is
   * fenced the same way, which for a new group costs one question to each voter.
   */
  private watchCatchingUp(): void {
    if (this.state !== "rejoining") return;
    for (const [groupId, entry] of this.catchingUp) {
      const { group } = entry;
      if (!group.abstaining || group.stopped !== undefined) {
        this.catchingUp.delete(groupId);
      } else if (++entry.rounds >= refenceAfterRounds) {
        // A leader elected since over an empty log appends nothing to catch up with: asking again shows it.
        this.catchingUp.delete(groupId);
        this.unfenced.set(groupId, { group, answers: new Map() });
      }
    }
    const waiting = this.unfenced.size + this.catchingUp.size;
    if (waiting === 0 && (this.waitingBefore > 0 || !this.settled) && this.started) {
      this.logger.info("rejoined: this node votes again in every group it hosts");
      if (!this.settled) this.options.savePhase("settled");
      this.settled = true;
    }
    this.waitingBefore = waiting;
  }

  /** Groups abstaining: unfenced or catching up (the admin view, and tests). */
  get abstainingGroups(): number {
    return this.unfenced.size + [...this.catchingUp.values()].filter(({ group }) => group.abstaining).length;
  }
}
