// Control batches: one record whose key names the control type and whose value that type defines. Clients
// skip them; transaction markers (ABORT/COMMIT) end transactions, and a new Raft leader appends a
// LEADER_CHANGE batch in its epoch. Types from Kafka 4's ControlRecordType.java.

import type { DecompressOptions } from "../compression/index.ts";
import {
  decodeLeaderChangeMessage,
  encodeLeaderChangeMessage,
  type LeaderChangeMessage,
} from "../messages/leader-change-message.ts";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ByteWriter } from "../primitives/byte-writer.ts";
import { ProtocolError } from "../protocol-error.ts";
import { type BatchFields, buildBatch } from "./batch-builder.ts";
import { isControlBatch } from "./batch-header.ts";
import { batchRecords } from "./batch-records.ts";

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KraftVersion = 5,
  KraftVoters = 6,
}

export const controlRecordKeyVersion = 0;
const controlRecordKeyBytes = 4;
export const endTxnMarkerVersion = 0;
/** Kafka writes and reads LEADER_CHANGE values at this version (ControlRecordUtils.LEADER_CHANGE_CURRENT_VERSION). */
export const leaderChangeVersionCurrent = 0;

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

export type ControlRecord =
  | { type: ControlRecordType.Abort | ControlRecordType.Commit; marker: EndTxnMarker }
  | { type: ControlRecordType.LeaderChange; leaderChange: LeaderChangeMessage }
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
    return { type, value: record.value };
  });
}
