// The Raft state machine of one group member: tick() and step() in, ready() out, advance() after the driver
// has persisted, sent and applied. No I/O, no clock, no randomness but the injected PRNG.
import { assert } from "../../base/assert.ts";
import type { RaftConfig, TestingOnlyBug } from "./config.ts";
import { validateRaftConfig } from "./config.ts";
import type { LogReader } from "./log-reader.ts";
import { LogView } from "./log-view.ts";
import type { ConfigChange } from "./membership.ts";
import { applyConfigChange, members } from "./membership.ts";
import type { Progress } from "./progress.ts";
import { quorumMatchOffset, voteOutcome } from "./quorum.ts";
import { ReadIndexQueue } from "./read-index.ts";
import { Replicator } from "./replicator.ts";
import { SnapshotReceiver } from "./snapshot-receiver.ts";
import type {
  AppendMessage,
  AppendResponseMessage,
  Entry,
  HardState,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  MembershipConfig,
  Message,
  NodeId,
  OutgoingMessage,
  Proposal,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMessage,
  SnapshotResponseMessage,
  VoteMessage,
  VoteResponseMessage,
} from "./types.ts";

export type Refusal =
  | "notLeader"
  | "transferring"
  | "uncommittedBytesFull"
  | "configChangePending"
  | "notCommittedInTerm"
  | "learnerBehind"
  | "readIndexFull"
  | "invalidConfigChange"
  | "invalidTransferTarget";

export type ProposeResult = { readonly ok: true; readonly lastOffset: number } | Refused;
export type Refused = { readonly ok: false; readonly refusal: Refusal; readonly detail?: string };

export interface RaftNodeOptions {
  readonly config: RaftConfig;
  readonly storage: LogReader;
  /** The hard state as last persisted; a new member starts from term 0, no vote, commit -1. */
  readonly hardState: HardState;
  /**
   * This member may have lost what it persisted (its data directory is new) and starts abstaining: it grants no
   * vote and starts no election until setVoteFence() and catching up end that (see Abstention below).
   */
  readonly abstaining?: boolean;
  /** For checking the simulator only: a deliberate bug. Never set from parsed configuration. */
  readonly testingOnlyBug?: TestingOnlyBug;
}

/**
 * What the other voters of the group answered when this member asked them, after it started, for their current
 * term and commit offset: the highest of each. Every term a lost earlier incarnation of this member could have
 * voted in is at most `term` (whoever it voted for was at that term, and answered at least that), and every entry
 * it could have acknowledged into a commit lies at or below the log a leader of a term ≥ `term` holds.
 */
export interface VoteFence {
  readonly term: number;
  readonly commitOffset: number;
  /** The term of a voter that answered as leader with an empty log (nothing was ever committed), or -1. */
  readonly emptyLogLeaderTerm: number;
}

interface PendingConfig {
  readonly offset: number;
  readonly config: MembershipConfig;
}

/**
 * A control batch is a 61-byte batch header and one small control record; the driver writes its payload.
 * Its size counts toward the byte limits like any other batch.
 */
const controlEntryBytes = 80;

export class RaftNode {
  readonly id: NodeId;
  readonly log: LogView;
  private readonly cfg: RaftConfig;
  private readonly bug: TestingOnlyBug | undefined;
  private currentTerm: number;
  private votedFor: NodeId | null;
  private leader: NodeId | null = null;
  private currentRole: Role = "follower";
  private commit: number;
  private applied: number;
  /** The last offset the driver has persisted; the leader's own match, so it counts only durable entries. */
  private durableOffset: number;
  private membership: MembershipConfig;
  private pendingConfigs: PendingConfig[] = [];
  private readonly replicator: Replicator;
  private readonly votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private transferTarget: NodeId | null = null;
  /**
   * The offset of this leader's control batch: reads and config changes wait until it commits. -1 for a
   * leader elected over an empty log, which has no earlier epoch to commit and appends none.
   */
  private termStartOffset = Number.MAX_SAFE_INTEGER;
  private uncommittedBytes = 0;
  private uncommittedTail: Array<{ lastOffset: number; byteSize: number }> = [];
  private outbox: Message[] = [];
  private readStates: ReadState[] = [];
  private readonly reads: ReadIndexQueue;
  private persisted: HardState;
  private readonly receiver = new SnapshotReceiver();
  private inReady = false;
  /**
   * Abstention: set while this member must not vote because it may have lost its durable state (a wiped disk).
   * Voting again with an empty memory could grant a second vote in a term its lost incarnation already voted in
   * (two leaders in one term), or elect a leader that lacks entries the lost incarnation had acknowledged. So an
   * abstaining member replicates and acknowledges (its acknowledgements are durable again) but grants no vote,
   * pre-votes included, and never campaigns, until (1) it knows the fence (setVoteFence: every other voter's term
   * and commit offset, asked after it started) and (2) it follows a leader of a term at or above the fence term
   * whose term start it holds (so it holds that leader's whole earlier log, which contains every entry committed
   * in earlier terms) and its commit offset reached the fence's (entries that leader itself committed before);
   * or that leader answered with an empty log in that term (so nothing was ever committed). A fence term of 0
   * ends it at once: no voter has seen an election, so no vote was ever cast that won anything. Answers must be
   * asked for, not read off Raft messages: a message queued for the lost incarnation may arrive late and old.
   * `fence` is null until it is known.
   */
  private abstention: { fence: VoteFence | null } | null;

  constructor(options: RaftNodeOptions) {
    const invalid = validateRaftConfig(options.config);
    assert(invalid === undefined, `invalid raft config: ${invalid}`);
    this.cfg = options.config;
    this.bug = options.testingOnlyBug;
    this.id = options.config.id;
    this.log = new LogView(options.storage);
    this.reads = new ReadIndexQueue(options.config.readIndexPendingMax);
    this.replicator = new Replicator({
      id: this.id,
      log: this.log,
      config: this.cfg,
      commitOffset: () => this.commit,
      send: (message) => this.send(message),
    });
    const state = options.hardState;
    const mark = this.log.mark();
    this.persisted = state;
    this.currentTerm = state.term;
    this.votedFor = state.votedFor;
    // A snapshot persisted just before a crash may be newer than the hard state written after it.
    this.commit = Math.max(state.commitOffset, mark.lastOffset);
    this.membership = mark.lastOffset > state.commitOffset ? mark.config : state.config;
    assert(this.commit <= this.log.lastOffset(), "commit offset beyond the log");
    this.applied = mark.lastOffset;
    this.durableOffset = this.log.lastOffset();
    this.collectPendingConfigs(this.commit + 1);
    this.abstention = options.abstaining === true ? { fence: null } : null;
    this.resetElectionTimeout();
  }

  get term(): number {
    return this.currentTerm;
  }
  get role(): Role {
    return this.currentRole;
  }
  get leaderId(): NodeId | null {
    return this.leader;
  }
  get commitOffset(): number {
    return this.commit;
  }
  /** Kafka's high watermark: the first offset not yet committed. */
  get highWatermark(): number {
    return this.commit + 1;
  }
  get config(): MembershipConfig {
    return this.membership;
  }
  /** True while this member grants no vote and starts no election (it may have lost its durable state). */
  get abstaining(): boolean {
    return this.abstention !== null;
  }
  progressOf(id: NodeId): Progress | undefined {
    return this.replicator.get(id);
  }
  /** The voter this leader is handing over to (transferLeadership), or null when no transfer is under way. */
  get leadTransferee(): NodeId | null {
    return this.transferTarget;
  }

  // ---- inputs -------------------------------------------------------------------------------------------

  tick(): void {
    assert(!this.inReady, "tick between ready() and advance()");
    if (this.currentRole === "leader") this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (tests, and a driver that knows the leader is gone). */
  campaign(): void {
    assert(!this.inReady, "campaign between ready() and advance()");
    this.hup();
  }

  step(message: Message): void {
    assert(!this.inReady, "step between ready() and advance()");
    assert(message.to === this.id, "message for another node");
    if (message.term > this.currentTerm) {
      if (!this.acceptHigherTerm(message)) return;
    } else if (message.term < this.currentTerm) {
      this.answerStaleTerm(message);
      return;
    }
    this.dispatch(message);
  }

  propose(proposals: readonly Proposal[]): ProposeResult {
    assert(!this.inReady, "propose between ready() and advance()");
    const refused = this.refuseProposal();
    if (refused !== undefined) return refused;
    let bytes = 0;
    for (const proposal of proposals) bytes += proposal.byteSize;
    const limit = this.cfg.uncommittedBytesMax;
    if (limit > 0 && this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > limit) {
      return { ok: false, refusal: "uncommittedBytesFull" };
    }
    let next = this.log.lastOffset() + 1;
    const entries: Entry[] = [];
    for (const proposal of proposals) {
      assert(proposal.recordCount >= 1, "a batch holds at least one record");
      const lastOffset = next + proposal.recordCount - 1;
      entries.push({
        baseOffset: next,
        lastOffset,
        epoch: this.currentTerm,
        kind: "data",
        byteSize: proposal.byteSize,
        payload: proposal.payload,
      });
      next = lastOffset + 1;
    }
    this.appendAsLeader(entries);
    return { ok: true, lastOffset: next - 1 };
  }

  proposeConfigChange(change: ConfigChange, payload: Uint8Array = new Uint8Array(0)): ProposeResult {
    assert(!this.inReady, "propose between ready() and advance()");
    const refused = this.refuseProposal();
    if (refused !== undefined) return refused;
    if (this.pendingConfigs.length > 0) return { ok: false, refusal: "configChangePending" };
    // Ongaro's fix for single-server changes: a leader changes membership only after committing in its term.
    if (this.commit < this.termStartOffset) return { ok: false, refusal: "notCommittedInTerm" };
    if (change.type === "promoteLearner") {
      const match = this.replicator.get(change.node)?.matchOffset ?? -1;
      if (match < this.commit) return { ok: false, refusal: "learnerBehind" };
    }
    const next = applyConfigChange(this.membership, change);
    if (typeof next === "string") return { ok: false, refusal: "invalidConfigChange", detail: next };
    const offset = this.log.lastOffset() + 1;
    this.appendAsLeader([
      {
        baseOffset: offset,
        lastOffset: offset,
        epoch: this.currentTerm,
        kind: "config",
        byteSize: payload.length,
        payload,
        config: next,
      },
    ]);
    return { ok: true, lastOffset: offset };
  }

  /** Asks for a linearizable read; the answer arrives as a ReadState in a later (or the next) Ready. */
  readIndex(requestId: number): { ok: true } | Refused {
    assert(!this.inReady, "readIndex between ready() and advance()");
    if (this.currentRole !== "leader") return { ok: false, refusal: "notLeader" };
    if (this.commit < this.termStartOffset) return { ok: false, refusal: "notCommittedInTerm" };
    if (this.membership.voters.length === 1) {
      this.readStates.push({ commitOffset: this.commit, requestId });
      return { ok: true };
    }
    if (this.reads.isFull()) return { ok: false, refusal: "readIndexFull" };
    this.reads.add(requestId, this.commit, this.id);
    this.replicator.broadcastHeartbeat(this.reads.newestRequestId());
    return { ok: true };
  }

  transferLeadership(target: NodeId): { ok: true } | Refused {
    assert(!this.inReady, "transfer between ready() and advance()");
    if (this.currentRole !== "leader") return { ok: false, refusal: "notLeader" };
    if (target === this.id || !this.membership.voters.includes(target)) {
      return { ok: false, refusal: "invalidTransferTarget", detail: `node ${target} cannot take over` };
    }
    this.transferTarget = target;
    this.electionElapsed = 0;
    const progress = this.replicator.get(target)!;
    if (progress.matchOffset === this.log.lastOffset()) {
      this.send({ type: "timeoutNow", to: target });
    } else {
      // Catch the target up now: restart from its match rather than wait on appends that may be lost.
      if (progress.state === "replicate") progress.becomeProbe();
      this.replicator.sendAppend(target, { sendIfEmpty: false });
    }
    return { ok: true };
  }

  /** The other voters' answers are in (see Abstention); the abstention ends now or once caught up. */
  setVoteFence(fence: VoteFence): void {
    assert(!this.inReady, "setVoteFence between ready() and advance()");
    assert(
      fence.term >= 0 && fence.commitOffset >= -1 && fence.emptyLogLeaderTerm <= fence.term,
      `bad vote fence ${JSON.stringify(fence)}`,
    );
    if (this.abstention === null) return;
    this.abstention.fence = fence;
    this.maybeEndAbstention();
  }

  /** The driver could not reach a peer: appends in flight to it are presumed lost and resent from its match. */
  reportUnreachable(id: NodeId): void {
    const progress = this.replicator.get(id);
    if (this.currentRole === "leader" && progress?.state === "replicate") progress.becomeProbe();
  }

  /**
   * A follower forgets its leader (etcd's ForgetLeader) and stays a follower in its term: a leaderless follower
   * grants pre-votes and votes at once instead of honouring the leader's lease. For a driver whose own failure
   * detector says the leader is gone (quiesced groups hear their leader only through node heartbeats); hearing
   * from the leader again makes it the leader here again.
   */
  forgetLeader(): void {
    assert(!this.inReady, "forgetLeader between ready() and advance()");
    if (this.currentRole === "follower") this.leader = null;
  }

  // ---- ready / advance ----------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.outbox.length > 0 ||
      this.readStates.length > 0 ||
      this.log.unstableEntries().length > 0 ||
      this.log.pendingSnapshot() !== undefined ||
      this.commit > this.applied ||
      !sameHardState(this.hardState(), this.persisted)
    );
  }

  ready(): Ready {
    assert(!this.inReady, "ready() twice without advance()");
    this.inReady = true;
    const state = this.hardState();
    const messages = this.outbox;
    const readStates = this.readStates;
    this.outbox = [];
    this.readStates = [];
    return {
      hardState: sameHardState(state, this.persisted) ? undefined : state,
      snapshotToPersist: this.log.pendingSnapshot(),
      entriesToPersist: [...this.log.unstableEntries()],
      messages,
      committedEntries: this.committedEntries(),
      readStates,
      role: this.currentRole,
      leaderId: this.leader,
      term: this.currentTerm,
    };
  }

  /**
   * The driver has persisted, sent and applied everything in ready. With "written", the Ready's entries are
   * written where the storage reader sees them but not yet durable: the driver reports that later through
   * entriesDurable(). Only a leader's Ready that changes no term, vote or membership may be advanced so
   * (see mayAdvanceWritten): its messages claim nothing about its own log, and its own vote toward a commit
   * waits for entriesDurable (Raft thesis §10.2.1, etcd's asynchronous storage writes).
   */
  advance(ready: Ready, persisted: "durable" | "written" = "durable"): void {
    assert(this.inReady, "advance() without ready()");
    this.inReady = false;
    if (persisted === "written")
      assert(this.mayAdvanceWritten(ready), "advance(written) of a Ready that must be durable");
    this.log.stableTo({
      snapshot: ready.snapshotToPersist !== undefined,
      entryCount: ready.entriesToPersist.length,
    });
    const lastEntry = ready.entriesToPersist[ready.entriesToPersist.length - 1];
    if (persisted === "durable") {
      if (lastEntry !== undefined) this.durableOffset = lastEntry.lastOffset;
      else if (ready.snapshotToPersist !== undefined)
        this.durableOffset = ready.snapshotToPersist.meta.lastOffset;
    }
    if (ready.hardState !== undefined) this.persisted = ready.hardState;
    const lastApplied = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastApplied !== undefined) this.applied = Math.max(this.applied, lastApplied.lastOffset);
    if (!this.cfg.deliverCommittedEntries) this.applied = Math.max(this.applied, this.persisted.commitOffset);
    if (this.currentRole === "leader") {
      this.replicator.get(this.id)!.maybeUpdate(Math.min(this.durableOffset, this.log.lastOffset()));
      if (this.maybeCommit()) this.replicator.broadcastAppend({ sendIfEmpty: true });
    }
  }

  /**
   * Whether the driver may send and advance ready before its entries are durable: a leader's Ready with no
   * snapshot whose hard state, if any, moved only the commit offset (which need not be durable).
   */
  mayAdvanceWritten(ready: Ready): boolean {
    const state = ready.hardState;
    return (
      ready.role === "leader" &&
      ready.snapshotToPersist === undefined &&
      (state === undefined ||
        (state.term === this.persisted.term &&
          state.votedFor === this.persisted.votedFor &&
          state.config === this.persisted.config))
    );
  }

  /**
   * The driver's write of the entry ending at offset, in epoch, has reached the disk, and with it everything
   * written before it. Ignored when the log no longer holds that entry (a leader since cut it away): a stale
   * report must never vouch for entries written after it.
   */
  entriesDurable(offset: number, epoch: number): void {
    assert(!this.inReady, "entriesDurable between ready() and advance()");
    if (offset <= this.durableOffset || offset >= this.log.unstableStart()) return;
    if (!this.holds(offset, epoch)) return;
    this.durableOffset = offset;
    if (this.currentRole === "leader") {
      this.replicator.get(this.id)?.maybeUpdate(this.durableOffset);
      if (this.maybeCommit()) this.replicator.broadcastAppend({ sendIfEmpty: true });
    }
  }

  private hardState(): HardState {
    const votedFor = this.bug === "skipVotePersist" ? null : this.votedFor;
    return { term: this.currentTerm, votedFor, commitOffset: this.commit, config: this.membership };
  }

  private committedEntries(): Entry[] {
    if (!this.cfg.deliverCommittedEntries || this.commit <= this.applied) return [];
    const bytesMax = this.cfg.applyBytesMax === 0 ? Number.MAX_SAFE_INTEGER : this.cfg.applyBytesMax;
    const entries = this.log.entries(this.applied + 1, bytesMax);
    let count = 0;
    while (count < entries.length && entries[count]!.lastOffset <= this.commit) count += 1;
    entries.length = count;
    return entries;
  }

  // ---- terms and roles ----------------------------------------------------------------------------------

  /** A message from a higher term: false when it is to be dropped. */
  private acceptHigherTerm(message: Message): boolean {
    if (message.type === "vote") {
      const inLease =
        this.cfg.checkQuorum && this.leader !== null && this.electionElapsed < this.cfg.electionTimeoutTicks;
      // A node that still hears from its leader ignores campaigns, unless the leader itself hands over.
      if (inLease && !message.transfer) return false;
      if (message.preVote) return true;
    }
    if (message.type === "voteResponse" && message.preVote && message.granted) return true;
    const fromLeader =
      message.type === "append" || message.type === "heartbeat" || message.type === "snapshot";
    // Figure 2: only a leader's append or a granted vote restarts the election timer. A higher term seen in a
    // vote request that this node may refuse must not, or a candidate with a stale log could keep the
    // up-to-date nodes from ever timing out.
    const elapsed = this.electionElapsed;
    const timeout = this.randomizedElectionTicks;
    const wasFollower = this.currentRole === "follower";
    this.becomeFollower(message.term, fromLeader ? message.from : null);
    if (message.type === "vote" && wasFollower) {
      this.electionElapsed = elapsed;
      this.randomizedElectionTicks = timeout;
    }
    return true;
  }

  private answerStaleTerm(message: Message): void {
    if (
      (message.type === "append" || message.type === "heartbeat") &&
      (this.cfg.checkQuorum || this.cfg.preVote)
    ) {
      // Tells a leader cut off by a partition that a newer term exists, so it steps down.
      this.send({
        type: "appendResponse",
        to: message.from,
        reject: true,
        matchOffset: -1,
        hintOffset: -1,
        hintEpoch: 0,
      });
    } else if (message.type === "vote" && message.preVote) {
      this.send({ type: "voteResponse", to: message.from, preVote: true, granted: false });
    }
  }

  private dispatch(message: Message): void {
    switch (message.type) {
      case "vote":
        this.handleVote(message);
        return;
      case "voteResponse":
        this.handleVoteResponse(message);
        return;
      case "append":
        this.followLeader(message.from);
        this.handleAppend(message);
        return;
      case "heartbeat":
        this.followLeader(message.from);
        this.handleHeartbeat(message);
        return;
      case "snapshot":
        this.followLeader(message.from);
        this.handleSnapshot(message);
        return;
      case "appendResponse":
        if (this.currentRole === "leader") this.handleAppendResponse(message);
        return;
      case "heartbeatResponse":
        if (this.currentRole === "leader") this.handleHeartbeatResponse(message);
        return;
      case "snapshotResponse":
        if (this.currentRole === "leader") this.replicator.snapshotProgress(message);
        return;
      case "timeoutNow":
        if (this.isPromotable()) this.campaignNow({ transfer: true });
        return;
    }
  }

  private followLeader(from: NodeId): void {
    assert(this.currentRole !== "leader", `two leaders in term ${this.currentTerm}`);
    if (this.currentRole !== "follower") this.becomeFollower(this.currentTerm, from);
    this.leader = from;
    this.electionElapsed = 0;
  }

  private reset(term: number): void {
    if (term !== this.currentTerm) {
      this.currentTerm = term;
      this.votedFor = null;
      this.receiver.reset();
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
    this.transferTarget = null;
    this.votes.clear();
    this.replicator.clear();
    this.reads.clear();
    this.uncommittedBytes = 0;
    this.uncommittedTail = [];
    this.termStartOffset = Number.MAX_SAFE_INTEGER;
  }

  private resetElectionTimeout(): void {
    const base = this.cfg.electionTimeoutTicks;
    this.randomizedElectionTicks = base + this.cfg.randomInt(base);
  }

  private becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this.currentRole = "follower";
    this.leader = leader;
  }

  private becomeLeader(): void {
    assert(this.currentRole === "candidate", "only a candidate becomes leader");
    this.reset(this.currentTerm);
    this.currentRole = "leader";
    this.leader = this.id;
    const next = this.log.lastOffset() + 1;
    for (const id of members(this.membership)) this.replicator.track(id, next);
    const self = this.replicator.get(this.id);
    if (self !== undefined) {
      self.maybeUpdate(Math.min(this.durableOffset, this.log.lastOffset()));
      self.becomeReplicate();
    }
    if (next === 0) {
      // A virgin log: nothing was ever committed (a majority granted a vote to an empty log, so theirs were
      // empty too), so there is no earlier epoch to commit and no control batch is needed: a new partition's
      // first record gets offset 0, as in Kafka. The followers still hear of their leader at once.
      this.termStartOffset = -1;
      this.replicator.broadcastAppend({ sendIfEmpty: true });
      return;
    }
    // The control batch of this epoch: committing it commits every earlier epoch's entries (figure 8).
    this.termStartOffset = next;
    this.appendAsLeader([
      {
        baseOffset: next,
        lastOffset: next,
        epoch: this.currentTerm,
        kind: "control",
        byteSize: controlEntryBytes,
        payload: new Uint8Array(0),
      },
    ]);
  }

  private isPromotable(): boolean {
    return this.abstention === null && this.membership.voters.includes(this.id);
  }

  private maybeEndAbstention(): void {
    const fence = this.abstention?.fence;
    if (fence === null || fence === undefined) return;
    if (fence.term > 0) {
      if (this.currentRole !== "follower" || this.leader === null || this.currentTerm < fence.term) return;
      const holdsLeaderLog = this.log.lastEpoch() === this.currentTerm && this.commit >= fence.commitOffset;
      const nothingCommitted = fence.commitOffset === -1 && fence.emptyLogLeaderTerm === this.currentTerm;
      if (!holdsLeaderLog && !nothingCommitted) return;
    }
    this.abstention = null;
  }

  // ---- elections ----------------------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed += 1;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTicks) {
      this.electionElapsed = 0;
      this.hup();
    }
  }

  /** An election this node starts on its own (its timeout, or campaign()): with a pre-vote round if configured. */
  private hup(): void {
    if (this.currentRole === "leader" || !this.isPromotable()) return;
    if (this.cfg.preVote) this.preCampaign();
    else this.campaignNow({ transfer: false });
  }

  private preCampaign(): void {
    this.reset(this.currentTerm);
    this.currentRole = "preCandidate";
    this.votes.set(this.id, true);
    if (voteOutcome(this.membership.voters, this.votes) === "won") {
      this.campaignNow({ transfer: false });
      return;
    }
    this.requestVotes({ term: this.currentTerm + 1, preVote: true, transfer: false });
  }

  /** `transfer`: the leader handed over (timeoutNow), so voters grant even while they still hear from it. */
  private campaignNow(options: { transfer: boolean }): void {
    this.reset(this.currentTerm + 1);
    this.currentRole = "candidate";
    this.votedFor = this.id;
    this.votes.set(this.id, true);
    if (voteOutcome(this.membership.voters, this.votes) === "won") {
      this.becomeLeader();
      return;
    }
    this.requestVotes({ term: this.currentTerm, preVote: false, transfer: options.transfer });
  }

  private requestVotes(request: { term: number; preVote: boolean; transfer: boolean }): void {
    for (const id of this.membership.voters) {
      if (id === this.id) continue;
      this.outbox.push({
        type: "vote",
        from: this.id,
        to: id,
        term: request.term,
        preVote: request.preVote,
        lastOffset: this.log.lastOffset(),
        lastEpoch: this.log.lastEpoch(),
        transfer: request.transfer,
      });
    }
  }

  private handleVote(message: VoteMessage): void {
    const canVote =
      this.abstention === null &&
      (this.votedFor === message.from ||
        (this.votedFor === null && this.leader === null) ||
        (message.preVote && message.term > this.currentTerm));
    if (canVote && this.log.isUpToDate(message.lastOffset, message.lastEpoch)) {
      // A granted pre-vote answers in the asked-for term, so the pre-candidate does not step down.
      this.outbox.push({
        type: "voteResponse",
        from: this.id,
        to: message.from,
        term: message.term,
        preVote: message.preVote,
        granted: true,
      });
      if (!message.preVote) {
        this.electionElapsed = 0;
        this.votedFor = message.from;
      }
    } else {
      this.send({ type: "voteResponse", to: message.from, preVote: message.preVote, granted: false });
    }
  }

  private handleVoteResponse(message: VoteResponseMessage): void {
    const expected =
      this.currentRole === "preCandidate" ? true : this.currentRole === "candidate" ? false : undefined;
    if (expected !== message.preVote) return;
    this.votes.set(message.from, message.granted);
    const outcome = voteOutcome(this.membership.voters, this.votes);
    if (outcome === "won") {
      if (this.currentRole === "preCandidate") this.campaignNow({ transfer: false });
      else this.becomeLeader();
    } else if (outcome === "lost") {
      this.becomeFollower(this.currentTerm, null);
    }
  }

  // ---- follower side of replication ---------------------------------------------------------------------

  private handleAppend(message: AppendMessage): void {
    if (message.prevOffset < this.commit) {
      this.acceptAppend(message.from, this.commit);
      return;
    }
    if (!this.log.matches(message.prevOffset, message.prevEpoch)) {
      const hint = this.log.matchCandidate(message.prevOffset, message.prevEpoch);
      this.send({
        type: "appendResponse",
        to: message.from,
        reject: true,
        matchOffset: message.prevOffset,
        hintOffset: hint.offset,
        hintEpoch: hint.epoch,
      });
      return;
    }
    const lastNew = message.entries[message.entries.length - 1]?.lastOffset ?? message.prevOffset;
    this.appendFromLeader(message.entries);
    this.commitTo(Math.min(message.commitOffset, lastNew));
    this.acceptAppend(message.from, lastNew);
    this.maybeEndAbstention();
  }

  private acceptAppend(to: NodeId, matchOffset: number): void {
    this.send({ type: "appendResponse", to, reject: false, matchOffset, hintOffset: -1, hintEpoch: 0 });
  }

  /** Skips entries already held, truncates the divergent suffix at the first conflict, appends the rest. */
  private appendFromLeader(entries: readonly Entry[]): void {
    let first = 0;
    while (first < entries.length && this.log.matches(entries[first]!.lastOffset, entries[first]!.epoch))
      first += 1;
    if (first === entries.length) return;
    const fresh = entries.slice(first);
    const base = fresh[0]!.baseOffset;
    assert(base > this.commit, `truncating committed offset ${base} (commit ${this.commit})`);
    this.durableOffset = Math.min(this.durableOffset, base - 1);
    this.pendingConfigs = this.pendingConfigs.filter((pending) => pending.offset < base);
    this.log.append(fresh);
    for (const entry of fresh) this.notePendingConfig(entry);
  }

  private handleHeartbeat(message: HeartbeatMessage): void {
    if (message.commitOffset > this.log.lastOffset()) {
      // The leader sends a commit offset only up to what this member acknowledged: holding less means the log it
      // acknowledged is lost (a wiped disk). A reject with this log's end as the hint makes the leader probe again.
      this.send({
        type: "appendResponse",
        to: message.from,
        reject: true,
        matchOffset: message.commitOffset,
        hintOffset: this.log.lastOffset(),
        hintEpoch: this.log.lastEpoch(),
      });
    }
    this.commitTo(Math.min(message.commitOffset, this.log.lastOffset()));
    this.maybeEndAbstention();
    const response: Omit<HeartbeatResponseMessage, "from" | "term"> = {
      type: "heartbeatResponse",
      to: message.from,
      readRequestId: message.readRequestId,
    };
    this.send(response);
  }

  private handleSnapshot(message: SnapshotMessage): void {
    const meta = message.meta;
    if (meta.lastOffset <= this.commit) {
      this.receiver.reset();
      this.acceptAppend(message.from, this.commit);
      return;
    }
    const received = this.receiver.accept(message);
    if (typeof received === "number") {
      this.sendSnapshotResponse(message, received);
      return;
    }
    this.restore(received);
    this.acceptAppend(message.from, meta.lastOffset);
    this.maybeEndAbstention();
  }

  private sendSnapshotResponse(message: SnapshotMessage, receivedBytes: number): void {
    const response: Omit<SnapshotResponseMessage, "from" | "term"> = {
      type: "snapshotResponse",
      to: message.from,
      snapshotLastOffset: message.meta.lastOffset,
      receivedBytes,
    };
    this.send(response);
  }

  private restore(snapshot: Snapshot): void {
    const meta = snapshot.meta;
    if (this.log.matches(meta.lastOffset, meta.lastEpoch)) {
      // The log already holds the snapshot's last entry: keep the log and only move the commit.
      this.commitTo(meta.lastOffset);
      return;
    }
    this.log.restore(snapshot);
    this.commit = meta.lastOffset;
    this.applied = meta.lastOffset;
    this.durableOffset = Math.min(this.durableOffset, meta.lastOffset);
    this.membership = meta.config;
    this.pendingConfigs = [];
  }

  private commitTo(offset: number): void {
    if (offset <= this.commit) return;
    assert(offset <= this.log.lastOffset(), `commit ${offset} beyond the log end ${this.log.lastOffset()}`);
    this.commit = offset;
    this.dropCommittedTail();
    this.applyCommittedConfigs();
  }

  // ---- membership ---------------------------------------------------------------------------------------

  private collectPendingConfigs(fromOffset: number): void {
    let from = fromOffset;
    while (from <= this.log.lastOffset()) {
      const entries = this.log.entries(from, this.cfg.appendBytesMax);
      for (const entry of entries) this.notePendingConfig(entry);
      from = entries[entries.length - 1]!.lastOffset + 1;
    }
  }

  private notePendingConfig(entry: Entry): void {
    if (entry.kind !== "config") return;
    assert(entry.config !== undefined, "a config entry carries its config");
    this.pendingConfigs.push({ offset: entry.lastOffset, config: entry.config });
  }

  /** Membership takes effect when its entry commits (one change at a time keeps majorities overlapping). */
  private applyCommittedConfigs(): void {
    let changed = false;
    while (this.pendingConfigs.length > 0 && this.pendingConfigs[0]!.offset <= this.commit) {
      this.membership = this.pendingConfigs.shift()!.config;
      changed = true;
    }
    if (changed && this.currentRole === "leader") this.leaderConfigChanged();
  }

  private leaderConfigChanged(): void {
    if (!this.membership.voters.includes(this.id)) {
      this.becomeFollower(this.currentTerm, null);
      return;
    }
    const all = members(this.membership);
    this.replicator.retain(all);
    if (this.transferTarget !== null && !this.membership.voters.includes(this.transferTarget)) {
      this.transferTarget = null;
    }
  }

  // ---- leader side of replication -----------------------------------------------------------------------

  private refuseProposal(): Refused | undefined {
    if (this.currentRole !== "leader") return { ok: false, refusal: "notLeader" };
    if (this.transferTarget !== null) return { ok: false, refusal: "transferring" };
    return undefined;
  }

  private appendAsLeader(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.log.append(entries);
    for (const entry of entries) {
      this.uncommittedBytes += entry.byteSize;
      this.uncommittedTail.push({ lastOffset: entry.lastOffset, byteSize: entry.byteSize });
      this.notePendingConfig(entry);
    }
    this.replicator.broadcastAppend({ sendIfEmpty: false });
  }

  private dropCommittedTail(): void {
    let drop = 0;
    while (drop < this.uncommittedTail.length && this.uncommittedTail[drop]!.lastOffset <= this.commit) {
      this.uncommittedBytes -= this.uncommittedTail[drop]!.byteSize;
      drop += 1;
    }
    if (drop > 0) this.uncommittedTail = this.uncommittedTail.slice(drop);
  }

  /**
   * Whether the log holds `offset` in `epoch`. A leader's own epoch starts at termStartOffset and is never
   * truncated, so it answers for those entries itself; others ask the log, which may have to read the disk.
   */
  private holds(offset: number, epoch: number): boolean {
    if (epoch === this.currentTerm && offset >= this.termStartOffset) return offset <= this.log.lastOffset();
    return this.log.matches(offset, epoch);
  }

  private maybeCommit(): boolean {
    const candidate = quorumMatchOffset(
      this.membership.voters,
      (id) => this.replicator.get(id)?.matchOffset ?? -1,
    );
    if (candidate <= this.commit) return false;
    // Figure 8: counting replicas commits only entries of the leader's own epoch, which are those from its
    // control batch on (termStartOffset): known without asking the log, which may have to read the disk.
    if (this.bug !== "commitOldTermByCount" && candidate < this.termStartOffset) return false;
    this.commitTo(candidate);
    if (this.currentRole === "leader") this.maybeCommit();
    return true;
  }

  private tickLeader(): void {
    this.heartbeatElapsed += 1;
    this.electionElapsed += 1;
    if (this.electionElapsed >= this.cfg.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.replicator.quorumActive(this.membership.voters)) {
        this.becomeFollower(this.currentTerm, null);
        return;
      }
      this.transferTarget = null;
    }
    this.replicator.resendStalled();
    if (this.heartbeatElapsed >= this.cfg.heartbeatIntervalTicks) {
      this.heartbeatElapsed = 0;
      this.replicator.broadcastHeartbeat(this.reads.newestRequestId());
    }
  }

  private handleAppendResponse(message: AppendResponseMessage): void {
    const progress = this.replicator.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    if (message.reject) {
      this.replicator.rejected(message, progress);
      return;
    }
    const wasPaused = progress.isPaused();
    if (!this.replicator.accepted(progress, message.matchOffset)) return;
    if (this.maybeCommit()) {
      if (this.currentRole !== "leader") return;
      this.replicator.broadcastAppend({ sendIfEmpty: true });
    } else if (wasPaused) {
      this.replicator.sendAppend(message.from, { sendIfEmpty: false });
    }
    this.replicator.sendWhileOpen(message.from);
    if (message.from === this.transferTarget && progress.matchOffset === this.log.lastOffset()) {
      this.send({ type: "timeoutNow", to: message.from });
    }
  }

  private handleHeartbeatResponse(message: HeartbeatResponseMessage): void {
    const progress = this.replicator.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.probeSent = false;
    if (progress.matchOffset < this.log.lastOffset())
      this.replicator.sendAppend(message.from, { sendIfEmpty: false });
    if (message.readRequestId >= 0) {
      for (const read of this.reads.acknowledge(
        message.from,
        message.readRequestId,
        this.membership.voters,
      )) {
        this.readStates.push(read);
      }
    }
  }

  private send(message: OutgoingMessage): void {
    this.outbox.push({ ...message, from: this.id, term: this.currentTerm } as Message);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return (
    a.term === b.term &&
    a.votedFor === b.votedFor &&
    a.commitOffset === b.commitOffset &&
    a.config === b.config
  );
}
