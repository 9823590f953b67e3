// Control batches: one record whose key names the control type and whose value that type defines. Clients
// skip them; transaction markers (ABORT/COMMIT) end transactions, and a new Raft leader appends a
// LEADER_CHANGE batch in its epoch. Types from Kafka 4's ControlRecordType.java, plus one of Chronik's own:
// LOG_START, the partition leader's decision to move the log start offset (DeleteRecords, retention,
// __consumer_offsets compaction), which every replica applies once it is committed. Kafka has no such record
// because its log start is not replicated through the log; ours is, since the Raft log is the Kafka log.
// Clients meet it as a control type they do not know, which Kafka's and librdkafka's consumers ignore.

import type { DecompressOptions } from "../compression/index.ts";
import {
  decodeLeaderChangeMessage,
  encodeLeaderChangeMessage,
  type LeaderChangeMessage,
} from "../messages/leader-change-message.ts";
import { readInt16 } from "../primitives/big-endian.ts";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ByteWriter } from "../primitives/byte-writer.ts";
import { ProtocolError } from "../protocol-error.ts";
import { type BatchFields, buildBatch } from "./batch-builder.ts";
import { batchOffsets, isControlBatch, readBatchHeader } from "./batch-header.ts";
import { batchRecords, readAllRecords } from "./batch-records.ts";

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KraftVersion = 5,
  KraftVoters = 6,
  /** Chronik's own, far above Kafka's types so that no future Kafka type collides with it. */
  LogStart = 0x4c53,
}

export const controlRecordKeyVersion = 0;
const controlRecordKeyBytes = 4;
export const endTxnMarkerVersion = 0;
/** Kafka writes and reads LEADER_CHANGE values at this version (ControlRecordUtils.LEADER_CHANGE_CURRENT_VERSION). */
export const leaderChangeVersionCurrent = 0;
/** The LOG_START value: int16 version, int64 the new log start offset. */
export const logStartVersion = 0;
const logStartValueBytes = 10;

export interface ControlRecordKey {
  version: number;
  /** A ControlRecordType, or another value a newer peer wrote (Kafka calls it UNKNOWN and ignores it). */
  type: number;
}

export function encodeControlRecordKey(type: ControlRecordType): Uint8Array {
  const writer = new ByteWriter(controlRecordKeyBytes);
  writer.int16(controlRecordKeyVersion);
  writer.int16(type);
  return writer.finish();
}

/** Like Kafka, a newer key version is read as version 0 (fields may only be added); a negative one is corrupt. */
export function decodeControlRecordKey(key: Uint8Array | null): ControlRecordKey {
  if (key === null || key.length < controlRecordKeyBytes) {
    throw new ProtocolError(`control record key needs ${controlRecordKeyBytes} bytes`, ["controlRecord.key"]);
  }
  const reader = new ByteReader(key);
  const version = reader.int16("version");
  if (version < 0) throw new ProtocolError(`negative control key version ${version}`, ["controlRecord.key"]);
  return { version, type: reader.int16("type") };
}

export interface EndTxnMarker {
  version: number;
  coordinatorEpoch: number;
}

export function encodeEndTxnMarker(coordinatorEpoch: number): Uint8Array {
  const writer = new ByteWriter(6);
  writer.int16(endTxnMarkerVersion);
  writer.int32(coordinatorEpoch);
  return writer.finish();
}

export function decodeEndTxnMarker(value: Uint8Array | null): EndTxnMarker {
  if (value === null) throw new ProtocolError("null EndTxnMarker value", ["controlRecord.value"]);
  const reader = new ByteReader(value);
  const version = reader.int16("EndTxnMarker.version");
  if (version < 0)
    throw new ProtocolError(`negative EndTxnMarker version ${version}`, ["controlRecord.value"]);
  return { version, coordinatorEpoch: reader.int32("EndTxnMarker.coordinatorEpoch") };
}

/** The value of a LEADER_CHANGE record: the generated LeaderChangeMessage codec, without a version prefix. */
export function encodeLeaderChangeValue(message: LeaderChangeMessage): Uint8Array {
  const writer = new ByteWriter(32);
  encodeLeaderChangeMessage(writer, message, leaderChangeVersionCurrent);
  return writer.finish();
}

export function decodeLeaderChangeValue(value: Uint8Array | null): LeaderChangeMessage {
  if (value === null) throw new ProtocolError("null LeaderChange value", ["controlRecord.value"]);
  const reader = new ByteReader(value);
  try {
    const message = decodeLeaderChangeMessage(reader, leaderChangeVersionCurrent);
    if (reader.remaining !== 0) throw new ProtocolError(`${reader.remaining} bytes after the message`, []);
    return message;
  } catch (error) {
    if (error instanceof ProtocolError) throw error.within("LeaderChangeMessage");
    throw error;
  }
}

type ControlBatchFields = Omit<BatchFields, "control" | "lastOffsetDelta">;

export interface ControlBatchInput {
  type: ControlRecordType;
  value: Uint8Array;
  timestamp: number;
}

/** A batch of one control record; transaction markers also set producer fields and `transactional`. */
export function buildControlBatch(input: ControlBatchInput, fields: ControlBatchFields = {}): Uint8Array {
  const record = { key: encodeControlRecordKey(input.type), value: input.value, timestamp: input.timestamp };
  return buildBatch([record], { ...fields, control: true });
}

/** The batch a new Raft leader appends in its epoch (Kafka's MemoryRecords.withLeaderChangeMessage). */
export function buildLeaderChangeBatch(
  message: LeaderChangeMessage,
  fields: { baseOffset: bigint; leaderEpoch: number; timestamp: number },
): Uint8Array {
  return buildControlBatch(
    {
      type: ControlRecordType.LeaderChange,
      value: encodeLeaderChangeValue(message),
      timestamp: fields.timestamp,
    },
    { baseOffset: fields.baseOffset, partitionLeaderEpoch: fields.leaderEpoch },
  );
}

/** The batch a partition leader appends to move every replica's log start to `logStartOffset`. */
export function buildLogStartBatch(logStartOffset: number, fields: { timestamp: number }): Uint8Array {
  const writer = new ByteWriter(logStartValueBytes);
  writer.int16(logStartVersion);
  writer.int64(BigInt(logStartOffset));
  return buildControlBatch({
    type: ControlRecordType.LogStart,
    value: writer.finish(),
    timestamp: fields.timestamp,
  });
}

/**
 * The log start offset a LOG_START batch carries, or null for any other batch. Cheap for data batches (one
 * attribute test); only a control batch holding exactly one record is decoded.
 */
export function logStartOfBatch(batch: Uint8Array): number | null {
  if (!isControlBatch(readInt16(batch, batchOffsets.attributes))) return null;
  const header = readBatchHeader(batch);
  if (header.recordCount !== 1 || header.lastOffsetDelta !== 0) return null;
  const [record] = readAllRecords(batch, { decompressedBytesMax: controlBatchBytesMax });
  if (record === undefined || decodeControlRecordKey(record.key).type !== ControlRecordType.LogStart) {
    return null;
  }
  return decodeLogStartValue(record.value);
}

export function decodeLogStartValue(value: Uint8Array | null): number {
  if (value === null || value.length < logStartValueBytes) {
    throw new ProtocolError(`LOG_START value needs ${logStartValueBytes} bytes`, ["controlRecord.value"]);
  }
  const reader = new ByteReader(value);
  const version = reader.int16("LogStart.version");
  if (version < 0) throw new ProtocolError(`negative LogStart version ${version}`, ["controlRecord.value"]);
  const offset = reader.int64("LogStart.logStartOffset");
  if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError(`LOG_START offset ${offset} out of range`, ["controlRecord.value"]);
  }
  return Number(offset);
}

/** A control batch holds one small record; more than this inflated is not one. */
const controlBatchBytesMax = 64 * 1024;

export type ControlRecord =
  | { type: ControlRecordType.Abort | ControlRecordType.Commit; marker: EndTxnMarker }
  | { type: ControlRecordType.LeaderChange; leaderChange: LeaderChangeMessage }
  | { type: ControlRecordType.LogStart; logStartOffset: number }
  | { type: number; value: Uint8Array | null };

/** Decodes the control records of a control batch; values of types not handled here come back as bytes. */
export function readControlBatch(batch: Uint8Array, options: DecompressOptions): ControlRecord[] {
  const records = batchRecords(batch, options);
  if (!isControlBatch(records.header.attributes)) throw new ProtocolError("not a control batch", ["batch"]);
  return [...records].map((record): ControlRecord => {
    const { type } = decodeControlRecordKey(record.key);
    if (type === ControlRecordType.Abort || type === ControlRecordType.Commit) {
      return { type, marker: decodeEndTxnMarker(record.value) };
    }
    if (type === ControlRecordType.LeaderChange) {
      return { type, leaderChange: decodeLeaderChangeValue(record.value) };
    }
    if (type === ControlRecordType.LogStart) {
      return { type, logStartOffset: decodeLogStartValue(record.value) };
    }
    return { type, value: record.value };
  });
}
