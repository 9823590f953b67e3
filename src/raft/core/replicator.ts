// The leader's side of replication: one Progress per follower, and the appends, snapshot chunks and heartbeats
// that go to each, paced by the probe / replicate / snapshot states and the inflight window.
import { assert } from "../../base/assert.ts";
import type { RaftConfig } from "./config.ts";
import type { LogView } from "./log-view.ts";
import { Progress } from "./progress.ts";
import { isQuorum } from "./quorum.ts";
import type { AppendResponseMessage, NodeId, OutgoingMessage, SnapshotResponseMessage } from "./types.ts";

export interface ReplicationContext {
  readonly id: NodeId;
  readonly log: LogView;
  readonly config: RaftConfig;
  commitOffset(): number;
  send(message: OutgoingMessage): void;
}

/**
 * sendIfEmpty: send an append even with no entries to carry, to a follower already replicating — it then
 * learns a new commit offset (after a commit, or a new leader's first word) instead of waiting for a heartbeat.
 */
export interface AppendOptions {
  readonly sendIfEmpty: boolean;
}

export class Replicator {
  readonly progress = new Map<NodeId, Progress>();

  constructor(private readonly context: ReplicationContext) {}

  get(id: NodeId): Progress | undefined {
    return this.progress.get(id);
  }

  /** Starts tracking a member; the leader believes it may hold everything up to nextOffset - 1. */
  track(id: NodeId, nextOffset: number): Progress {
    const progress = new Progress({
      nextOffset,
      inflightCountMax: this.context.config.inflightCountMax,
      inflightBytesMax: this.context.config.inflightBytesMax,
    });
    progress.recentActive = true;
    this.progress.set(id, progress);
    return progress;
  }

  /** Keeps exactly these members, adding the new ones at the log end. */
  retain(members: readonly NodeId[]): void {
    for (const id of [...this.progress.keys()]) if (!members.includes(id)) this.progress.delete(id);
    for (const id of members) if (!this.progress.has(id)) this.track(id, this.context.log.lastOffset() + 1);
  }

  clear(): void {
    this.progress.clear();
  }

  /** CheckQuorum: whether a quorum was heard from since the last call, which starts a new round. */
  quorumActive(voters: readonly NodeId[]): boolean {
    const self = this.context.id;
    const active = isQuorum(voters, (id) => id === self || this.progress.get(id)?.recentActive === true);
    for (const [id, progress] of this.progress) if (id !== self) progress.recentActive = false;
    return active;
  }

  /** Lost messages: a snapshot chunk or a pipeline of appends unanswered for an election timeout is resent. */
  resendStalled(): void {
    const timeoutTicks = this.context.config.electionTimeoutTicks;
    for (const [id, progress] of this.progress) {
      if (id === this.context.id) continue;
      if (progress.state === "snapshot") {
        progress.snapshotIdleTicks += 1;
        if (progress.snapshotIdleTicks >= timeoutTicks) this.sendSnapshotChunk(id, progress);
      } else if (progress.state === "replicate" && progress.inflights.size > 0) {
        progress.stalledTicks += 1;
        if (progress.stalledTicks >= timeoutTicks) {
          progress.becomeProbe();
          this.sendAppend(id, { sendIfEmpty: false });
        }
      }
    }
  }

  broadcastHeartbeat(readRequestId: number): void {
    const commit = this.context.commitOffset();
    for (const [id, progress] of this.progress) {
      if (id === this.context.id) continue;
      // A follower may learn only a commit its log is known to match.
      const commitOffset = Math.min(progress.matchOffset, commit);
      this.context.send({ type: "heartbeat", to: id, commitOffset, readRequestId });
    }
  }

  broadcastAppend(options: AppendOptions): void {
    for (const id of this.progress.keys()) if (id !== this.context.id) this.sendAppend(id, options);
  }

  /** Sends the next append (or snapshot chunk) to a follower; false when nothing went out. */
  sendAppend(to: NodeId, options: AppendOptions): boolean {
    const { log, config } = this.context;
    const progress = this.progress.get(to)!;
    if (progress.isPaused()) return false;
    if (progress.nextOffset <= log.mark().lastOffset) {
      progress.becomeSnapshot(log.mark().lastOffset);
      this.sendSnapshotChunk(to, progress);
      return true;
    }
    const entries = log.entries(progress.nextOffset, config.appendBytesMax);
    if (entries.length === 0 && !options.sendIfEmpty && progress.state === "replicate") return false;
    const prevOffset = progress.nextOffset - 1;
    const prevEpoch = log.epochOf(prevOffset);
    assert(prevEpoch !== undefined, `no epoch for prevOffset ${prevOffset}`);
    const commitOffset = this.context.commitOffset();
    this.context.send({ type: "append", to, prevOffset, prevEpoch, entries, commitOffset });
    const last = entries[entries.length - 1];
    if (last !== undefined) {
      let bytes = 0;
      for (const entry of entries) bytes += entry.byteSize;
      progress.sentEntries(last.lastOffset, bytes);
    } else if (progress.state === "probe") {
      progress.probeSent = true;
    }
    return true;
  }

  /** Sends appends while the window allows and entries remain. */
  sendWhileOpen(to: NodeId): void {
    const progress = this.progress.get(to);
    while (progress !== undefined && this.sendAppend(to, { sendIfEmpty: false })) {
      if (progress.nextOffset > this.context.log.lastOffset()) break;
    }
  }

  /** An accepted append: moves the follower's match and its state. False when the answer was stale. */
  accepted(progress: Progress, matchOffset: number): boolean {
    const probedAtMatch = progress.state === "probe" && matchOffset === progress.matchOffset;
    // A probe answered at the match already known (the first append of a leader over an empty log, say) has
    // found where the logs agree just as well as one that moved it (etcd does the same).
    if (!progress.maybeUpdate(matchOffset) && !probedAtMatch) return false;
    if (progress.state === "probe") progress.becomeReplicate();
    else if (progress.state === "snapshot" && progress.matchOffset >= progress.snapshotLastOffset) {
      progress.becomeReplicate();
    } else if (progress.state === "replicate") progress.inflights.freeTo(progress.matchOffset);
    return true;
  }

  /** Fast backup on a refused append: probe again from the follower's hint, one epoch at a time at worst. */
  rejected(message: AppendResponseMessage, progress: Progress): void {
    if (message.matchOffset < 0) return; // a stale-term notice, handled by the term rules
    if (progress.state === "snapshot") return;
    if (message.matchOffset <= progress.matchOffset) {
      // A reject of a point at or below the known match is stale (reordered behind a later acceptance) — unless
      // its hint says the follower now holds less than it acknowledged: it lost its log (a wiped disk, restarted
      // as the same member). Its match is forgotten and found again by probing; a stale reject taken for such a
      // loss only costs a probe, since a match known too low never commits anything.
      if (message.hintOffset >= progress.matchOffset) return;
      progress.forgetMatch();
    }
    if (progress.state === "probe" && message.matchOffset !== progress.nextOffset - 1) return;
    const log = this.context.log;
    const mark = log.mark();
    let next: number;
    if (message.hintOffset < mark.lastOffset) {
      next = message.hintOffset + 1; // behind our log start: the next send becomes a snapshot
    } else {
      next = log.matchCandidate(message.hintOffset, message.hintEpoch).offset + 1;
    }
    next = Math.max(next, progress.matchOffset + 1);
    if (next > message.matchOffset) {
      // The walk back reached our log start and that point was refused: only the snapshot is left.
      assert(message.matchOffset <= mark.lastOffset, "fast backup must move the probe back");
      next = message.matchOffset;
    }
    progress.becomeProbe();
    progress.nextOffset = next;
    this.sendAppend(message.from, { sendIfEmpty: false });
  }

  snapshotProgress(message: SnapshotResponseMessage): void {
    const progress = this.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    if (progress.state !== "snapshot" || message.snapshotLastOffset !== progress.snapshotLastOffset) return;
    progress.snapshotSentBytes = message.receivedBytes;
    this.sendSnapshotChunk(message.from, progress);
  }

  /** One chunk at a time, appendBytesMax each; the follower's answer asks for the next. */
  private sendSnapshotChunk(to: NodeId, progress: Progress): void {
    const snapshot = this.context.log.snapshot();
    if (snapshot.meta.lastOffset !== progress.snapshotLastOffset)
      progress.becomeSnapshot(snapshot.meta.lastOffset);
    const start = progress.snapshotSentBytes;
    const chunk = snapshot.data.subarray(start, start + this.context.config.appendBytesMax);
    progress.snapshotIdleTicks = 0;
    const dataBytes = snapshot.data.length;
    this.context.send({ type: "snapshot", to, meta: snapshot.meta, dataBytes, chunkStart: start, chunk });
  }
}
