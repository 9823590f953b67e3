// The classic group coordinator's records in __consumer_offsets, in Kafka's own format so the partition
// means the same thing to us as to Kafka: OffsetCommitKey/Value and GroupMetadataKey/Value from Kafka's
// group-coordinator/src/main/resources/common/message. A key is an int16 record type (0 and 1: offset
// commit, 2: group metadata) followed by its fields; a value is an int16 version followed by that version's
// fields; a tombstone (null value) deletes. Written at the versions Kafka writes (offset commit v3, or v1
// when it carries an expire timestamp; group metadata v3); read at every version 0-4, and versions above 4
// are read as 4, since KIP-915 only lets later versions add tagged fields.

import { assert } from "../../base/assert.ts";
import { copyBytes } from "../../base/bytes.ts";
import { ByteReader } from "../../protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../../protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../../protocol/protocol-error.ts";

export interface OffsetCommitKey {
  groupId: string;
  topic: string;
  partition: number;
}

export interface OffsetCommitValue {
  offset: number;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** -1 unless the commit asked for its own retention (OffsetCommit v2-4). */
  expireTimestampMs: number;
}

export interface GroupMetadataMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** -1 in version 0 records: the reader then uses the session timeout, as Kafka does. */
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's selected protocol. */
  subscription: Uint8Array;
  assignment: Uint8Array;
}

export interface GroupMetadataValue {
  /** "" for a group without one yet. */
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leader: string | null;
  /** -1 when unknown (records before version 2). */
  currentStateTimestampMs: number;
  members: GroupMetadataMember[];
}

export type GroupRecord =
  | { kind: "offset-commit"; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { kind: "group-metadata"; groupId: string; value: GroupMetadataValue | null };

export interface EncodedGroupRecord {
  key: Uint8Array;
  value: Uint8Array | null;
}

const offsetCommitKeyType = 1;
const legacyOffsetCommitKeyType = 0;
const groupMetadataKeyType = 2;
const valueVersionMax = 4;

export function encodeGroupRecord(record: GroupRecord): EncodedGroupRecord {
  const key = new ByteWriter(64);
  if (record.kind === "offset-commit") {
    key.int16(offsetCommitKeyType);
    key.nullableString(record.key.groupId);
    key.nullableString(record.key.topic);
    key.int32(record.key.partition);
    const value = record.value === null ? null : encodeOffsetCommitValue(record.value);
    return { key: key.finish(), value };
  }
  key.int16(groupMetadataKeyType);
  key.nullableString(record.groupId);
  const value = record.value === null ? null : encodeGroupMetadataValue(record.value);
  return { key: key.finish(), value };
}

/** Null for record types the classic coordinator does not own (consumer, share and streams groups). */
export function decodeGroupRecord(key: Uint8Array, value: Uint8Array | null): GroupRecord | null {
  const reader = new ByteReader(key);
  const type = reader.int16("key.type");
  if (type === offsetCommitKeyType || type === legacyOffsetCommitKeyType) {
    const decodedKey: OffsetCommitKey = {
      groupId: reader.string("key.group"),
      topic: reader.string("key.topic"),
      partition: reader.int32("key.partition"),
    };
    return {
      kind: "offset-commit",
      key: decodedKey,
      value: value === null ? null : decodeOffsetCommitValue(value),
    };
  }
  if (type === groupMetadataKeyType) {
    const groupId = reader.string("key.group");
    return {
      kind: "group-metadata",
      groupId,
      value: value === null ? null : decodeGroupMetadataValue(value),
    };
  }
  return null;
}

function encodeOffsetCommitValue(value: OffsetCommitValue): Uint8Array {
  const writer = new ByteWriter(64);
  const withExpiry = value.expireTimestampMs !== -1;
  writer.int16(withExpiry ? 1 : 3);
  writer.int64(toInt64(value.offset));
  if (!withExpiry) writer.int32(value.leaderEpoch);
  writer.nullableString(value.metadata);
  writer.int64(toInt64(value.commitTimestampMs));
  if (withExpiry) writer.int64(toInt64(value.expireTimestampMs));
  return writer.finish();
}

function decodeOffsetCommitValue(bytes: Uint8Array): OffsetCommitValue {
  const reader = new FieldReader(bytes);
  const version = reader.version();
  const offset = reader.int64("offset");
  const leaderEpoch = version >= 3 ? reader.int32("leaderEpoch") : -1;
  const metadata = reader.string("metadata");
  const commitTimestampMs = reader.int64("commitTimestamp");
  const expireTimestampMs = version === 1 ? reader.int64("expireTimestamp") : -1;
  reader.taggedFields("value");
  return { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs };
}

function encodeGroupMetadataValue(value: GroupMetadataValue): Uint8Array {
  const writer = new ByteWriter(256);
  writer.int16(3);
  writer.nullableString(value.protocolType);
  writer.int32(value.generationId);
  writer.nullableString(value.protocolName);
  writer.nullableString(value.leader);
  writer.int64(toInt64(value.currentStateTimestampMs));
  writer.arrayLength(value.members.length);
  for (const member of value.members) {
    writer.nullableString(member.memberId);
    writer.nullableString(member.groupInstanceId);
    writer.nullableString(member.clientId);
    writer.nullableString(member.clientHost);
    writer.int32(member.rebalanceTimeoutMs);
    writer.int32(member.sessionTimeoutMs);
    writer.nullableBytes(member.subscription);
    writer.nullableBytes(member.assignment);
  }
  return writer.finish();
}

function decodeGroupMetadataValue(bytes: Uint8Array): GroupMetadataValue {
  const reader = new FieldReader(bytes);
  const version = reader.version();
  const protocolType = reader.string("protocolType");
  const generationId = reader.int32("generation");
  const protocolName = reader.nullableString("protocol");
  const leader = reader.nullableString("leader");
  const currentStateTimestampMs = version >= 2 ? reader.int64("currentStateTimestamp") : -1;
  // A member takes at least its two int32 timeouts, whatever the encoding of its strings.
  const count = reader.arrayLength(8, "members");
  const members: GroupMetadataMember[] = [];
  for (let index = 0; index < count; index++) members.push(decodeMember(reader, version));
  reader.taggedFields("value");
  return { protocolType, generationId, protocolName, leader, currentStateTimestampMs, members };
}

function decodeMember(reader: FieldReader, version: number): GroupMetadataMember {
  const memberId = reader.string("members.memberId");
  const groupInstanceId = version >= 3 ? reader.nullableString("members.groupInstanceId") : null;
  const clientId = reader.string("members.clientId");
  const clientHost = reader.string("members.clientHost");
  const rebalanceTimeoutMs = version >= 1 ? reader.int32("members.rebalanceTimeout") : -1;
  const sessionTimeoutMs = reader.int32("members.sessionTimeout");
  const subscription = copyBytes(reader.bytes("members.subscription"));
  const assignment = copyBytes(reader.bytes("members.assignment"));
  reader.taggedFields("members");
  return {
    memberId,
    groupInstanceId,
    clientId,
    clientHost,
    rebalanceTimeoutMs,
    sessionTimeoutMs,
    subscription,
    assignment,
  };
}

function toInt64(value: number): bigint {
  assert(Number.isSafeInteger(value), `int64 field must be a safe integer: ${value}`);
  return BigInt(value);
}

/** Reads one value's fields in the classic (version < 4) or flexible (version 4+) encoding. */
class FieldReader {
  private readonly reader: ByteReader;
  private flexible = false;

  constructor(bytes: Uint8Array) {
    this.reader = new ByteReader(bytes);
  }

  version(): number {
    const version = this.reader.int16("value.version");
    if (version < 0) throw new ProtocolError(`negative value version ${version}`, ["value.version"]);
    this.flexible = Math.min(version, valueVersionMax) >= 4;
    return Math.min(version, valueVersionMax);
  }

  int32(field: string): number {
    return this.reader.int32(field);
  }

  int64(field: string): number {
    const value = this.reader.int64(field);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError(`${value} outside the safe integer range`, [field]);
    }
    return Number(value);
  }

  nullableString(field: string): string | null {
    return this.flexible ? this.reader.nullableCompactString(field) : this.reader.nullableString(field);
  }

  string(field: string): string {
    return this.flexible ? this.reader.compactString(field) : this.reader.string(field);
  }

  bytes(field: string): Uint8Array {
    return this.flexible ? this.reader.compactBytes(field) : this.reader.bytesField(field);
  }

  arrayLength(elementBytesMin: number, field: string): number {
    return this.flexible
      ? this.reader.compactArrayLength(elementBytesMin, field)
      : this.reader.arrayLength(elementBytesMin, field);
  }

  /** Skips a flexible struct's tagged fields: none of them matter to the classic coordinator. */
  taggedFields(field: string): void {
    if (!this.flexible) return;
    const count = this.reader.unsignedVarint(`${field}.taggedFields`);
    for (let index = 0; index < count; index++) {
      this.reader.unsignedVarint(`${field}.tag`);
      const size = this.reader.unsignedVarint(`${field}.tagSize`);
      this.reader.rawBytes(size, `${field}.tagData`);
    }
  }
}
