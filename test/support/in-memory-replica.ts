// In-memory partition replicas for handler tests: batches kept in an array, offsets stamped as the real log
// does, and the high watermark advanced a microtask after each append (standing in for the fsync). The real
// replica is Raft-driven over the storage engine's log; this one never persists anything. Tests may turn
// leadership off, begin new epochs, and delete records to reach the handlers' edge cases.

import type { AbortedTransaction } from "../../src/cluster/aborted-transactions.ts";
import {
  type EpochEndOffset,
  type EpochStart,
  endOffsetForEpoch,
} from "../../src/cluster/epoch-end-offset.ts";
import { HighWatermark } from "../../src/cluster/high-watermark.ts";
import type { MetadataState } from "../../src/cluster/metadata/metadata-state.ts";
import type {
  AppendTicket,
  PartitionReplica,
  ReadOutcome,
  ReplicaDirectory,
  ReplicaError,
  TimestampedOffset,
} from "../../src/cluster/partition-replica.ts";
import type { ProducerSnapshotEntry } from "../../src/cluster/producer-state.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import {
  type BatchHeader,
  stampBatch,
  TimestampType,
  timestampTypeOf,
} from "../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../src/protocol/records/batch-records.ts";

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Uint8Array;
}

export class InMemoryReplica implements PartitionReplica {
  readonly highWatermark = new HighWatermark(0);
  private readonly batches: StoredBatch[] = [];
  private endOffset = 0;
  private startOffset = 0;
  /** Epoch 0 begins at offset 0, as every replica here starts out leading in epoch 0. */
  private readonly epochs: EpochStart[] = [{ epoch: 0, startOffset: 0 }];
  /** Tests turn this off to see NOT_LEADER_OR_FOLLOWER. */
  leader = true;

  constructor(
    readonly topicId: string,
    readonly topicName: string,
    readonly partition: number,
  ) {}

  isLeader(): boolean {
    return this.leader;
  }

  /** This replica holds no control batches: consumers see the high watermark itself. */
  consumerHighWatermark(): number {
    return this.highWatermark.value;
  }

  /** No transactions here: the last stable offset is the high watermark. */
  lastStableOffset(): number {
    return this.consumerHighWatermark();
  }

  abortedTransactions(): AbortedTransaction[] {
    return [];
  }

  activeProducers(): ProducerSnapshotEntry[] {
    return [];
  }

  appendMarker(): Promise<ReplicaError | null> {
    return Promise.resolve({ errorCode: 42, errorMessage: "the in-memory replica holds no transactions" });
  }

  leaderEpoch(): number {
    return this.epochs[this.epochs.length - 1]!.epoch;
  }

  /** A new leader epoch whose first offset is the current log end (as a new leader's first batch would be). */
  beginEpoch(epoch: number): void {
    if (epoch <= this.leaderEpoch()) throw new Error(`epoch ${epoch} is not after ${this.leaderEpoch()}`);
    this.epochs.push({ epoch, startOffset: this.endOffset });
  }

  logStartOffset(): number {
    return this.startOffset;
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return endOffsetForEpoch(this.epochs, epoch, this.endOffset);
  }

  async deleteRecordsBefore(offset: number): Promise<number | ReplicaError> {
    if (!this.leader) {
      return { errorCode: ErrorCode.NotLeaderOrFollower, errorMessage: "not the leader" };
    }
    if (offset < 0 || offset > this.highWatermark.value) {
      return {
        errorCode: ErrorCode.OffsetOutOfRange,
        errorMessage: `offset ${offset} outside [0, ${this.highWatermark.value}]`,
      };
    }
    if (offset <= this.startOffset) return this.startOffset;
    this.startOffset = offset;
    const kept = this.batches.filter((batch) => batch.lastOffset >= offset);
    this.batches.splice(0, this.batches.length, ...kept);
    // Kafka's truncateFromStart: epochs wholly before the new start go, the one spanning it starts there.
    while (this.epochs.length > 1 && this.epochs[1]!.startOffset <= offset) this.epochs.shift();
    const first = this.epochs[0]!;
    this.epochs[0] = { epoch: first.epoch, startOffset: Math.max(first.startOffset, offset) };
    return this.startOffset;
  }

  sizeBytes(): number {
    return this.batches.reduce((total, batch) => total + batch.bytes.length, 0);
  }

  logEndOffset(): number {
    return this.endOffset;
  }

  append(batch: { bytes: Uint8Array; header: BatchHeader }, options: { acks: 1 | -1 }): AppendTicket {
    const baseOffset = this.endOffset;
    const lastOffset = baseOffset + batch.header.lastOffsetDelta;
    const bytes = batch.bytes.slice();
    stampBatch(bytes, 0, BigInt(baseOffset), 0);
    this.batches.push({ baseOffset, lastOffset, bytes });
    this.endOffset = lastOffset + 1;
    queueMicrotask(() => this.highWatermark.advance(Math.max(this.highWatermark.value, lastOffset + 1)));
    const logAppendTimeMs =
      timestampTypeOf(batch.header.attributes) === TimestampType.LogAppendTime
        ? Number(batch.header.maxTimestamp)
        : -1;
    return {
      placement: { baseOffset, lastOffset, logAppendTimeMs },
      replicated:
        options.acks === -1
          ? this.highWatermark.waitFor(lastOffset + 1).then(() => null)
          : Promise.resolve(null),
    };
  }

  read(
    offset: number,
    options: { maxBytes: number; maxOffset: number; minOneBatch?: boolean },
  ): ReadOutcome | ReplicaError {
    if (offset < this.startOffset || offset > this.endOffset) {
      return {
        errorCode: ErrorCode.OffsetOutOfRange,
        errorMessage: `offset ${offset} outside [${this.startOffset}, ${this.endOffset}]`,
      };
    }
    const chosen: Uint8Array[] = [];
    let bytes = 0;
    for (const batch of this.batches) {
      if (batch.lastOffset < offset || batch.baseOffset >= options.maxOffset) continue;
      const mayExceed = chosen.length === 0 && options.minOneBatch !== false;
      if (!mayExceed && bytes + batch.bytes.length > options.maxBytes) break;
      chosen.push(batch.bytes);
      bytes += batch.bytes.length;
    }
    const records = new Uint8Array(bytes);
    let position = 0;
    for (const part of chosen) {
      records.set(part, position);
      position += part.length;
    }
    return {
      records,
      highWatermark: this.highWatermark.value,
      consumerHighWatermark: this.consumerHighWatermark(),
      logStartOffset: this.startOffset,
    };
  }

  offsetForTimestamp(timestampMs: number): TimestampedOffset | null {
    for (const batch of this.batches) {
      for (const record of readAllRecords(batch.bytes, { decompressedBytesMax: 1 << 26 })) {
        if (batch.baseOffset + record.offsetDelta < this.startOffset) continue;
        if (record.timestamp >= timestampMs) {
          return { offset: batch.baseOffset + record.offsetDelta, timestampMs: record.timestamp };
        }
      }
    }
    return null;
  }

  maxTimestamp(): TimestampedOffset | null {
    let best: TimestampedOffset | null = null;
    for (const batch of this.batches) {
      for (const record of readAllRecords(batch.bytes, { decompressedBytesMax: 1 << 26 })) {
        if (batch.baseOffset + record.offsetDelta < this.startOffset) continue;
        if (!best || record.timestamp > best.timestampMs) {
          best = { offset: batch.baseOffset + record.offsetDelta, timestampMs: record.timestamp };
        }
      }
    }
    return best;
  }
}

/** Replicas for every partition the metadata names, created on first use. */
export class InMemoryReplicas implements ReplicaDirectory {
  private readonly replicas = new Map<string, InMemoryReplica>();

  constructor(private readonly state: MetadataState) {}

  byName(topicName: string, partition: number): InMemoryReplica | undefined {
    const topic = this.state.topicByName(topicName);
    return topic && this.replicaOf(topic.topicId, topic.name, partition, topic.partitions.length);
  }

  byId(topicId: string, partition: number): InMemoryReplica | undefined {
    const topic = this.state.topicById(topicId);
    return topic && this.replicaOf(topic.topicId, topic.name, partition, topic.partitions.length);
  }

  private replicaOf(
    topicId: string,
    name: string,
    partition: number,
    count: number,
  ): InMemoryReplica | undefined {
    if (partition < 0 || partition >= count) return undefined;
    const key = `${topicId}/${partition}`;
    let replica = this.replicas.get(key);
    if (!replica) {
      replica = new InMemoryReplica(topicId, name, partition);
      this.replicas.set(key, replica);
    }
    return replica;
  }
}
