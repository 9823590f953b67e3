// The Raft core's messages (raft/core/types.ts) as a RaftBatch of proto/chronik/raft/v1/raft.proto, and back.
// Every field travels; from and to do not, since every message of a call is from its caller and to its callee
// (the encoder asserts it, the decoder fills them in).
//
// Written by hand on the wire format (wire.ts) rather than through protobuf-es's reflection: that path cost
// 3-6 µs of CPU per small append each way and copied a payload once per level of nesting, where this writes
// each payload once into a buffer allocated at its exact size and decodes straight into the core's types,
// with payloads as views of the received bytes (an entry kept in memory keeps its call's body alive; calls
// are bounded by callBytesMax). The output is byte for byte what protobuf-es writes for the same messages
// (test/raft/transport/codec.test.ts holds it to that, and decodes protobuf-es output too).
//
// A decoded batch is checked before any of it is used: numbers in range, one body per message, entries
// contiguous and of a known kind, a config exactly on config entries, snapshot chunks inside their snapshot,
// valid UTF-8 group ids. A peer that breaks these gets its whole call refused, never an assertion of the core.
// Unknown fields are skipped (a newer peer's); a singular field seen twice is refused, where protobuf would
// keep the last: no encoder of this protocol writes one twice.
import { assert, unreachable } from "../../base/assert.ts";
import type { Entry, EntryKind, MembershipConfig, Message, NodeId, SnapshotMeta } from "../core/index.ts";
import type { GroupMessage } from "../node/transport.ts";
import {
  delimitedSize,
  varintSize,
  WireError,
  WireReader,
  WireWriter,
  wireLengthDelimited,
  wireVarint,
  zigzag,
} from "./wire.ts";

/** Longest group id accepted: a Kafka topic name (249) plus "-" and a partition number, with room to spare. */
export const groupIdLengthMax = 512;
/** Node ids are non-negative int32 (--node-id, --peers). */
const nodeIdMax = 2 ** 31 - 1;

/** Field numbers of RaftMessage's body, in the .proto. */
const bodyField: Record<Message["type"], number> = {
  vote: 2,
  voteResponse: 3,
  append: 4,
  appendResponse: 5,
  heartbeat: 6,
  heartbeatResponse: 7,
  snapshot: 8,
  snapshotResponse: 9,
  timeoutNow: 10,
};
const bodyType = new Map<number, Message["type"]>(
  Object.entries(bodyField).map(([type, field]) => [field, type as Message["type"]]),
);

/** EntryKind's values in the .proto (0 is ENTRY_KIND_UNSPECIFIED, never valid). */
const entryKindValue: Record<EntryKind, number> = { data: 1, control: 2, config: 3 };
const entryKindOf = new Map<number, EntryKind>([
  [1, "data"],
  [2, "control"],
  [3, "config"],
]);

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

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

// ---- decoding --------------------------------------------------------------------------------------------
//
// Where a refusal points is kept as indexes in a Path and spelled out only when refusing: building a field
// path string per field cost more than decoding the field.

export type DecodeResult =
  | { readonly ok: true; readonly batch: GroupMessage[] }
  | { readonly ok: false; readonly reason: string };

interface CallContext {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly messagesMax: number;
}

/** The position being decoded, as indexes; -1 and "" for levels not entered. */
class Path {
  group = -1;
  message = -1;
  body = "";
  nested = "";
  entry = -1;

  toString(): string {
    let path = this.group < 0 ? "batch" : `groups[${this.group}]`;
    if (this.message >= 0) path += `.messages[${this.message}]`;
    if (this.body !== "") path += `.${this.body}`;
    if (this.entry >= 0) path += `.entries[${this.entry}]`;
    if (this.nested !== "") path += `.${this.nested}`;
    return path;
  }
}

/** A refusal that already says where; a bare WireError (from the reader) gets the path when caught. */
class Malformed extends WireError {}

function malformed(path: Path, detail: string): never {
  throw new Malformed(`${path}${detail}`);
}

/**
 * Decodes and checks the messages of one call from `from` to `to`, accepting at most messagesMax of them.
 * Either every message is well formed, or the result says which one is not and nothing is returned.
 */
export function decodeRaftBatch(
  bytes: Uint8Array,
  call: { from: NodeId; to: NodeId; messagesMax: number },
): DecodeResult {
  const batch: GroupMessage[] = [];
  const path = new Path();
  try {
    const reader = new WireReader(bytes);
    while (!reader.done) {
      const tag = reader.tag();
      if (tag >>> 3 !== 1) {
        reader.skip(tag & 7);
        continue;
      }
      path.group += 1;
      expectWireType(tag, wireLengthDelimited, path, "");
      readGroup(reader.message(), batch, call, path);
      path.message = -1;
    }
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    return { ok: false, reason: error instanceof Malformed ? error.message : `${path}: ${error.message}` };
  }
  return { ok: true, batch };
}

function expectWireType(tag: number, expected: number, path: Path, field: string): void {
  if ((tag & 7) !== expected) malformed(path, `${field}: wire type ${tag & 7}, expected ${expected}`);
}

function readGroup(reader: WireReader, batch: GroupMessage[], call: CallContext, path: Path): void {
  let groupId: string | undefined;
  const messages: Message[] = [];
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    if (field === 1) {
      expectWireType(tag, wireLengthDelimited, path, ".groupId");
      if (groupId !== undefined) malformed(path, ".groupId: twice");
      groupId = readString(reader, path);
    } else if (field === 2) {
      path.message = messages.length;
      expectWireType(tag, wireLengthDelimited, path, "");
      if (batch.length + messages.length >= call.messagesMax) {
        throw new Malformed(`more than ${call.messagesMax} messages`);
      }
      messages.push(readMessage(reader.message(), call, path));
      path.body = "";
    } else {
      reader.skip(tag & 7);
    }
  }
  path.message = -1;
  const length = groupId?.length ?? 0;
  if (groupId === undefined || length > groupIdLengthMax) {
    malformed(path, `.groupId: length ${length} outside [1, ${groupIdLengthMax}]`);
  }
  for (const message of messages) batch.push({ groupId, message });
}

function readString(reader: WireReader, path: Path): string {
  const bytes = reader.bytes();
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return malformed(path, ".groupId: not UTF-8");
  }
}

function readMessage(reader: WireReader, call: CallContext, path: Path): Message {
  let term = 0;
  let type: Message["type"] | undefined;
  let body: WireReader | undefined;
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    if (field === 1) {
      expectWireType(tag, wireVarint, path, ".term");
      term = checkCount(reader.varint(), path, ".term");
      continue;
    }
    const fieldType = bodyType.get(field);
    if (fieldType === undefined) {
      reader.skip(tag & 7);
      continue;
    }
    expectWireType(tag, wireLengthDelimited, path, `.${fieldType}`);
    if (type !== undefined) malformed(path, `: two bodies (${type}, ${fieldType})`);
    type = fieldType;
    body = reader.message();
  }
  if (type === undefined || body === undefined) return malformed(path, ": no message body");
  path.body = type;
  return readBody(type, body, { from: call.from, to: call.to, term }, path);
}

/**
 * The fields of one embedded message, by field number (every field number here is below 8): varints keep
 * their last value and whether it was odd (sint64 fields are decoded by offsetOf); length-delimited fields
 * must appear at most once, except the one repeated field, whose elements are collected. One instance per
 * level of nesting is reused for every message at that level (decoding is synchronous and never re-enters a
 * level), since allocating them per message cost a quarter of the decoding time.
 */
class Fields {
  readonly varints = [0, 0, 0, 0, 0, 0, 0, 0];
  readonly odd = [false, false, false, false, false, false, false, false];
  readonly embedded: Array<WireReader | undefined> = Array.from({ length: 8 }, () => undefined);
  readonly bytes: Array<Uint8Array | undefined> = Array.from({ length: 8 }, () => undefined);
  repeated: WireReader[] = [];

  reset(): this {
    // Plain stores: fill() and length = 0 cost more than the decoding they prepare for.
    for (let field = 0; field < 8; field++) {
      this.varints[field] = 0;
      this.odd[field] = false;
      this.embedded[field] = undefined;
      this.bytes[field] = undefined;
    }
    if (this.repeated.length > 0) this.repeated = [];
    return this;
  }
}

const bodyFields = new Fields();
const entryFields = new Fields();
const metaFields = new Fields();

/** Which field numbers are varints, embedded messages and bytes (bit n for field n), and which one repeats. */
interface Layout {
  readonly varint: number;
  readonly embedded: number;
  readonly bytes: number;
  readonly repeated: number;
}

function layout(fields: {
  varint?: number[];
  embedded?: number[];
  bytes?: number[];
  repeated?: number;
}): Layout {
  const mask = (numbers: number[] = []) => numbers.reduce((bits, field) => bits | (1 << field), 0);
  return {
    varint: mask(fields.varint),
    embedded: mask(fields.embedded),
    bytes: mask(fields.bytes),
    repeated: fields.repeated ?? -1,
  };
}

const layouts = {
  vote: layout({ varint: [1, 2, 3, 4] }),
  voteResponse: layout({ varint: [1, 2] }),
  append: layout({ varint: [1, 2, 4], repeated: 3 }),
  appendResponse: layout({ varint: [1, 2, 3, 4] }),
  heartbeat: layout({ varint: [1, 2] }),
  heartbeatResponse: layout({ varint: [1] }),
  snapshot: layout({ embedded: [1], varint: [2, 3], bytes: [4] }),
  snapshotMeta: layout({ varint: [1, 2], embedded: [3] }),
  snapshotResponse: layout({ varint: [1, 2] }),
  timeoutNow: layout({}),
  entry: layout({ varint: [1, 2, 3, 4, 5], bytes: [6], embedded: [7] }),
};

function readFields(reader: WireReader, shape: Layout, path: Path, into: Fields = bodyFields): Fields {
  const fields = into.reset();
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const bit = field < 8 ? 1 << field : 0;
    if ((shape.varint & bit) !== 0) {
      expectWireType(tag, wireVarint, path, ` field ${field}`);
      fields.varints[field] = reader.varint();
      fields.odd[field] = reader.lastVarintOdd;
    } else if ((shape.embedded & bit) !== 0) {
      expectWireType(tag, wireLengthDelimited, path, ` field ${field}`);
      if (fields.embedded[field] !== undefined) malformed(path, ` field ${field}: twice`);
      fields.embedded[field] = reader.message();
    } else if ((shape.bytes & bit) !== 0) {
      expectWireType(tag, wireLengthDelimited, path, ` field ${field}`);
      if (fields.bytes[field] !== undefined) malformed(path, ` field ${field}: twice`);
      fields.bytes[field] = reader.bytes();
    } else if (field === shape.repeated) {
      expectWireType(tag, wireLengthDelimited, path, ` field ${field}`);
      fields.repeated.push(reader.message());
    } else {
      reader.skip(tag & 7);
    }
  }
  return fields;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

function readBody(type: Message["type"], reader: WireReader, base: MessageBase, path: Path): Message {
  switch (type) {
    case "vote": {
      const f = readFields(reader, layouts.vote, path);
      return {
        ...base,
        type,
        preVote: f.varints[1] !== 0,
        lastOffset: offsetOf(f, 2, path, ".lastOffset"),
        lastEpoch: countOf(f, 3, path, ".lastEpoch"),
        transfer: f.varints[4] !== 0,
      };
    }
    case "voteResponse": {
      const f = readFields(reader, layouts.voteResponse, path);
      return { ...base, type, preVote: f.varints[1] !== 0, granted: f.varints[2] !== 0 };
    }
    case "append":
      return readAppend(reader, base, path);
    case "appendResponse": {
      const f = readFields(reader, layouts.appendResponse, path);
      return {
        ...base,
        type,
        reject: f.varints[1] !== 0,
        matchOffset: offsetOf(f, 2, path, ".matchOffset"),
        hintOffset: offsetOf(f, 3, path, ".hintOffset"),
        hintEpoch: countOf(f, 4, path, ".hintEpoch"),
      };
    }
    case "heartbeat": {
      const f = readFields(reader, layouts.heartbeat, path);
      return {
        ...base,
        type,
        commitOffset: offsetOf(f, 1, path, ".commitOffset"),
        readRequestId: offsetOf(f, 2, path, ".readRequestId"),
      };
    }
    case "heartbeatResponse": {
      const f = readFields(reader, layouts.heartbeatResponse, path);
      return { ...base, type, readRequestId: offsetOf(f, 1, path, ".readRequestId") };
    }
    case "snapshot":
      return readSnapshot(reader, base, path);
    case "snapshotResponse": {
      const f = readFields(reader, layouts.snapshotResponse, path);
      return {
        ...base,
        type,
        snapshotLastOffset: offsetOf(f, 1, path, ".snapshotLastOffset"),
        receivedBytes: countOf(f, 2, path, ".receivedBytes"),
      };
    }
    case "timeoutNow":
      readFields(reader, layouts.timeoutNow, path);
      return { ...base, type };
    default:
      return unreachable(type, "raft message type");
  }
}

const safeMax = Number.MAX_SAFE_INTEGER;

/** A term, epoch or size (uint64): 0 to 2^53 - 1 (a larger varint reads as at least 2^53). */
function checkCount(value: number, path: Path, field: string): number {
  if (value > safeMax) malformed(path, `${field}: ${value} outside [0, 2^53)`);
  return value;
}

function countOf(fields: Fields, field: number, path: Path, name: string): number {
  return checkCount(fields.varints[field]!, path, name);
}

/**
 * An offset (sint64): -1 for none, or 0 to 2^53 - 1. Zigzag: an odd varint is negative, and only 1 (-1) is
 * allowed; an even one is twice the offset (exact, since even numbers below 2^54 are).
 */
function offsetOf(fields: Fields, field: number, path: Path, name: string): number {
  const raw = fields.varints[field]!;
  if (fields.odd[field]) {
    if (raw === 1) return -1;
    return malformed(path, `${name}: a negative offset other than -1`);
  }
  if (raw / 2 > safeMax) malformed(path, `${name}: ${raw / 2} outside [-1, 2^53)`);
  return raw / 2;
}

function readAppend(reader: WireReader, base: MessageBase, path: Path): Message {
  const f = readFields(reader, layouts.append, path);
  const prevOffset = offsetOf(f, 1, path, ".prevOffset");
  const entries: Entry[] = [];
  let nextOffset = prevOffset + 1;
  for (const entryReader of f.repeated) {
    path.entry = entries.length;
    const entry = readEntry(entryReader, path);
    if (entry.baseOffset !== nextOffset)
      malformed(path, `.baseOffset: ${entry.baseOffset}, expected ${nextOffset}`);
    entries.push(entry);
    nextOffset = entry.lastOffset + 1;
  }
  path.entry = -1;
  return {
    ...base,
    type: "append",
    prevOffset,
    prevEpoch: countOf(f, 2, path, ".prevEpoch"),
    entries,
    commitOffset: offsetOf(f, 4, path, ".commitOffset"),
  };
}

const emptyBytes = new Uint8Array(0);

function readEntry(reader: WireReader, path: Path): Entry {
  const f = readFields(reader, layouts.entry, path, entryFields);
  const kindValue = f.varints[4]!;
  const kind = entryKindOf.get(kindValue);
  if (kind === undefined) malformed(path, `.kind: ${kindValue} is not a known entry kind`);
  const baseOffset = offsetOf(f, 1, path, ".baseOffset");
  const lastOffset = offsetOf(f, 2, path, ".lastOffset");
  if (baseOffset < 0 || lastOffset < baseOffset) {
    malformed(path, `: offsets [${baseOffset}, ${lastOffset}] are not a batch`);
  }
  const entry = {
    baseOffset,
    lastOffset,
    epoch: countOf(f, 3, path, ".epoch"),
    kind,
    byteSize: countOf(f, 5, path, ".byteSize"),
    payload: f.bytes[6] ?? emptyBytes,
  };
  const config = f.embedded[7];
  if (kind !== "config") {
    if (config !== undefined) malformed(path, `.config: present on a ${kind} entry`);
    return entry;
  }
  if (config === undefined) malformed(path, ".config: missing on a config entry");
  path.nested = "config";
  const membership = readMembership(config, path);
  path.nested = "";
  return { ...entry, config: membership };
}

function readSnapshot(reader: WireReader, base: MessageBase, path: Path): Message {
  const f = readFields(reader, layouts.snapshot, path);
  const metaBytes = f.embedded[1];
  if (metaBytes === undefined) malformed(path, ".meta: missing");
  const dataBytes = countOf(f, 2, path, ".dataBytes");
  const chunkStart = countOf(f, 3, path, ".chunkStart");
  const chunk = f.bytes[4] ?? emptyBytes;
  if (chunkStart + chunk.byteLength > dataBytes) {
    malformed(path, `.chunk: [${chunkStart}, +${chunk.byteLength}) beyond dataBytes ${dataBytes}`);
  }
  path.nested = "meta";
  const meta = readFields(metaBytes, layouts.snapshotMeta, path, metaFields);
  const configBytes = meta.embedded[3];
  if (configBytes === undefined) malformed(path, ".config: missing");
  const lastOffset = offsetOf(meta, 1, path, ".lastOffset");
  const lastEpoch = countOf(meta, 2, path, ".lastEpoch");
  path.nested = "meta.config";
  const config = readMembership(configBytes, path);
  path.nested = "";
  return { ...base, type: "snapshot", meta: { lastOffset, lastEpoch, config }, dataBytes, chunkStart, chunk };
}

/** Voters (1) and learners (2): repeated int32, packed as proto3 writes them, or one by one. */
function readMembership(reader: WireReader, path: Path): MembershipConfig {
  const voters: NodeId[] = [];
  const learners: NodeId[] = [];
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const target = field === 1 ? voters : field === 2 ? learners : undefined;
    if (target === undefined) {
      reader.skip(tag & 7);
    } else if ((tag & 7) === wireVarint) {
      target.push(readNodeId(reader, path));
    } else {
      expectWireType(tag, wireLengthDelimited, path, ` field ${field}`);
      const packed = reader.message();
      while (!packed.done) target.push(readNodeId(packed, path));
    }
  }
  return { voters, learners };
}

function readNodeId(reader: WireReader, path: Path): NodeId {
  const id = reader.varint();
  // A negative int32 arrives as a 10-byte varint above 2^63: out of range like any other too-large id.
  if (id > nodeIdMax) malformed(path, `: node id ${id} outside [0, ${nodeIdMax}]`);
  return id;
}
