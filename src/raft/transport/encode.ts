// Encoding a RaftBatch (codec.ts says why by hand), and the size bounds the sender splits and bounds its queue
// by. Two passes over the batch: sizes first, then one buffer of exactly that size written front to back.
import { assert, unreachable } from "../../base/assert.ts";
import type { Entry, MembershipConfig, Message, NodeId, SnapshotMeta } from "../core/index.ts";
import type { GroupMessage } from "../node/transport.ts";
import { bodyField, entryKindValue, nodeIdMax } from "./raft-batch-schema.ts";
import { delimitedSize, varintSize, WireWriter, wireLengthDelimited, wireVarint, zigzag } from "./wire.ts";

const utf8Encoder = new TextEncoder();

// ---- size bounds -----------------------------------------------------------------------------------------

// Upper bounds of the encoded size, so the sender can split and bound its queue without encoding: every varint
// counted at its 10-byte maximum, every length prefix at 5, every tag at 2.
const messageOverheadBytesMax = 160;
const entryOverheadBytesMax = 96;
const membershipOverheadBytesMax = 24;
const nodeIdBytesMax = 10;
/** The DeliverRequest envelope's bytes beyond its batch and its cluster id (3 bytes a UTF-16 unit at most). */
export const requestOverheadBytesMax = 64;

function membershipBytesMax(config: MembershipConfig): number {
  return membershipOverheadBytesMax + (config.voters.length + config.learners.length) * nodeIdBytesMax;
}

/** At least the bytes the message takes in an encoded RaftBatch (its group's id counted with it). */
export function messageBytesUpperBound(item: GroupMessage): number {
  const message = item.message;
  let bytes = messageOverheadBytesMax + 3 * item.groupId.length;
  if (message.type === "append") {
    for (const entry of message.entries) {
      bytes += entryOverheadBytesMax + entry.payload.byteLength;
      if (entry.config !== undefined) bytes += membershipBytesMax(entry.config);
    }
  } else if (message.type === "snapshot") {
    bytes += message.chunk.byteLength + membershipBytesMax(message.meta.config);
  }
  return bytes;
}

/** The exact size of an encoded DeliverRequest (proto3 leaves out fields at their zero value). */
export function deliverRequestBytes(request: {
  fromNodeId: number;
  toNodeId: number;
  clusterId: string;
  batch: Uint8Array;
}): number {
  assert(request.fromNodeId >= 0 && request.toNodeId >= 0, "node ids are not negative");
  const clusterIdBytes = utf8Encoder.encode(request.clusterId).byteLength;
  return (
    uintFieldSize(request.fromNodeId) +
    uintFieldSize(request.toNodeId) +
    bytesFieldSize(clusterIdBytes) +
    bytesFieldSize(request.batch.byteLength)
  );
}

// ---- encoding --------------------------------------------------------------------------------------------

function uintFieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function sintFieldSize(value: number): number {
  return uintFieldSize(zigzag(value));
}

function boolFieldSize(value: boolean): number {
  return value ? 2 : 0;
}

function bytesFieldSize(length: number): number {
  return length === 0 ? 0 : delimitedSize(length);
}

interface Run {
  readonly groupId: Uint8Array;
  readonly messages: Message[];
}

/**
 * Encodes the messages of one call from `from` to `to`; consecutive messages of one group share one
 * GroupMessages (the group manager queues each group's messages together, so runs are long).
 */
export function encodeRaftBatch(batch: readonly GroupMessage[], from: NodeId, to: NodeId): Uint8Array {
  const runs: Run[] = [];
  let lastGroupId: string | undefined;
  for (const { groupId, message } of batch) {
    if (message.from !== from || message.to !== to) {
      assert(false, `a message from ${message.from} to ${message.to} in a call ${from}→${to}`);
    }
    if (groupId !== lastGroupId) {
      runs.push({ groupId: utf8Encoder.encode(groupId), messages: [] });
      lastGroupId = groupId;
    }
    runs[runs.length - 1]!.messages.push(message);
  }
  return new BatchEncoder().encode(runs);
}

/**
 * Two passes over the same tree: sizes() records the size of every embedded message in the order write() will
 * need them (pre-order), so the output is allocated once at its exact size and written front to back.
 */
class BatchEncoder {
  private readonly sizes: number[] = [];
  private cursor = 0;
  private writer = new WireWriter(0);

  encode(runs: readonly Run[]): Uint8Array {
    let total = 0;
    for (const run of runs) total += delimitedSize(this.sizeRun(run));
    this.writer = new WireWriter(total);
    for (const run of runs) this.writeRun(run);
    assert(this.writer.position === total && this.cursor === this.sizes.length, "encoded size mismatch");
    return this.writer.bytes;
  }

  // -- sizes, recorded in pre-order --

  /** Reserves the slot of an embedded message's size before its children record theirs. */
  private reserve(): number {
    return this.sizes.push(0) - 1;
  }

  private record(slot: number, size: number): number {
    this.sizes[slot] = size;
    return size;
  }

  private sizeRun(run: Run): number {
    const slot = this.reserve();
    let size = bytesFieldSize(run.groupId.byteLength);
    for (const message of run.messages) size += delimitedSize(this.sizeMessage(message));
    return this.record(slot, size);
  }

  private sizeMessage(message: Message): number {
    const slot = this.reserve();
    return this.record(slot, uintFieldSize(message.term) + delimitedSize(this.sizeBody(message)));
  }

  private sizeBody(message: Message): number {
    const slot = this.reserve();
    switch (message.type) {
      case "vote":
        return this.record(
          slot,
          boolFieldSize(message.preVote) +
            sintFieldSize(message.lastOffset) +
            uintFieldSize(message.lastEpoch) +
            boolFieldSize(message.transfer),
        );
      case "voteResponse":
        return this.record(slot, boolFieldSize(message.preVote) + boolFieldSize(message.granted));
      case "append": {
        let size = sintFieldSize(message.prevOffset) + uintFieldSize(message.prevEpoch);
        for (const entry of message.entries) size += delimitedSize(this.sizeEntry(entry));
        return this.record(slot, size + sintFieldSize(message.commitOffset));
      }
      case "appendResponse":
        return this.record(
          slot,
          boolFieldSize(message.reject) +
            sintFieldSize(message.matchOffset) +
            sintFieldSize(message.hintOffset) +
            uintFieldSize(message.hintEpoch),
        );
      case "heartbeat":
        return this.record(slot, sintFieldSize(message.commitOffset) + sintFieldSize(message.readRequestId));
      case "heartbeatResponse":
        return this.record(slot, sintFieldSize(message.readRequestId));
      case "snapshot":
        return this.record(
          slot,
          delimitedSize(this.sizeSnapshotMeta(message.meta)) +
            uintFieldSize(message.dataBytes) +
            uintFieldSize(message.chunkStart) +
            bytesFieldSize(message.chunk.byteLength),
        );
      case "snapshotResponse":
        return this.record(
          slot,
          sintFieldSize(message.snapshotLastOffset) + uintFieldSize(message.receivedBytes),
        );
      case "timeoutNow":
        return this.record(slot, 0);
      default:
        return unreachable(message, "raft message type");
    }
  }

  private sizeEntry(entry: Entry): number {
    const slot = this.reserve();
    let size =
      sintFieldSize(entry.baseOffset) +
      sintFieldSize(entry.lastOffset) +
      uintFieldSize(entry.epoch) +
      uintFieldSize(entryKindValue[entry.kind]) +
      uintFieldSize(entry.byteSize) +
      bytesFieldSize(entry.payload.byteLength);
    if (entry.config !== undefined) size += delimitedSize(this.sizeMembership(entry.config));
    return this.record(slot, size);
  }

  private sizeSnapshotMeta(meta: SnapshotMeta): number {
    const slot = this.reserve();
    const size =
      sintFieldSize(meta.lastOffset) +
      uintFieldSize(meta.lastEpoch) +
      delimitedSize(this.sizeMembership(meta.config));
    return this.record(slot, size);
  }

  private sizeMembership(config: MembershipConfig): number {
    const slot = this.reserve();
    return this.record(
      slot,
      bytesFieldSize(packedSize(config.voters)) + bytesFieldSize(packedSize(config.learners)),
    );
  }

  // -- writing, consuming the sizes in the same order --

  private writeEmbedded(field: number): void {
    this.writer.tag(field, wireLengthDelimited);
    this.writer.varint(this.sizes[this.cursor++]!);
  }

  private uint(field: number, value: number): void {
    if (value === 0) return;
    this.writer.tag(field, wireVarint);
    this.writer.varint(value);
  }

  private sint(field: number, value: number): void {
    this.uint(field, zigzag(value));
  }

  private bool(field: number, value: boolean): void {
    this.uint(field, value ? 1 : 0);
  }

  private bytes(field: number, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.writer.tag(field, wireLengthDelimited);
    this.writer.varint(bytes.byteLength);
    this.writer.raw(bytes);
  }

  private writeRun(run: Run): void {
    this.writeEmbedded(1);
    this.bytes(1, run.groupId);
    for (const message of run.messages) {
      this.writeEmbedded(2);
      this.uint(1, message.term);
      this.writeEmbedded(bodyField[message.type]);
      this.writeBody(message);
    }
  }

  private writeBody(message: Message): void {
    switch (message.type) {
      case "vote":
        this.bool(1, message.preVote);
        this.sint(2, message.lastOffset);
        this.uint(3, message.lastEpoch);
        this.bool(4, message.transfer);
        return;
      case "voteResponse":
        this.bool(1, message.preVote);
        this.bool(2, message.granted);
        return;
      case "append":
        this.sint(1, message.prevOffset);
        this.uint(2, message.prevEpoch);
        for (const entry of message.entries) this.writeEntry(entry);
        this.sint(4, message.commitOffset);
        return;
      case "appendResponse":
        this.bool(1, message.reject);
        this.sint(2, message.matchOffset);
        this.sint(3, message.hintOffset);
        this.uint(4, message.hintEpoch);
        return;
      case "heartbeat":
        this.sint(1, message.commitOffset);
        this.sint(2, message.readRequestId);
        return;
      case "heartbeatResponse":
        this.sint(1, message.readRequestId);
        return;
      case "snapshot":
        this.writeEmbedded(1);
        this.sint(1, message.meta.lastOffset);
        this.uint(2, message.meta.lastEpoch);
        this.writeMembership(3, message.meta.config);
        this.uint(2, message.dataBytes);
        this.uint(3, message.chunkStart);
        this.bytes(4, message.chunk);
        return;
      case "snapshotResponse":
        this.sint(1, message.snapshotLastOffset);
        this.uint(2, message.receivedBytes);
        return;
      case "timeoutNow":
        return;
      default:
        unreachable(message, "raft message type");
    }
  }

  private writeEntry(entry: Entry): void {
    this.writeEmbedded(3);
    this.sint(1, entry.baseOffset);
    this.sint(2, entry.lastOffset);
    this.uint(3, entry.epoch);
    this.uint(4, entryKindValue[entry.kind]);
    this.uint(5, entry.byteSize);
    this.bytes(6, entry.payload);
    if (entry.config !== undefined) this.writeMembership(7, entry.config);
  }

  private writeMembership(field: number, config: MembershipConfig): void {
    this.writeEmbedded(field);
    this.packed(1, config.voters);
    this.packed(2, config.learners);
  }

  private packed(field: number, ids: readonly NodeId[]): void {
    if (ids.length === 0) return;
    this.writer.tag(field, wireLengthDelimited);
    this.writer.varint(packedSize(ids));
    for (const id of ids) this.writer.varint(id);
  }
}

function packedSize(ids: readonly NodeId[]): number {
  let size = 0;
  for (const id of ids) {
    if (!(id >= 0 && id <= nodeIdMax)) assert(false, `node id ${id} out of range`);
    size += varintSize(id);
  }
  return size;
}
