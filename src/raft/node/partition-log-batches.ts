// Record batches as Raft entries: the header fields the Raft log needs (offsets, term, control bit) and the
// LeaderChange message a new leader's control batch carries. Pure; the partition log store uses it. A
// header's partitionLeaderEpoch is the leader epoch clients see; Raft reads it as its term (leader-epoch.ts).

import { assert } from "../../base/assert.ts";
import {
  createLeaderChangeMessage,
  createLeaderChangeMessageVoter,
  type LeaderChangeMessage,
} from "../../protocol/messages/leader-change-message.ts";
import { readInt16, readInt32, readInt64AsNumber } from "../../protocol/primitives/big-endian.ts";
import {
  batchHeaderBytes,
  batchOffsets,
  batchSizeAt,
  isControlBatch,
  scanBatches,
} from "../../protocol/records/batch-header.ts";
import { type Entry, type NodeId, termOfLeaderEpoch } from "../core/index.ts";

export interface StoredBatchMeta {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The Raft term: the header's partitionLeaderEpoch + 1. */
  readonly epoch: number;
  /** Whole bytes of the batch, header included. */
  readonly size: number;
  readonly control: boolean;
}

/** The Raft view of the magic-2 batch header at position (the caller knows a whole header is there). */
export function batchMetaAt(bytes: Uint8Array, position: number): StoredBatchMeta {
  assert(bytes.length - position >= batchHeaderBytes, `no batch header at byte ${position}`);
  const baseOffset = readInt64AsNumber(bytes, position + batchOffsets.baseOffset);
  const lastOffsetDelta = readInt32(bytes, position + batchOffsets.lastOffsetDelta);
  assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, `batch base offset ${baseOffset}`);
  assert(lastOffsetDelta >= 0, `batch lastOffsetDelta ${lastOffsetDelta}`);
  return {
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    epoch: termOfLeaderEpoch(readInt32(bytes, position + batchOffsets.partitionLeaderEpoch)),
    size: batchSizeAt(bytes, position),
    control: isControlBatch(readInt16(bytes, position + batchOffsets.attributes)),
  };
}

/**
 * Whole stored batches as entries: each payload is a view of its batch's bytes, and a control batch (a
 * leader's LeaderChange, or a transaction marker) is a "control" entry. The bytes came from the log, which
 * validated them on append, so a malformed batch here is a bug.
 */
export function entriesOfBatches(bytes: Uint8Array): Entry[] {
  const scanned = scanBatches(bytes, { verifyCrc: false });
  assert(scanned.problem === null, `stored batches unreadable: ${scanned.problem?.reason}`);
  return scanned.spans.map((span) => {
    const meta = batchMetaAt(bytes, span.position);
    return {
      baseOffset: meta.baseOffset,
      lastOffset: meta.lastOffset,
      epoch: meta.epoch,
      kind: meta.control ? "control" : "data",
      byteSize: span.size,
      payload: bytes.subarray(span.position, span.position + span.size),
    };
  });
}

/**
 * What a new leader's control batch says (Kafka's LeaderChangeMessage, version 0): who leads and who votes.
 * Granting voters are left empty: the core does not report who granted its vote.
 */
export function leaderChangeMessage(leaderId: NodeId, voters: readonly NodeId[]): LeaderChangeMessage {
  const message = createLeaderChangeMessage();
  message.leaderId = leaderId;
  message.voters = voters.map((voterId) => ({ ...createLeaderChangeMessageVoter(), voterId }));
  return message;
}
