// The cluster metadata kept in its own Raft group (KRaft's __cluster_metadata): proposals are batches of JSON
// metadata records; every node applies committed batches, in offset order, to its MetadataState. Standalone
// runs a group of one voter, so topics survive restarts through the same log as a cluster's would.

import type { Clock } from "../../base/clock.ts";
import { buildBatch } from "../../protocol/records/batch-builder.ts";
import { readAllRecords } from "../../protocol/records/batch-records.ts";
import type { Entry, Proposal, ProposeResult } from "../../raft/core/index.ts";
import { HighWatermark } from "../high-watermark.ts";
import type { CommandResult } from "./metadata-commands.ts";
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from "./metadata-records.ts";
import type { MetadataPlan, MetadataService } from "./metadata-service.ts";
import { MetadataState } from "./metadata-state.ts";

/** What the service needs of the metadata Raft group. */
export interface MetadataLog {
  propose(proposals: readonly Proposal[]): ProposeResult;
  /** Resolves once `offset` is committed; rejects if this node loses the leadership first. */
  waitForCommit(offset: number): Promise<void>;
}

/** Metadata batches are small; a record set beyond this is a bug in a command planner. */
const metadataBatchBytesMax = 8 * 1024 * 1024;

export class RaftMetadataService implements MetadataService {
  readonly state = new MetadataState();
  /** One past the last offset applied to `state`: proposals resolve only once their records are applied here. */
  private readonly applied = new HighWatermark(0);
  /** The change in progress: the next plan runs only after it settles. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly log: MetadataLog,
    /** Its wall half stamps the metadata batches. */
    private readonly clock: Clock,
  ) {}

  /** The group's onCommitted: applies each committed data batch's records, in order, exactly once. */
  applyCommitted(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.lastOffset + 1 <= this.applied.value) continue;
      if (entry.kind === "data") {
        for (const record of readAllRecords(entry.payload, { decompressedBytesMax: metadataBatchBytesMax })) {
          if (record.value) this.state.apply(decodeMetadataRecord(record.value));
        }
      }
      this.applied.advance(entry.lastOffset + 1);
    }
  }

  execute(plan: MetadataPlan): Promise<CommandResult> {
    const turn = this.queue.then(async () => {
      const result = plan(this.state);
      if (result.ok && result.records.length > 0) await this.propose(result.records);
      return result;
    });
    this.queue = turn.catch(() => {});
    return turn;
  }

  /** Resolves once everything up to `offset` (inclusive) is applied here. */
  waitForApplied(offset: number): Promise<number> {
    return this.applied.waitFor(offset + 1);
  }

  private async propose(records: readonly MetadataRecord[]): Promise<void> {
    const timestamp = this.clock.wallMs();
    const batch = buildBatch(
      records.map((record) => ({ key: null, value: encodeMetadataRecord(record), timestamp })),
    );
    const proposed = this.log.propose([
      { recordCount: records.length, byteSize: batch.length, payload: batch },
    ]);
    if (!proposed.ok) throw new Error(`metadata change refused: ${proposed.refusal}`);
    await this.log.waitForCommit(proposed.lastOffset);
    await this.applied.waitFor(proposed.lastOffset + 1);
  }
}
