// The cluster metadata kept in its own Raft group (KRaft's __cluster_metadata): proposals are batches of JSON
// metadata records; every node applies committed batches, in offset order, to its MetadataState. Standalone
// runs a group of one voter, so topics survive restarts through the same log as a cluster's would.
//
// Any node may change the metadata; only the group's leader (the controller) appends. A node that does not lead
// plans the change against its own applied state and forwards the records together with the state's version
// (the offset of the last data entry it applied). The leader appends them only if its state is at that same
// version — it is then the state they were planned against, so they are valid there too; otherwise it answers
// "stale" with its own applied offset, and the node catches up to it and plans again (optimistic concurrency:
// two nodes creating one topic can never both pass their checks). The leader itself plans only once it has
// applied everything its log held when it was elected (its own term's first entry committed and applied): a
// plan against a state older than that could produce a record that fails an assertion on every node.

import type { Clock, Scheduler } from "../../base/clock.ts";
import { buildBatch } from "../../protocol/records/batch-builder.ts";
import { readAllRecords } from "../../protocol/records/batch-records.ts";
import type { Entry, NodeId, Proposal, ProposeResult } from "../../raft/core/index.ts";
import { HighWatermark } from "../high-watermark.ts";
import type { CommandResult } from "./metadata-commands.ts";
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from "./metadata-records.ts";
import type { MetadataPlan, MetadataService } from "./metadata-service.ts";
import { MetadataState } from "./metadata-state.ts";

/** What the service needs of the metadata Raft group. */
export interface MetadataLog {
  readonly isLeader: boolean;
  /** The leader as this node knows it; null while there is none. */
  readonly leaderId: NodeId | null;
  /** The last offset in this node's log (durable or not). */
  readonly lastOffset: number;
  propose(proposals: readonly Proposal[]): ProposeResult;
  /** Resolves once `offset` is committed and applied; rejects if this node loses the leadership first. */
  waitForCommit(offset: number): Promise<void>;
}

/** A forwarded change as the leader answers it. */
export type ForwardAnswer =
  | { outcome: "committed"; offset: number }
  /** The leader's state moved past the version the records were planned against: catch up and plan again. */
  | { outcome: "stale"; appliedOffset: number }
  /** The callee does not lead (any more): `leaderId` is whom it knows as leader, -1 for none. */
  | { outcome: "notLeader"; leaderId: number };

export interface ForwardRequest {
  readonly records: readonly MetadataRecord[];
  /** The version of the state the records were planned against (MetadataVersion). */
  readonly basedOnOffset: number;
}

/** Carries a forwarded change to the metadata leader (the cluster's peer RPC); rejects when unreachable. */
export type MetadataForwarder = (leaderId: NodeId, request: ForwardRequest) => Promise<ForwardAnswer>;

export interface RaftMetadataServiceOptions {
  readonly log: MetadataLog;
  /** Its wall half stamps the metadata batches. */
  readonly clock: Clock;
  /** Absent standalone, where this node is the only voter and always leads. */
  readonly forward?: MetadataForwarder;
  /** Times the pauses between attempts while no leader can take a change; absent standalone. */
  readonly scheduler?: Scheduler;
}

/** Metadata batches are small; a record set beyond this is a bug in a command planner. */
const metadataBatchBytesMax = 8 * 1024 * 1024;
/** Attempts at one change (planning, forwarding) before the caller is told no leader could take it. */
const changeAttemptsMax = 50;
/** Pause between attempts while no leader is known or the leader cannot be reached. */
const changeRetryDelayMs = 200;
/** How long a node waits to catch up with the leader's applied offset after a stale answer. */
const catchUpWaitMsMax = 5_000;

export class MetadataUnavailableError extends Error {}

export class RaftMetadataService implements MetadataService {
  readonly state = new MetadataState();
  /** One past the last offset applied to `state`: proposals resolve only once their records are applied here. */
  private readonly applied = new HighWatermark(0);
  /** The state's version: the offset of the last data entry applied (-1 before any). No-ops leave it alone. */
  private stateOffset = -1;
  /** The change in progress: the next plan runs only after it settles. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: MetadataLog;
  private readonly options: RaftMetadataServiceOptions;

  constructor(options: RaftMetadataServiceOptions) {
    this.options = options;
    this.log = options.log;
  }

  /** The version of `state` (see ForwardRequest.basedOnOffset). */
  get version(): number {
    return this.stateOffset;
  }

  /** One past the last offset applied here. */
  get appliedEnd(): number {
    return this.applied.value;
  }

  /** The group's onCommitted: applies each committed data batch's records, in order, exactly once. */
  applyCommitted(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.lastOffset + 1 <= this.applied.value) continue;
      if (entry.kind === "data") {
        for (const record of readAllRecords(entry.payload, { decompressedBytesMax: metadataBatchBytesMax })) {
          if (record.value) this.state.apply(decodeMetadataRecord(record.value));
        }
        this.stateOffset = entry.lastOffset;
      }
      this.applied.advance(entry.lastOffset + 1);
    }
  }

  execute(plan: MetadataPlan): Promise<CommandResult> {
    const turn = this.queue.then(() => this.runPlan(plan));
    this.queue = turn.catch(() => {});
    return turn;
  }

  /** Resolves once everything up to `offset` (inclusive) is applied here. */
  waitForApplied(offset: number): Promise<number> {
    return this.applied.waitFor(offset + 1);
  }

  /**
   * The leader's side of a forwarded change: appended (in turn with this node's own changes) only if the state
   * here is still the version it was planned against.
   */
  acceptForwarded(request: ForwardRequest): Promise<ForwardAnswer> {
    const turn = this.queue.then(async (): Promise<ForwardAnswer> => {
      if (!this.log.isLeader) return { outcome: "notLeader", leaderId: this.log.leaderId ?? -1 };
      await this.leaderCaughtUp();
      if (request.basedOnOffset !== this.stateOffset) {
        return { outcome: "stale", appliedOffset: this.applied.value - 1 };
      }
      if (request.records.length === 0) return { outcome: "committed", offset: this.applied.value - 1 };
      return { outcome: "committed", offset: await this.propose(request.records) };
    });
    this.queue = turn.catch(() => {});
    return turn;
  }

  /**
   * Resolves once this node has applied everything the metadata leader had applied when asked (a read barrier):
   * a restarted node's own log may hold committed entries its saved commit offset does not cover yet, so until
   * then it could answer with topics missing. The leader itself and standalone return at once.
   */
  async catchUpWithLeader(): Promise<void> {
    for (let attempt = 0; attempt < changeAttemptsMax; attempt++) {
      if (this.log.isLeader) return await this.leaderCaughtUp();
      const leaderId = this.log.leaderId;
      const forward = this.options.forward;
      if (forward === undefined) return;
      if (leaderId !== null) {
        const answer = await forward(leaderId, { records: [], basedOnOffset: this.stateOffset }).catch(
          () => undefined,
        );
        if (answer?.outcome === "committed") return void (await this.waitForApplied(answer.offset));
        if (answer?.outcome === "stale") return void (await this.waitForApplied(answer.appliedOffset));
      }
      await this.pause();
    }
    throw new MetadataUnavailableError(`no metadata leader answered in ${changeAttemptsMax} attempts`);
  }

  private async runPlan(plan: MetadataPlan): Promise<CommandResult> {
    // Forwards that failed without an answer: the leader may have appended them and lost its leadership (or
    // the answer its way back) before answering, and the change may commit all the same. If a later attempt
    // finds the state refusing the change, that attempt's change is what the state already holds: it succeeded.
    const unanswered: Array<Extract<CommandResult, { ok: true }>> = [];
    const replan = (): { result: CommandResult; alreadyTaken: boolean } => {
      const result = plan(this.state);
      if (result.ok && result.records.length > 0) return { result, alreadyTaken: false };
      const earlier = unanswered.find((attempt) => this.state.reflects(attempt.records));
      return earlier === undefined
        ? { result, alreadyTaken: false }
        : { result: earlier, alreadyTaken: true };
    };
    for (let attempt = 0; attempt < changeAttemptsMax; attempt++) {
      if (this.log.isLeader) {
        await this.leaderCaughtUp();
        const { result, alreadyTaken } = replan();
        if (!alreadyTaken && result.ok && result.records.length > 0) await this.propose(result.records);
        return result;
      }
      const leaderId = this.log.leaderId;
      const forward = this.options.forward;
      if (leaderId === null || forward === undefined) {
        await this.pause();
        continue;
      }
      const { result, alreadyTaken } = replan();
      if (alreadyTaken || !result.ok || result.records.length === 0) return result;
      const answer = await forward(leaderId, {
        records: result.records,
        basedOnOffset: this.stateOffset,
      }).catch(() => undefined);
      if (answer?.outcome === "committed") {
        await this.waitForApplied(answer.offset);
        return result;
      }
      if (answer === undefined && result.ok) unanswered.push(result);
      if (answer?.outcome === "stale") await this.catchUpTo(answer.appliedOffset);
      else await this.pause();
    }
    throw new MetadataUnavailableError(`no metadata leader took the change in ${changeAttemptsMax} attempts`);
  }

  /**
   * A new leader's state is complete once its own term's first entry (the no-op it appended on election) is
   * committed and applied: everything of earlier terms is then applied too. Rejects if leadership is lost.
   */
  private async leaderCaughtUp(): Promise<void> {
    await this.log.waitForCommit(this.log.lastOffset);
  }

  private async catchUpTo(offset: number): Promise<void> {
    await Promise.race([this.waitForApplied(offset), this.pauseFor(catchUpWaitMsMax)]);
  }

  private pause(): Promise<void> {
    return this.pauseFor(changeRetryDelayMs);
  }

  private pauseFor(ms: number): Promise<void> {
    const scheduler = this.options.scheduler;
    if (scheduler === undefined)
      throw new MetadataUnavailableError("this node cannot reach a metadata leader");
    return new Promise((resolve) => scheduler.setTimeout(resolve, ms));
  }

  /** Appends the records as one batch; resolves with its last offset once committed and applied here. */
  private async propose(records: readonly MetadataRecord[]): Promise<number> {
    const timestamp = this.options.clock.wallMs();
    const batch = buildBatch(
      records.map((record) => ({ key: null, value: encodeMetadataRecord(record), timestamp })),
    );
    const proposed = this.log.propose([
      { recordCount: records.length, byteSize: batch.length, payload: batch },
    ]);
    if (!proposed.ok) throw new MetadataUnavailableError(`metadata change refused: ${proposed.refusal}`);
    await this.log.waitForCommit(proposed.lastOffset);
    await this.applied.waitFor(proposed.lastOffset + 1);
    return proposed.lastOffset;
  }
}
