// What a leader knows of one follower: how far its log matches, what to send next, and in which mode.
import { assert } from "../../base/assert.ts";
import { Inflights } from "./inflights.ts";

/**
 * probe: one append at a time until the follower's match is found; replicate: pipelined appends within the
 * inflight window; snapshot: the follower is behind the log start and receives a snapshot in chunks.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  state: ProgressState = "probe";
  /** The follower's log matches the leader's up to here (inclusive). -1 when unknown. */
  matchOffset = -1;
  /** The first offset to send next. */
  nextOffset: number;
  /** Probe: an append is out and no answer has come yet. Cleared by any answer or heartbeat response. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Snapshot state: the last offset of the snapshot being sent, and the bytes the follower holds. */
  snapshotLastOffset = -1;
  snapshotSentBytes = 0;
  /** Ticks since the last snapshot chunk went out, to resend a lost one. */
  snapshotIdleTicks = 0;
  /** Replicate: ticks with appends outstanding and no acknowledgement, to recover from lost appends. */
  stalledTicks = 0;
  readonly inflights: Inflights;

  constructor(options: { nextOffset: number; inflightCountMax: number; inflightBytesMax: number }) {
    this.nextOffset = options.nextOffset;
    this.inflights = new Inflights(options.inflightCountMax, options.inflightBytesMax);
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      this.nextOffset = Math.max(this.matchOffset + 1, this.snapshotLastOffset + 1);
    } else {
      this.nextOffset = this.matchOffset + 1;
    }
    this.state = "probe";
    this.probeSent = false;
    this.snapshotLastOffset = -1;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.stalledTicks = 0;
    this.nextOffset = this.matchOffset + 1;
    this.probeSent = false;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotLastOffset: number): void {
    this.state = "snapshot";
    this.snapshotLastOffset = snapshotLastOffset;
    this.snapshotSentBytes = 0;
    this.snapshotIdleTicks = 0;
    this.inflights.reset();
  }

  /** An accepted append moved the follower's match; false when the answer was stale. */
  maybeUpdate(matchOffset: number): boolean {
    const updated = matchOffset > this.matchOffset;
    if (updated) {
      this.matchOffset = matchOffset;
      this.stalledTicks = 0;
    }
    this.nextOffset = Math.max(this.nextOffset, matchOffset + 1);
    this.probeSent = false;
    return updated;
  }

  /** The follower lost the log it had acknowledged: nothing of it is known to match any more. */
  forgetMatch(): void {
    this.matchOffset = -1;
    this.becomeProbe();
  }

  /** An append of entries ending at lastOffset went out. */
  sentEntries(lastOffset: number, byteSize: number): void {
    if (this.state === "replicate") {
      this.inflights.add(lastOffset, byteSize);
      this.nextOffset = lastOffset + 1;
    } else {
      assert(this.state === "probe", "entries are not sent in the snapshot state");
      this.probeSent = true;
    }
  }

  /** Whether the leader must hold further appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }
}
