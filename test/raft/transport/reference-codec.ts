// The transport's codec as the plain protobuf-es mapping (create/toBinary/fromBinary over the generated
// schema), kept as the oracle the hand-written codec (src/raft/transport/codec.ts) is held to: the same bytes
// out, the same messages back.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { assert, unreachable } from "../../../src/base/assert.ts";
import type * as pb from "../../../src/gen/chronik/raft/v1/raft_pb.ts";
import {
  AppendResponseSchema,
  AppendSchema,
  EntryKind as EntryKindProto,
  EntrySchema,
  GroupMessagesSchema,
  HeartbeatResponseSchema,
  HeartbeatSchema,
  MembershipSchema,
  RaftBatchSchema,
  RaftMessageSchema,
  SnapshotMetaSchema,
  SnapshotResponseSchema,
  SnapshotSchema,
  TimeoutNowSchema,
  VoteResponseSchema,
  VoteSchema,
} from "../../../src/gen/chronik/raft/v1/raft_pb.ts";
import type {
  Entry,
  EntryKind,
  MembershipConfig,
  Message,
  NodeId,
  SnapshotMeta,
} from "../../../src/raft/core/index.ts";
import type { GroupMessage } from "../../../src/raft/node/transport.ts";

const groupIdLengthMax = 512;
const nodeIdMax = 2 ** 31 - 1;

// ---- encoding --------------------------------------------------------------------------------------------

/**
 * Encodes the messages of one call from `from` to `to`; consecutive messages of one group share one
 * GroupMessages (the group manager queues each group's messages together, so runs are long).
 */
export function referenceEncode(batch: readonly GroupMessage[], from: NodeId, to: NodeId): Uint8Array {
  const groups: pb.GroupMessages[] = [];
  let run: pb.GroupMessages | undefined;
  for (const { groupId, message } of batch) {
    assert(
      message.from === from && message.to === to,
      `a message from ${message.from} to ${message.to} in a call ${from}→${to}`,
    );
    if (run === undefined || run.groupId !== groupId) {
      run = create(GroupMessagesSchema, { groupId });
      groups.push(run);
    }
    run.messages.push(create(RaftMessageSchema, { term: BigInt(message.term), body: bodyToProto(message) }));
  }
  return toBinary(RaftBatchSchema, create(RaftBatchSchema, { groups }));
}

function bodyToProto(message: Message): pb.RaftMessage["body"] {
  switch (message.type) {
    case "vote":
      return {
        case: "vote",
        value: create(VoteSchema, {
          preVote: message.preVote,
          lastOffset: BigInt(message.lastOffset),
          lastEpoch: BigInt(message.lastEpoch),
          transfer: message.transfer,
        }),
      };
    case "voteResponse":
      return {
        case: "voteResponse",
        value: create(VoteResponseSchema, { preVote: message.preVote, granted: message.granted }),
      };
    case "append":
      return {
        case: "append",
        value: create(AppendSchema, {
          prevOffset: BigInt(message.prevOffset),
          prevEpoch: BigInt(message.prevEpoch),
          entries: message.entries.map(entryToProto),
          commitOffset: BigInt(message.commitOffset),
        }),
      };
    case "appendResponse":
      return {
        case: "appendResponse",
        value: create(AppendResponseSchema, {
          reject: message.reject,
          matchOffset: BigInt(message.matchOffset),
          hintOffset: BigInt(message.hintOffset),
          hintEpoch: BigInt(message.hintEpoch),
        }),
      };
    case "heartbeat":
      return {
        case: "heartbeat",
        value: create(HeartbeatSchema, {
          commitOffset: BigInt(message.commitOffset),
          readRequestId: BigInt(message.readRequestId),
        }),
      };
    case "heartbeatResponse":
      return {
        case: "heartbeatResponse",
        value: create(HeartbeatResponseSchema, { readRequestId: BigInt(message.readRequestId) }),
      };
    case "snapshot":
      return {
        case: "snapshot",
        value: create(SnapshotSchema, {
          meta: snapshotMetaToProto(message.meta),
          dataBytes: BigInt(message.dataBytes),
          chunkStart: BigInt(message.chunkStart),
          chunk: message.chunk,
        }),
      };
    case "snapshotResponse":
      return {
        case: "snapshotResponse",
        value: create(SnapshotResponseSchema, {
          snapshotLastOffset: BigInt(message.snapshotLastOffset),
          receivedBytes: BigInt(message.receivedBytes),
        }),
      };
    case "timeoutNow":
      return { case: "timeoutNow", value: create(TimeoutNowSchema) };
    default:
      return unreachable(message, "raft message type");
  }
}

const entryKindToProto: Record<EntryKind, EntryKindProto> = {
  data: EntryKindProto.DATA,
  control: EntryKindProto.CONTROL,
  config: EntryKindProto.CONFIG,
};

function entryToProto(entry: Entry): pb.Entry {
  return create(EntrySchema, {
    baseOffset: BigInt(entry.baseOffset),
    lastOffset: BigInt(entry.lastOffset),
    epoch: BigInt(entry.epoch),
    kind: entryKindToProto[entry.kind],
    byteSize: BigInt(entry.byteSize),
    payload: entry.payload,
    config: entry.config === undefined ? undefined : membershipToProto(entry.config),
  });
}

function membershipToProto(config: MembershipConfig): pb.Membership {
  return create(MembershipSchema, { voters: [...config.voters], learners: [...config.learners] });
}

function snapshotMetaToProto(meta: SnapshotMeta): pb.SnapshotMeta {
  return create(SnapshotMetaSchema, {
    lastOffset: BigInt(meta.lastOffset),
    lastEpoch: BigInt(meta.lastEpoch),
    config: membershipToProto(meta.config),
  });
}

// ---- decoding --------------------------------------------------------------------------------------------

type DecodeResult =
  | { readonly ok: true; readonly batch: GroupMessage[] }
  | { readonly ok: false; readonly reason: string };

/** Thrown inside the decoder only; decodeRaftBatch turns it into a refusal naming the field. */
class MalformedBatch extends Error {}

function malformed(reason: string): never {
  throw new MalformedBatch(reason);
}

/**
 * Decodes and checks the messages of one call from `from` to `to`, accepting at most messagesMax of them.
 * Either every message is well formed, or the result says which one is not and nothing is returned.
 */
export function referenceDecode(
  bytes: Uint8Array,
  call: { from: NodeId; to: NodeId; messagesMax: number },
): DecodeResult {
  let decoded: pb.RaftBatch;
  try {
    decoded = fromBinary(RaftBatchSchema, bytes);
  } catch (error) {
    return { ok: false, reason: `batch: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    const batch: GroupMessage[] = [];
    for (const [groupIndex, group] of decoded.groups.entries()) {
      const where = `groups[${groupIndex}]`;
      if (group.groupId.length === 0 || group.groupId.length > groupIdLengthMax) {
        malformed(`${where}.groupId: length ${group.groupId.length} outside [1, ${groupIdLengthMax}]`);
      }
      if (batch.length + group.messages.length > call.messagesMax) {
        malformed(`more than ${call.messagesMax} messages`);
      }
      for (const [index, proto] of group.messages.entries()) {
        const message = messageFromProto(proto, call.from, call.to, `${where}.messages[${index}]`);
        batch.push({ groupId: group.groupId, message });
      }
    }
    return { ok: true, batch };
  } catch (error) {
    if (error instanceof MalformedBatch) return { ok: false, reason: error.message };
    throw error;
  }
}

function messageFromProto(proto: pb.RaftMessage, from: NodeId, to: NodeId, where: string): Message {
  const base = { from, to, term: count(proto.term, `${where}.term`) };
  const body = proto.body;
  switch (body.case) {
    case "vote":
      return {
        ...base,
        type: "vote",
        preVote: body.value.preVote,
        lastOffset: offset(body.value.lastOffset, `${where}.vote.lastOffset`),
        lastEpoch: count(body.value.lastEpoch, `${where}.vote.lastEpoch`),
        transfer: body.value.transfer,
      };
    case "voteResponse":
      return { ...base, type: "voteResponse", preVote: body.value.preVote, granted: body.value.granted };
    case "append":
      return appendFromProto(base, body.value, `${where}.append`);
    case "appendResponse":
      return {
        ...base,
        type: "appendResponse",
        reject: body.value.reject,
        matchOffset: offset(body.value.matchOffset, `${where}.appendResponse.matchOffset`),
        hintOffset: offset(body.value.hintOffset, `${where}.appendResponse.hintOffset`),
        hintEpoch: count(body.value.hintEpoch, `${where}.appendResponse.hintEpoch`),
      };
    case "heartbeat":
      return {
        ...base,
        type: "heartbeat",
        commitOffset: offset(body.value.commitOffset, `${where}.heartbeat.commitOffset`),
        readRequestId: offset(body.value.readRequestId, `${where}.heartbeat.readRequestId`),
      };
    case "heartbeatResponse":
      return {
        ...base,
        type: "heartbeatResponse",
        readRequestId: offset(body.value.readRequestId, `${where}.heartbeatResponse.readRequestId`),
      };
    case "snapshot":
      return snapshotFromProto(base, body.value, `${where}.snapshot`);
    case "snapshotResponse":
      return {
        ...base,
        type: "snapshotResponse",
        snapshotLastOffset: offset(
          body.value.snapshotLastOffset,
          `${where}.snapshotResponse.snapshotLastOffset`,
        ),
        receivedBytes: count(body.value.receivedBytes, `${where}.snapshotResponse.receivedBytes`),
      };
    case "timeoutNow":
      return { ...base, type: "timeoutNow" };
    case undefined:
      return malformed(`${where}: no message body`);
    default:
      return unreachable(body, "raft message body");
  }
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

function appendFromProto(base: MessageBase, proto: pb.Append, where: string): Message {
  const prevOffset = offset(proto.prevOffset, `${where}.prevOffset`);
  const entries: Entry[] = [];
  let nextOffset = prevOffset + 1;
  for (const [index, entryProto] of proto.entries.entries()) {
    const entry = entryFromProto(entryProto, `${where}.entries[${index}]`);
    if (entry.baseOffset !== nextOffset) {
      malformed(`${where}.entries[${index}].baseOffset: ${entry.baseOffset}, expected ${nextOffset}`);
    }
    entries.push(entry);
    nextOffset = entry.lastOffset + 1;
  }
  return {
    ...base,
    type: "append",
    prevOffset,
    prevEpoch: count(proto.prevEpoch, `${where}.prevEpoch`),
    entries,
    commitOffset: offset(proto.commitOffset, `${where}.commitOffset`),
  };
}

const entryKindFromProto: Partial<Record<EntryKindProto, EntryKind>> = {
  [EntryKindProto.DATA]: "data",
  [EntryKindProto.CONTROL]: "control",
  [EntryKindProto.CONFIG]: "config",
};

function entryFromProto(proto: pb.Entry, where: string): Entry {
  const kind = entryKindFromProto[proto.kind];
  if (kind === undefined) malformed(`${where}.kind: ${proto.kind} is not a known entry kind`);
  const baseOffset = count(proto.baseOffset, `${where}.baseOffset`);
  const lastOffset = count(proto.lastOffset, `${where}.lastOffset`);
  if (lastOffset < baseOffset) malformed(`${where}.lastOffset: ${lastOffset} below baseOffset ${baseOffset}`);
  const entry = {
    baseOffset,
    lastOffset,
    epoch: count(proto.epoch, `${where}.epoch`),
    kind,
    byteSize: count(proto.byteSize, `${where}.byteSize`),
    payload: proto.payload,
  };
  if (kind !== "config") {
    if (proto.config !== undefined) malformed(`${where}.config: present on a ${kind} entry`);
    return entry;
  }
  if (proto.config === undefined) malformed(`${where}.config: missing on a config entry`);
  return { ...entry, config: membershipFromProto(proto.config, `${where}.config`) };
}

function snapshotFromProto(base: MessageBase, proto: pb.Snapshot, where: string): Message {
  if (proto.meta === undefined) malformed(`${where}.meta: missing`);
  if (proto.meta.config === undefined) malformed(`${where}.meta.config: missing`);
  const dataBytes = count(proto.dataBytes, `${where}.dataBytes`);
  const chunkStart = count(proto.chunkStart, `${where}.chunkStart`);
  if (chunkStart + proto.chunk.byteLength > dataBytes) {
    malformed(`${where}.chunk: [${chunkStart}, +${proto.chunk.byteLength}) beyond dataBytes ${dataBytes}`);
  }
  return {
    ...base,
    type: "snapshot",
    meta: {
      lastOffset: offset(proto.meta.lastOffset, `${where}.meta.lastOffset`),
      lastEpoch: count(proto.meta.lastEpoch, `${where}.meta.lastEpoch`),
      config: membershipFromProto(proto.meta.config, `${where}.meta.config`),
    },
    dataBytes,
    chunkStart,
    chunk: proto.chunk,
  };
}

function membershipFromProto(proto: pb.Membership, where: string): MembershipConfig {
  for (const id of [...proto.voters, ...proto.learners]) {
    if (id < 0 || id > nodeIdMax) malformed(`${where}: node id ${id} outside [0, ${nodeIdMax}]`);
  }
  return { voters: proto.voters, learners: proto.learners };
}

const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

/** A term, epoch or size: 0 to 2^53 - 1. */
function count(value: bigint, where: string): number {
  if (value < 0n || value > safeMax) malformed(`${where}: ${value} outside [0, 2^53)`);
  return Number(value);
}

/** An offset, or -1 for none. */
function offset(value: bigint, where: string): number {
  if (value < -1n || value > safeMax) malformed(`${where}: ${value} outside [-1, 2^53)`);
  return Number(value);
}
