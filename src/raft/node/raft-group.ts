// One Raft group on this node (a partition, or the cluster metadata): drives the pure core's Ready loop —
// persist, then send, then apply, then advance — and turns offsets into promises for the produce path.
//
// How the layers above use it:
//   const result = group.propose([{ recordCount, byteSize, payload }]);   // phase one: offsets fixed at once
//   if (!result.ok) → answer NOT_LEADER_OR_FOLLOWER (result.refusal says why)
//   await group.waitForPersisted(result.lastOffset);  // acks=1: the leader's own log is durable
//   await group.waitForCommit(result.lastOffset);     // acks=-1: committed (high watermark passed it)
// Both reject with a RaftGroupError when leadership is lost or the group stops; error.kafkaError names the
// Kafka error to answer with. tick() and step() come from the GroupManager.
//
// A leader's Ready is written and advanced at once, and its fdatasync reported to the core when it returns
// (write-ahead: the next Ready is written while the previous sync is in flight, and the leader counts its own
// log toward a commit only once durable). Any other Ready (votes, a follower's appends, snapshots) waits out
// the writes in flight and its own sync before anything of it leaves. The core refuses input between ready()
// and advance(), so input arriving during such a wait is buffered and fed to the core right after advance().
// A proposal buffered that way still gets its offsets at once: they are predicted from the log end, and the
// core assigns exactly those (asserted).
import { assert } from "../../base/assert.ts";
import type { Logger } from "../../base/logger.ts";
import type {
  Entry,
  HardState,
  Message,
  NodeId,
  Proposal,
  ProposeResult,
  RaftConfig,
  Ready,
  Role,
  VoteFence,
} from "../core/index.ts";
import { isQuorum, RaftNode } from "../core/index.ts";
import type { QuiescencePort } from "./node-liveness.ts";
import { quiesceReadRequestId, wakeReadRequestId } from "./node-liveness.ts";
import { OffsetWaiters } from "./offset-waiters.ts";
import { RaftGroupError } from "./raft-group-error.ts";
import type { RaftHardStateStore, RaftLogStore } from "./storage-ports.ts";

/** How a leadership transfer ended: the target leads, or why it does not. */
export type TransferOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

interface PendingTransfer {
  readonly target: NodeId;
  /** The term the transfer started in; 0 until the core has been asked (it may be in a Ready then). */
  term: number;
  readonly startedAtTick: number;
  readonly promise: Promise<TransferOutcome>;
  readonly settle: (outcome: TransferOutcome) => void;
}

/**
 * Election timeouts a transfer may take in all before it is reported failed: the core gives up after one if the
 * target does not catch up, and the target's campaign, once sent TimeoutNow, takes one round of votes.
 */
const transferElectionTimeoutsMax = 3;

export interface LeadershipChange {
  readonly role: Role;
  readonly leaderId: NodeId | null;
  readonly term: number;
}

export interface RaftGroupOptions {
  /** e.g. "orders-0" or "__cluster_metadata-0"; the GroupManager routes messages by it. */
  readonly groupId: string;
  readonly nodeId: NodeId;
  /** The core's config; config.id must be nodeId. */
  readonly config: RaftConfig;
  readonly store: RaftLogStore;
  readonly hardState: RaftHardStateStore;
  /** Hands one Ready's messages to the transport (the GroupManager batches them per peer). */
  readonly send: (messages: readonly Message[]) => void;
  /** Committed entries, in offset order, each once (only when config.deliverCommittedEntries). */
  readonly onCommitted?: (entries: readonly Entry[]) => void;
  /** Called on every change of role, leader or term. */
  readonly onLeadership?: (change: LeadershipChange) => void;
  /** Called when the high watermark (commitOffset + 1) rises: wake fetch long-polls here. */
  readonly onHighWatermark?: (highWatermark: number) => void;
  readonly logger: Logger;
  /** Peer messages buffered while a write is in flight; beyond it they are dropped (Raft resends). ≥ 1. */
  readonly bufferedStepsMax?: number;
  /** Ready rounds one loop run may do before yielding the event loop to other groups. ≥ 1. */
  readonly readyRoundsMax?: number;
  /** Start abstaining: this node's data directory is new (the core's Abstention; setVoteFence ends it). */
  readonly abstaining?: boolean;
  /** A deliberate bug the whole-node simulator must catch; never set outside its tests. */
  readonly testingOnlyBug?: RaftGroupTestingBug;
  /**
   * Called before a proposal is taken: the host delivers the ticks this process missed while it was frozen
   * (SIGSTOP, a VM pause), so a leader whose lease ran out meanwhile steps down before it takes the proposal,
   * even when the proposal is the first thing its event loop runs after the freeze.
   */
  readonly catchUpTicks?: () => void;
  /** Given: the group quiesces while idle (see Quiescence below), asking here whether peer nodes are alive. */
  readonly quiescence?: QuiescencePort;
}

/**
 * Deliberate bugs for checking that the whole-node simulator catches them: a follower that acknowledges
 * appends before they are durable, and one that tells its readers its log end is committed.
 */
export type RaftGroupTestingBug = "followerAckBeforeFsync" | "readsPastCommit";

/**
 * Quiescence (CockroachDB's): an idle group neither ticks its core nor sends heartbeats; the node-level
 * heartbeats (node-liveness.ts) stand for it. A leader quiesces when its log is committed and durable and every
 * live member matches it, telling each with a heartbeat that carries the commit and asks it to quiesce; a
 * follower quiesces on that heartbeat when it holds exactly the committed log. Any proposal, campaign, transfer
 * or message (but the answers to those heartbeats) wakes the group; a follower woken by someone else than its
 * leader wakes the leader too. A quiesced follower wakes when its leader's node has been silent an election
 * timeout, and its core is then given the ticks it missed, so it campaigns as if it had been ticking. A quiesced
 * leader counts its live followers as heard and caught up (it quiesced only with them caught up, and nothing
 * was appended since), and wakes when fewer than a quorum of voters are alive, so check-quorum still applies.
 */
type Quiet =
  | { readonly role: "leader"; readonly caughtUp: ReadonlySet<NodeId> }
  | { readonly role: "follower"; readonly leaderId: NodeId };

interface BufferedProposal {
  readonly proposals: readonly Proposal[];
  readonly lastOffset: number;
}

const bufferedStepsMaxDefault = 65_536;
/**
 * When a quiet leader's node dies, the survivor that campaigns first waits this many ticks and up to
 * campaignStaggerTicksSpread - 1 more: by then the other survivors have noticed the silence too (node
 * heartbeats stop for all at once; their tick timers differ in phase by at most a tick), and a node's hundreds
 * of campaigns spread over a few ticks.
 */
const campaignStaggerTicksMin = 2;
const campaignStaggerTicksSpread = 4;
const readyRoundsMaxDefault = 64;

export class RaftGroup {
  readonly groupId: string;
  readonly nodeId: NodeId;
  private readonly core: RaftNode;
  private readonly options: RaftGroupOptions;
  private readonly logger: Logger;
  private readonly commitWaiters = new OffsetWaiters();
  /** The hard state last made durable: saves are skipped while term, vote and membership stay the same. */
  private savedHardState: HardState | undefined;
  private readonly persistWaiters = new OffsetWaiters();
  private readonly bufferedStepsMax: number;
  private readonly readyRoundsMax: number;
  /** True from core.ready() until core.advance(): the core takes no input then. */
  private inReady = false;
  private loopRunning = false;
  private loopScheduled = false;
  private started = false;
  private stopReason: RaftGroupError | undefined;
  private bufferedProposals: BufferedProposal[] = [];
  private bufferedSteps: Message[] = [];
  private bufferedTicks = 0;
  private readonly bufferedUnreachable = new Set<NodeId>();
  /** The newest write reported durable while the core was in a Ready: fed to it right after advance. */
  private bufferedDurable: Entry | undefined;
  /**
   * The settling of the newest leader write (its fdatasync returned, or it failed): syncs return in log order,
   * so once it settles every earlier write has. Kept after it settles; awaiting it then costs a microtask.
   */
  private lastWrite: Promise<void> | undefined;
  private campaignRequested = false;
  private bufferedFence: VoteFence | undefined;
  private persisted: number;
  private applied: number;
  private reported: LeadershipChange;
  private reportedCommit: number;
  /** Ticks seen: the clock of the in-sync tracking below. */
  private ticks = 0;
  /** The leader's last offset at the previous tick: a follower matching it is caught up (Kafka's ISR rule). */
  private lastOffsetAtPreviousTick = -1;
  /** For each follower, the tick it was last caught up at (leader only; reset on election). */
  private readonly caughtUpAtTick = new Map<NodeId, number>();
  /** For each peer, the tick a message from it last arrived at: whether it is alive, as this node hears it. */
  private readonly heardAtTick = new Map<NodeId, number>();
  /** The leadership transfer under way (one at a time), and whether the core has yet to be asked for it. */
  private transfer: PendingTransfer | undefined;
  private transferRequested = false;
  /** Set while the group is quiesced (see Quiescence). */
  private quiet: Quiet | undefined;
  /** A leader's quiesce request that arrived during a Ready: considered right after advance. */
  private bufferedQuiesce: Message | undefined;
  /** The tick this follower campaigns at, its quiet leader's node having gone silent (see leaderNodeDied). */
  private campaignAt: { readonly tick: number; readonly deadLeader: NodeId } | undefined;

  constructor(options: RaftGroupOptions) {
    assert(options.config.id === options.nodeId, "config.id must be the node id");
    this.options = options;
    this.groupId = options.groupId;
    this.nodeId = options.nodeId;
    this.logger = options.logger.with({ group: options.groupId });
    this.bufferedStepsMax = options.bufferedStepsMax ?? bufferedStepsMaxDefault;
    this.readyRoundsMax = options.readyRoundsMax ?? readyRoundsMaxDefault;
    assert(this.bufferedStepsMax >= 1 && this.readyRoundsMax >= 1, "limits must be ≥ 1");
    const loaded = options.hardState.load();
    this.savedHardState = loaded;
    this.core = new RaftNode({
      config: options.config,
      storage: options.store.reader,
      hardState: loaded,
      abstaining: options.abstaining === true,
    });
    this.persisted = options.store.persistedOffset;
    this.applied = options.store.reader.snapshotMeta().lastOffset;
    this.reported = { role: this.core.role, leaderId: this.core.leaderId, term: this.core.term };
    this.reportedCommit = this.core.commitOffset;
  }

  // ---- state ---------------------------------------------------------------------------------------------

  get role(): Role {
    return this.core.role;
  }
  get leaderId(): NodeId | null {
    return this.core.leaderId;
  }
  get term(): number {
    return this.core.term;
  }
  get isLeader(): boolean {
    return this.stopReason === undefined && this.core.role === "leader";
  }
  /** Last committed offset (inclusive), -1 when nothing is committed. */
  get commitOffset(): number {
    return this.core.commitOffset;
  }
  /** Kafka's high watermark: the first offset not yet committed. */
  get highWatermark(): number {
    return this.core.commitOffset + 1;
  }
  /** The last offset durable in this node's log. */
  get persistedOffset(): number {
    return this.persisted;
  }
  /** The last offset in this node's log, durable or not (the log end offset is this + 1). */
  get lastOffset(): number {
    return this.bufferedProposals.at(-1)?.lastOffset ?? this.core.log.lastOffset();
  }
  /** Whether this node's log, as the core sees it (written or not yet), holds the batch at offset in term. */
  holds(offset: number, term: number): boolean {
    return this.core.log.matches(offset, term);
  }

  /** True while this node grants no vote and starts no election in the group (see setVoteFence). */
  get abstaining(): boolean {
    return this.core.abstaining;
  }

  /** The other voters' terms and commit offsets as they answered: the abstention ends once caught up. */
  setVoteFence(fence: VoteFence): void {
    if (this.stopReason !== undefined) return;
    if (this.inReady) this.bufferedFence = fence;
    else this.core.setVoteFence(fence);
    this.afterInput();
  }

  /** The voters of the group's current configuration. */
  get voters(): readonly NodeId[] {
    return this.core.config.voters;
  }
  private get electionTimeoutTicks(): number {
    return this.options.config.electionTimeoutTicks;
  }

  /**
   * Kafka's in-sync replicas, as the leader sees them: itself, and each voter that was caught up with the
   * leader's log end of the tick before within the last `lagTicksMax` ticks (replica.lag.time.max.ms). Empty
   * when this node does not lead.
   */
  inSyncReplicas(lagTicksMax: number): NodeId[] {
    if (!this.isLeader) return [];
    return this.core.config.voters.filter((id) => {
      if (id === this.nodeId) return true;
      const caughtUp = this.caughtUpTick(id);
      return caughtUp !== undefined && this.ticks - caughtUp <= lagTicksMax;
    });
  }

  /**
   * Whether voter `id` could take over from this leader now: it was heard from, and was caught up with the
   * leader's log end of the tick before, within the last election timeout. False when this node does not lead.
   * Stricter than inSyncReplicas' window of tens of seconds: a transfer to a replica that is behind stops the
   * leader's proposals until it catches up, and is abandoned if it does not within an election timeout.
   */
  canTakeOver(id: NodeId): boolean {
    if (!this.isLeader || id === this.nodeId || !this.core.config.voters.includes(id)) return false;
    const windowTicks = this.electionTimeoutTicks;
    const heard = this.heardTick(id);
    const caughtUp = this.caughtUpTick(id);
    return (
      heard !== undefined &&
      this.ticks - heard < windowTicks &&
      caughtUp !== undefined &&
      this.ticks - caughtUp < windowTicks
    );
  }

  /** Offsets each follower's log is behind this leader's (leader only; empty on a follower). */
  followerLagOffsets(): Map<NodeId, number> {
    const lags = new Map<NodeId, number>();
    if (!this.isLeader) return lags;
    const last = this.core.log.lastOffset();
    for (const id of this.core.config.voters) {
      if (id === this.nodeId) continue;
      lags.set(id, Math.max(0, last - (this.core.progressOf(id)?.matchOffset ?? -1)));
    }
    return lags;
  }

  /** Why the group stopped (storageFailed when a persist failed); undefined while it runs. */
  get stopped(): RaftGroupError | undefined {
    return this.stopReason;
  }

  // ---- inputs --------------------------------------------------------------------------------------------

  /** Starts the loop; the only voter of a group (standalone) elects itself at once. */
  start(): void {
    if (this.started || this.stopReason !== undefined) return;
    this.started = true;
    const voters = this.core.config.voters;
    if (voters.length === 1 && voters[0] === this.nodeId && this.core.role !== "leader") this.campaign();
    this.kick();
  }

  /**
   * `count` clock ticks (the GroupManager's timer); election and heartbeat timeouts count these. More than one
   * are the ticks a frozen process missed. A leader plays them, at most enough for two check-quorum rounds
   * (its first round after the freeze may still count the answers it had before it): its lease may have run out.
   * Anyone else plays one, as before: the peers' messages of that time wait unread in its sockets, so playing
   * every tick first would fake a silent leader and start needless pre-votes (a slow start stalls the loop too).
   */
  tick(count = 1): void {
    if (this.stopReason !== undefined) return;
    // A leader plays the ticks a frozen process missed (bounded: two check-quorum rounds), so a lease that ran
    // out meanwhile ends before it takes input — a quiet one too, once the node heartbeats' silence wakes it;
    // any other group plays one.
    const leaseTicks = 2 * this.electionTimeoutTicks + 1;
    let played = this.core.role === "leader" ? Math.min(count, leaseTicks) : 1;
    // A quiet leader whose followers' nodes have been silent an election timeout (the node heartbeats say so)
    // plays two check-quorum rounds whatever the clock says: the core's record of who answered is as old as the
    // quiet, so the first round would pass on it.
    if (this.quiet?.role === "leader" && this.quietMustEnd(this.quiet)) played = leaseTicks;
    for (let index = 0; index < played; index++) if (!this.tickOnce()) break;
    this.afterInput();
    this.maybeQuiesce();
  }

  /** One tick of the core, unless the group stays quiet (false: nothing more to play this time). */
  private tickOnce(): boolean {
    this.ticks += 1;
    if (this.quiet !== undefined) {
      if (!this.quietMustEnd(this.quiet)) return false;
      if (this.quiet.role === "follower") {
        this.leaderNodeDied(this.quiet.leaderId);
        return false;
      }
      this.unquiesce();
    } else {
      this.trackCaughtUp();
      if (this.campaignAt !== undefined && this.ticks >= this.campaignAt.tick) this.campaignForDeadLeader();
    }
    if (this.inReady) this.bufferedTicks += 1;
    else this.core.tick();
    return true;
  }

  step(received: Message): void {
    if (this.stopReason !== undefined) return;
    this.heardAtTick.set(received.from, this.ticks);
    const quiesceAsked = received.type === "heartbeat" && received.readRequestId === quiesceReadRequestId;
    const wake = received.type === "heartbeatResponse" && received.readRequestId === wakeReadRequestId;
    // The core sees the markers as plain heartbeats and answers: its read-index queue must never see them.
    const message: Message = quiesceAsked || wake ? { ...received, readRequestId: -1 } : received;
    if (this.quiet !== undefined && !this.keepsQuiet(this.quiet, received)) {
      const quiet = this.quiet;
      if (quiet.role === "follower" && !this.nodeAlive(quiet.leaderId)) {
        // Another survivor campaigns before this node's tick noticed the silence.
        this.leaderNodeDied(quiet.leaderId);
      } else {
        this.unquiesce();
        if (quiet.role === "follower" && message.from !== quiet.leaderId) this.wakeLeader(quiet.leaderId);
      }
    }
    if (!this.inReady) {
      this.core.step(message);
      this.afterInput();
      if (quiesceAsked) this.followerQuiesce(message);
    } else if (this.bufferedSteps.length < this.bufferedStepsMax) {
      this.bufferedSteps.push(message);
      if (quiesceAsked) this.bufferedQuiesce = message;
    } else {
      this.logger.warn("dropping a peer message: buffer full", { type: message.type, from: message.from });
    }
  }

  /** Whether the group is quiesced: its core is not ticked and it sends no heartbeats of its own. */
  get quiescent(): boolean {
    return this.quiet !== undefined;
  }

  /**
   * Peer node `peer` came back (first heard, heard after a silence, or restarted): a quiesced leader wakes so
   * that the peer's replica hears from it, instead of campaigning after an election timeout.
   */
  peerReturned(peer: NodeId): void {
    const quiet = this.quiet;
    if (quiet === undefined || this.stopReason !== undefined) return;
    if (quiet.role === "follower" ? quiet.leaderId === peer : this.members().includes(peer)) {
      this.unquiesce();
      this.afterInput();
    }
  }

  /** The transport could not reach peer: appends in flight to it are presumed lost (core.reportUnreachable). */
  reportUnreachable(peer: NodeId): void {
    if (this.stopReason !== undefined) return;
    if (this.inReady) this.bufferedUnreachable.add(peer);
    else this.core.reportUnreachable(peer);
    this.afterInput();
  }

  /** Starts an election now (standalone start, or an operator asking this node to take over). */
  campaign(): void {
    if (this.stopReason !== undefined) return;
    this.unquiesce();
    if (this.inReady) this.campaignRequested = true;
    else this.core.campaign();
    this.afterInput();
  }

  /**
   * Hands leadership to voter `target` (Raft thesis §3.10): the core stops taking proposals, catches the target
   * up and sends it TimeoutNow, and the target campaigns at once, without waiting for an election timeout.
   * Resolves once this node hears that the target leads, or with the reason it does not: this node does not
   * lead, the target is no voter, it did not catch up within an election timeout (the core gives up and takes
   * proposals again), another node won, or no leader emerged within a few election timeouts. A second call for
   * the same target joins the transfer under way; one for another target is refused while it lasts.
   */
  transferLeadership(target: NodeId): Promise<TransferOutcome> {
    const refused = (reason: string) => Promise.resolve<TransferOutcome>({ ok: false, reason });
    if (this.stopReason !== undefined) return refused(`group ${this.stopReason.reason}`);
    const pending = this.transfer;
    if (pending !== undefined) {
      if (pending.target === target) return pending.promise;
      return refused(`a transfer to node ${pending.target} is under way`);
    }
    if (this.core.role !== "leader") return refused("this node does not lead");
    this.unquiesce();
    let settle: (outcome: TransferOutcome) => void = () => {};
    const promise = new Promise<TransferOutcome>((resolve) => {
      settle = resolve;
    });
    this.transfer = { target, term: 0, startedAtTick: this.ticks, promise, settle };
    if (this.inReady) this.transferRequested = true;
    else this.startTransfer();
    this.afterInput();
    return promise;
  }

  /**
   * Phase one of a produce: appends the batches to the leader's log and returns the last offset they take,
   * synchronously. Proposals made in one event-loop turn share one write and one fdatasync.
   */
  propose(proposals: readonly Proposal[]): ProposeResult {
    this.options.catchUpTicks?.();
    if (this.stopReason !== undefined) {
      return { ok: false, refusal: "notLeader", detail: `group ${this.stopReason.reason}` };
    }
    if (this.quiet?.role === "leader") this.unquiesce();
    if (!this.inReady) {
      const result = this.core.propose(proposals);
      if (result.ok) this.kick();
      return result;
    }
    if (this.core.role !== "leader") return { ok: false, refusal: "notLeader" };
    let lastOffset = this.lastOffset;
    for (const proposal of proposals) {
      assert(proposal.recordCount >= 1, "a batch holds at least one record");
      lastOffset += proposal.recordCount;
    }
    this.bufferedProposals.push({ proposals, lastOffset });
    return { ok: true, lastOffset };
  }

  /**
   * Resolves once offset is committed (acks=-1) and, when the group delivers committed entries, applied
   * through onCommitted. Rejects with a RaftGroupError if this node is not the leader before that happens.
   */
  waitForCommit(offset: number, signal?: AbortSignal): Promise<void> {
    if (offset <= this.commitReadyOffset()) return Promise.resolve();
    const refused = this.refuseWait();
    if (refused !== undefined) return Promise.reject(refused);
    return this.commitWaiters.add(offset, signal);
  }

  /** Resolves once this node's own log is durable through offset (acks=1); rejects like waitForCommit. */
  waitForPersisted(offset: number, signal?: AbortSignal): Promise<void> {
    if (offset <= this.persisted) return Promise.resolve();
    const refused = this.refuseWait();
    if (refused !== undefined) return Promise.reject(refused);
    return this.persistWaiters.add(offset, signal);
  }

  /** Stops for good: no more sends, applies or callbacks; every waiter is rejected. */
  stop(reason: RaftGroupError = new RaftGroupError("stopped", this.groupId)): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.bufferedProposals = [];
    this.bufferedSteps = [];
    this.bufferedUnreachable.clear();
    this.commitWaiters.rejectAll(reason);
    this.persistWaiters.rejectAll(reason);
    this.settleTransfer({ ok: false, reason: `group ${reason.reason}` });
  }

  /** Once a tick: which followers are caught up with where the leader's log ended a tick ago. */
  private trackCaughtUp(): void {
    if (this.core.role !== "leader") return;
    for (const id of this.core.config.voters) {
      if (id === this.nodeId) continue;
      // Caught up and still answering: on an idle partition a dead follower's match never falls behind, so
      // without the second condition it would stay in the ISR for good (Kafka's rule counts its fetches).
      const match = this.core.progressOf(id)?.matchOffset ?? -1;
      const heard = this.heardAtTick.get(id);
      const answering = heard !== undefined && this.ticks - heard < this.electionTimeoutTicks;
      if (match >= this.lastOffsetAtPreviousTick && answering) this.caughtUpAtTick.set(id, this.ticks);
    }
    this.lastOffsetAtPreviousTick = this.core.log.lastOffset();
  }

  // ---- quiescence (see Quiet) ---------------------------------------------------------------------------

  private members(): readonly NodeId[] {
    const config = this.core.config;
    return config.learners.length === 0 ? config.voters : [...config.voters, ...config.learners];
  }

  private nodeAlive(id: NodeId): boolean {
    const port = this.options.quiescence;
    return port !== undefined && port.nodeSilentTicks(id) < this.electionTimeoutTicks;
  }

  /** The tick peer `id` was last heard at: a quiesced leader hears its live followers through their nodes. */
  private heardTick(id: NodeId): number | undefined {
    const heard = this.heardAtTick.get(id);
    if (this.quiet?.role !== "leader" || !this.quiet.caughtUp.has(id)) return heard;
    const viaNode = this.ticks - this.options.quiescence!.nodeSilentTicks(id);
    return heard === undefined ? viaNode : Math.max(heard, viaNode);
  }

  /** The tick follower `id` was last caught up at: while quiesced, whenever its node was last heard. */
  private caughtUpTick(id: NodeId): number | undefined {
    const caughtUp = this.caughtUpAtTick.get(id);
    if (this.quiet?.role !== "leader" || !this.quiet.caughtUp.has(id)) return caughtUp;
    const viaNode = this.ticks - this.options.quiescence!.nodeSilentTicks(id);
    return caughtUp === undefined ? viaNode : Math.max(caughtUp, viaNode);
  }

  private quietMustEnd(quiet: Quiet): boolean {
    if (quiet.role === "follower") return !this.nodeAlive(quiet.leaderId);
    const voters = this.core.config.voters;
    return !isQuorum(voters, (id) => id === this.nodeId || this.nodeAlive(id));
  }

  /**
   * A quiesced follower's leader node went silent for an election timeout. The follower forgets the leader, so it
   * grants votes at once, and exactly one survivor campaigns soon — the first live voter after the dead leader in
   * the replica order (the preferred replica when it lives), after a stagger of a few ticks drawn from the group
   * id, so a node's many groups do not all campaign in one tick — while the others wait out a whole randomized
   * election timeout as fallback. Survivors therefore rarely split their votes.
   */
  private leaderNodeDied(deadLeader: NodeId): void {
    this.quiet = undefined;
    if (this.inReady) {
      this.bufferedTicks = Math.max(this.bufferedTicks, 1);
      return;
    }
    this.core.forgetLeader();
    const first = this.core.config.voters.find(
      (id) => id !== deadLeader && (id === this.nodeId || this.nodeAlive(id)),
    );
    if (first === this.nodeId && !this.abstaining) {
      this.campaignAt = {
        tick: this.ticks + campaignStaggerTicksMin + (stringHash(this.groupId) % campaignStaggerTicksSpread),
        deadLeader,
      };
    }
    this.afterInput();
  }

  /** The staggered campaign's tick came: campaign, unless a leader was heard from meanwhile. */
  private campaignForDeadLeader(): void {
    const dead = this.campaignAt!.deadLeader;
    this.campaignAt = undefined;
    const leader = this.core.leaderId;
    if (this.core.role !== "follower" || (leader !== null && leader !== dead) || this.nodeAlive(dead)) return;
    if (this.inReady) this.campaignRequested = true;
    else this.core.campaign();
  }

  /** A message a quiesced group takes without waking: answers to its quiesce request, or a repeated request. */
  private keepsQuiet(quiet: Quiet, received: Message): boolean {
    if (quiet.role === "follower") {
      const quiesceAsked = received.type === "heartbeat" && received.readRequestId === quiesceReadRequestId;
      return quiesceAsked && received.from === quiet.leaderId;
    }
    return (
      received.type === "heartbeatResponse" &&
      received.readRequestId === -1 &&
      received.term === this.core.term
    );
  }

  /** At the end of a leader's tick: quiesce if idle, telling every live follower. */
  private maybeQuiesce(): void {
    if (this.options.quiescence === undefined || this.quiet !== undefined || !this.isIdle()) return;
    const last = this.core.log.lastOffset();
    if (this.core.commitOffset !== last || this.persisted < last) return;
    const caughtUp = new Set<NodeId>();
    for (const id of this.members()) {
      if (id === this.nodeId) continue;
      // A dead follower is not waited for: when its node returns, peerReturned wakes this group.
      if (!this.nodeAlive(id)) continue;
      if ((this.core.progressOf(id)?.matchOffset ?? -1) !== last) return;
      caughtUp.add(id);
    }
    const voters = this.core.config.voters;
    if (!isQuorum(voters, (id) => id === this.nodeId || caughtUp.has(id))) return;
    const term = this.core.term;
    const requests: Message[] = [...caughtUp].map((to) => ({
      type: "heartbeat",
      from: this.nodeId,
      to,
      term,
      commitOffset: last,
      readRequestId: quiesceReadRequestId,
    }));
    if (requests.length > 0) this.options.send(requests);
    this.quiet = { role: "leader", caughtUp };
  }

  /** Nothing is under way: no Ready, no buffered input, no transfer, and the core leads with nothing to do. */
  private isIdle(): boolean {
    return (
      this.core.role === "leader" &&
      !this.inReady &&
      !this.loopRunning &&
      !this.loopScheduled &&
      this.transfer === undefined &&
      this.bufferedProposals.length === 0 &&
      this.core.leadTransferee === null &&
      !this.core.hasReady()
    );
  }

  /** After a quiesce request was stepped: quiesce if this follower holds exactly the leader's committed log. */
  private followerQuiesce(request: Message): void {
    if (this.options.quiescence === undefined || request.type !== "heartbeat") return;
    const { core } = this;
    const quiesce =
      this.stopReason === undefined &&
      core.role === "follower" &&
      core.leaderId === request.from &&
      core.term === request.term &&
      core.commitOffset === request.commitOffset &&
      core.log.lastOffset() === request.commitOffset &&
      this.transfer === undefined;
    if (quiesce) this.quiet = { role: "follower", leaderId: request.from };
  }

  private unquiesce(): void {
    const quiet = this.quiet;
    if (quiet === undefined) return;
    this.quiet = undefined;
    const port = this.options.quiescence!;
    if (quiet.role === "leader") {
      // The windows of in-sync tracking go on from when each follower's node was last heard.
      for (const id of quiet.caughtUp) {
        const at = this.ticks - port.nodeSilentTicks(id);
        if (!Number.isFinite(at)) continue;
        if ((this.heardAtTick.get(id) ?? -1) < at) this.heardAtTick.set(id, at);
        if ((this.caughtUpAtTick.get(id) ?? -1) < at) this.caughtUpAtTick.set(id, at);
      }
      this.lastOffsetAtPreviousTick = this.core.log.lastOffset();
      return;
    }
    // The core's election clock stood still: it gets the ticks the leader's node has been silent since.
    const missed = Math.min(port.nodeSilentTicks(quiet.leaderId), 2 * this.electionTimeoutTicks);
    if (this.inReady) this.bufferedTicks = Math.max(this.bufferedTicks, missed > 0 ? 1 : 0);
    else for (let tick = 0; tick < missed; tick++) this.core.tick();
  }

  /** A quiesced follower woke for another reason than its leader: the leader wakes too and heartbeats again. */
  private wakeLeader(leaderId: NodeId): void {
    const wake: Message = {
      type: "heartbeatResponse",
      from: this.nodeId,
      to: leaderId,
      term: this.core.term,
      readRequestId: wakeReadRequestId,
    };
    this.options.send([wake]);
  }

  // ---- the Ready loop ------------------------------------------------------------------------------------

  /** Schedules a loop run after the current turn, so that every input of the turn shares one Ready. */
  private kick(): void {
    if (!this.started || this.loopScheduled || this.loopRunning || this.stopReason !== undefined) return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      void this.runLoop();
    });
  }

  private async runLoop(): Promise<void> {
    if (this.loopRunning || this.stopReason !== undefined) return;
    this.loopRunning = true;
    // Anything thrown here but a storage failure is a bug (a failed assertion): it escapes and crashes.
    try {
      for (let round = 0; round < this.readyRoundsMax; round++) {
        if (this.stopReason !== undefined || !this.core.hasReady()) return;
        await this.handleReady(this.core.ready());
      }
    } finally {
      this.loopRunning = false;
    }
    // More work after readyRoundsMax rounds: yield to other groups, then continue.
    if (this.stopReason === undefined && this.core.hasReady()) this.kick();
  }

  /**
   * Term, vote and membership must be durable before any reply leaves; the commit offset need not be (Raft
   * learns it again from the leader, or, as sole voter, by committing in its new term). Saving on every commit
   * would cost a file write, two fsyncs and a rename per append, so the hard state is saved only when one of the
   * fields that matter changed; the commit offset saved with them is a lower bound.
   */
  private mustSave(next: HardState): boolean {
    const saved = this.savedHardState;
    return (
      saved === undefined ||
      saved.term !== next.term ||
      saved.votedFor !== next.votedFor ||
      !sameMembers(saved.config.voters, next.config.voters) ||
      !sameMembers(saved.config.learners, next.config.learners)
    );
  }

  private async handleReady(ready: Ready): Promise<void> {
    this.inReady = true;
    if (this.core.mayAdvanceWritten(ready)) {
      this.writeAhead(ready);
    } else {
      // Votes, appends acknowledged to a leader, truncations and snapshots: durable before anything leaves,
      // and after every earlier write, so no report of an older write arrives once the log has been cut.
      if (!(await this.persistReady(ready))) return;
      this.finishReady(ready, "durable");
    }
  }

  /**
   * A leader's Ready: written at once, sent and advanced without waiting for the disk. The next Ready is
   * written while this one's fdatasync is in flight, and the two share the log's next sync (group commit), so
   * a proposal arriving during a sync waits for one sync, not for the one in flight and then its own. The
   * leader counts its own log toward a commit only once entriesDurable says so.
   */
  private writeAhead(ready: Ready): void {
    const last = ready.entriesToPersist.at(-1);
    if (last !== undefined) {
      const durable = this.options.store.write({ snapshot: undefined, entries: ready.entriesToPersist });
      this.lastWrite = durable.then(
        () => this.onWriteDurable(last),
        (error: unknown) => this.failStorage(error),
      );
    }
    this.finishReady(ready, "written");
  }

  /** Waits out earlier writes, then writes this Ready and its hard state durably. False if the group stopped. */
  private async persistReady(ready: Ready): Promise<boolean> {
    // Outside the try: a write's failure already stopped the group, and anything else thrown is a bug.
    if (this.lastWrite !== undefined) await this.lastWrite;
    if (this.stopReason !== undefined) return false;
    try {
      if (ready.snapshotToPersist !== undefined || ready.entriesToPersist.length > 0) {
        const written = this.options.store.write({
          snapshot: ready.snapshotToPersist,
          entries: ready.entriesToPersist,
        });
        if (this.options.testingOnlyBug === "followerAckBeforeFsync") written.catch(() => {});
        else await written;
      }
      if (ready.hardState !== undefined && this.mustSave(ready.hardState)) {
        await this.options.hardState.save(ready.hardState);
        this.savedHardState = ready.hardState;
      }
    } catch (error) {
      // Disk full or offline: what this Ready promised is not durable, so nothing of it may be sent or
      // applied, and the core cannot be advanced past it. The group stops for good.
      this.failStorage(error);
      return false;
    }
    // stop() during the write: the promises are already rejected, and nothing may leave after it.
    return this.stopReason === undefined;
  }

  private finishReady(ready: Ready, persisted: "durable" | "written"): void {
    this.persisted = this.options.store.persistedOffset;
    if (ready.messages.length > 0) this.options.send(ready.messages);
    this.apply(ready.committedEntries);
    this.core.advance(ready, persisted);
    this.inReady = false;
    this.feedBuffered();
    this.afterInput();
  }

  private onWriteDurable(last: Entry): void {
    if (this.stopReason !== undefined) return;
    this.persisted = this.options.store.persistedOffset;
    if (this.inReady) {
      this.bufferedDurable = last;
      return;
    }
    this.core.entriesDurable(last.lastOffset, last.epoch);
    this.afterInput();
  }

  private failStorage(error: unknown): void {
    if (this.stopReason !== undefined) return;
    this.logger.error("persist failed: stopping the raft group", { error });
    this.stop(new RaftGroupError("storageFailed", this.groupId, String(error)));
  }

  private apply(entries: readonly Entry[]): void {
    const last = entries.at(-1);
    if (last === undefined) return;
    assert(entries[0]!.baseOffset === this.applied + 1, `apply gap at ${entries[0]!.baseOffset}`);
    this.options.onCommitted?.(entries);
    this.applied = last.lastOffset;
  }

  /** Feeds the core what arrived during the write: proposals first, since their offsets were promised. */
  private feedBuffered(): void {
    const proposals = this.bufferedProposals;
    this.bufferedProposals = [];
    for (const buffered of proposals) {
      const result = this.core.propose(buffered.proposals);
      if (!result.ok) {
        const error = new RaftGroupError("proposalDropped", this.groupId, result.refusal);
        this.commitWaiters.rejectAbove(this.core.log.lastOffset(), error);
        this.persistWaiters.rejectAbove(this.core.log.lastOffset(), error);
        break;
      }
      assert(result.lastOffset === buffered.lastOffset, "buffered proposal got other offsets than promised");
    }
    const durable = this.bufferedDurable;
    this.bufferedDurable = undefined;
    if (durable !== undefined) this.core.entriesDurable(durable.lastOffset, durable.epoch);
    const steps = this.bufferedSteps;
    this.bufferedSteps = [];
    for (const message of steps) this.core.step(message);
    for (const peer of this.bufferedUnreachable) this.core.reportUnreachable(peer);
    this.bufferedUnreachable.clear();
    // Ticks that passed during a slow write count as one: the peers' messages of that time sat in our own
    // buffer, so replaying every tick after them would fake a silent leader and start a needless election.
    if (this.bufferedTicks > 0) this.core.tick();
    this.bufferedTicks = 0;
    if (this.bufferedFence !== undefined) {
      this.core.setVoteFence(this.bufferedFence);
      this.bufferedFence = undefined;
    }
    if (this.campaignRequested) {
      this.campaignRequested = false;
      this.core.campaign();
    }
    if (this.transferRequested) {
      this.transferRequested = false;
      this.startTransfer();
    }
    const quiesce = this.bufferedQuiesce;
    this.bufferedQuiesce = undefined;
    if (quiesce !== undefined) this.followerQuiesce(quiesce);
  }

  // ---- leadership transfer -------------------------------------------------------------------------------

  private startTransfer(): void {
    const pending = this.transfer;
    if (pending === undefined) return;
    pending.term = this.core.term;
    const result = this.core.transferLeadership(pending.target);
    if (!result.ok) this.settleTransfer({ ok: false, reason: result.detail ?? result.refusal });
  }

  /** After any input: whether the transfer under way has ended, and how. */
  private checkTransfer(): void {
    const pending = this.transfer;
    if (pending === undefined || this.transferRequested) return;
    const { role, leaderId, term } = this.core;
    const target = pending.target;
    if (role !== "leader" && leaderId === target) {
      this.settleTransfer({ ok: true });
    } else if (role === "leader" && term !== pending.term) {
      this.settleTransfer({ ok: false, reason: `this node leads again, in term ${term}` });
    } else if (role === "leader" && this.core.leadTransferee === null) {
      const reason = `node ${target} did not catch up within an election timeout`;
      this.settleTransfer({ ok: false, reason });
    } else if (role !== "leader" && leaderId !== null) {
      this.settleTransfer({ ok: false, reason: `node ${leaderId} leads instead of node ${target}` });
    } else if (this.ticks - pending.startedAtTick > transferElectionTimeoutsMax * this.electionTimeoutTicks) {
      this.settleTransfer({ ok: false, reason: `no leader emerged after handing over to node ${target}` });
    }
  }

  private settleTransfer(outcome: TransferOutcome): void {
    const pending = this.transfer;
    if (pending === undefined) return;
    this.transfer = undefined;
    this.transferRequested = false;
    pending.settle(outcome);
  }

  // ---- waiters and notifications -------------------------------------------------------------------------

  /** After any input: settle what passed, report leadership changes, drop waiters a lost leader holds. */
  private afterInput(): void {
    if (this.stopReason !== undefined) return;
    // Before settling: a leader deposed by this input may already hold the new leader's entries at its waiters'
    // offsets, committed and persisted — settling first would acknowledge records the new leader replaced.
    this.rejectDeposedWaiters();
    this.persistWaiters.settleThrough(this.persisted);
    this.commitWaiters.settleThrough(this.commitReadyOffset());
    // Readers see committed offsets only once this node's own log holds them: a follower learns a commit with
    // the append that carries its entries, before they are written — and over a tail of an old term that the
    // write will replace, which a read in between would otherwise serve as committed.
    const commit =
      this.options.testingOnlyBug === "readsPastCommit" && this.core.role !== "leader"
        ? this.core.log.lastOffset()
        : Math.min(this.core.commitOffset, this.core.log.unstableStart() - 1);
    if (commit > this.reportedCommit) {
      this.reportedCommit = commit;
      this.options.onHighWatermark?.(commit + 1);
    }
    this.noticeLeadership();
    this.checkTransfer();
    if (this.core.hasReady()) this.kick();
  }

  /**
   * Rejects every waiter once this node stops leading the term it was reported leading: what they wait for was
   * proposed in that term, and an offset passing the commit or persisted mark no longer says it was their entry.
   */
  private rejectDeposedWaiters(): void {
    const before = this.reported;
    if (before.role !== "leader" || (this.core.role === "leader" && this.core.term === before.term)) return;
    const error = new RaftGroupError(
      "notLeader",
      this.groupId,
      `now ${this.core.role} in term ${this.core.term}`,
    );
    this.commitWaiters.rejectAll(error);
    this.persistWaiters.rejectAll(error);
  }

  private noticeLeadership(): void {
    const now: LeadershipChange = {
      role: this.core.role,
      leaderId: this.core.leaderId,
      term: this.core.term,
    };
    const before = this.reported;
    if (now.role === before.role && now.leaderId === before.leaderId && now.term === before.term) return;
    this.reported = now;
    if (now.role === "leader" && before.role !== "leader") {
      // A new leader gives every follower a fresh lag window, as Kafka starts a new leader with the whole ISR.
      for (const id of this.core.config.voters) this.caughtUpAtTick.set(id, this.ticks);
    }
    // One line at info per change of leader of a replicated group (a campaign's intermediate roles, and a sole
    // voter electing itself at start, stay at debug).
    const replicated = this.core.config.voters.length > 1;
    const level = replicated && now.leaderId !== before.leaderId && now.leaderId !== null ? "info" : "debug";
    this.logger[level]("leadership changed", { role: now.role, leaderId: now.leaderId, term: now.term });
    this.options.onLeadership?.(now);
  }

  /** What waitForCommit waits on: the commit offset, and the applied offset when entries are delivered. */
  private commitReadyOffset(): number {
    const commit = this.core.commitOffset;
    return this.options.config.deliverCommittedEntries ? Math.min(commit, this.applied) : commit;
  }

  private refuseWait(): RaftGroupError | undefined {
    if (this.stopReason !== undefined) return this.stopReason;
    if (this.core.role !== "leader") return new RaftGroupError("notLeader", this.groupId);
    return undefined;
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

/** A small deterministic hash of a string (FNV-1a), to spread per-group work over ticks. */
function stringHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
