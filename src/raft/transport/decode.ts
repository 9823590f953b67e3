// Decoding and checking a RaftBatch (codec.ts says what is checked), straight into the core's types.
import { unreachable } from "../../base/assert.ts";
import type { Entry, MembershipConfig, Message, NodeId } from "../core/index.ts";
import type { GroupMessage } from "../node/transport.ts";
import { bodyType, entryKindOf, groupIdLengthMax, nodeIdMax } from "./raft-batch-schema.ts";
import { WireError, WireReader, wireLengthDelimited, wireVarint } from "./wire.ts";

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

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
