// What a partition's Raft snapshot carries: everything a follower behind the leader's log start needs to begin
// its log again there as if it had replicated the log from the start — the log start itself, the leader epoch
// in force at the first batch kept (so the follower's leader-epoch history answers for it before any batch
// arrives), and the partition's producer state below that batch (opaque bytes from the replica, so idempotent
// dedup survives when the follower later leads). The log's batches after the snapshot come by replication.
//
//   int16  version (1)
//   uint32 crc: CRC-32C of every byte after this field
//   int64  firstOffset: where the follower's log begins again (the snapshot mark + 1, a batch base)
//   int64  logStartOffset: the leader's log start (≥ firstOffset; inside the first batch when retention cut it)
//   int32  leaderEpoch of the first batch, -1 when the leader's log holds none
//   int32  producerStateBytes, then those bytes
//
// An empty snapshot (a leader of an older version) is also accepted: the log begins again with no producer
// state, as before. Pure: bytes in, a snapshot or a reason out.

import { crc32c } from "../../protocol/crc32c.ts";
import { ByteReader } from "../../protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../../protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../../protocol/protocol-error.ts";

export const partitionSnapshotVersion = 1;
const crcPosition = 2;
const coveredPosition = crcPosition + 4;
const fixedBytes = coveredPosition + 8 + 8 + 4 + 4;

export interface PartitionSnapshot {
  readonly firstOffset: number;
  readonly logStartOffset: number;
  /** -1 when unknown. */
  readonly leaderEpoch: number;
  /** The replica's producer state below firstOffset; empty when it has none to give. */
  readonly producerState: Uint8Array;
}

/**
 * What a partition replica contributes to its snapshots: the producer state of the log below an offset, and the
 * install of such state into a log that has just begun again there. The replica attaches it to its log store.
 */
export interface PartitionSnapshotState {
  capture(firstOffset: number): Uint8Array;
  /** Called once the log is empty at firstOffset; must persist the state before it returns. */
  install(firstOffset: number, producerState: Uint8Array): void;
}

export function encodePartitionSnapshot(snapshot: PartitionSnapshot): Uint8Array {
  const writer = new ByteWriter(fixedBytes + snapshot.producerState.length);
  writer.int16(partitionSnapshotVersion);
  writer.uint32(0);
  writer.int64(BigInt(snapshot.firstOffset));
  writer.int64(BigInt(snapshot.logStartOffset));
  writer.int32(snapshot.leaderEpoch);
  writer.int32(snapshot.producerState.length);
  writer.rawBytes(snapshot.producerState);
  const bytes = writer.finish();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(crcPosition, crc32c(bytes.subarray(coveredPosition)));
  return bytes;
}

/** The snapshot a leader sent for a log beginning at firstOffset, or why it cannot be trusted. */
export function decodePartitionSnapshot(bytes: Uint8Array, firstOffset: number): PartitionSnapshot | string {
  if (bytes.length === 0) {
    return { firstOffset, logStartOffset: firstOffset, leaderEpoch: -1, producerState: new Uint8Array(0) };
  }
  try {
    const reader = new ByteReader(bytes);
    const version = reader.int16("version");
    if (version !== partitionSnapshotVersion) return `version ${version}`;
    const crc = reader.uint32("crc");
    if (crc !== crc32c(bytes.subarray(coveredPosition))) return "crc mismatch";
    const first = Number(reader.int64("firstOffset"));
    if (first !== firstOffset) return `snapshot for offset ${first}, not ${firstOffset}`;
    const logStartOffset = Number(reader.int64("logStartOffset"));
    if (logStartOffset < firstOffset) return `log start ${logStartOffset} below ${firstOffset}`;
    const leaderEpoch = reader.int32("leaderEpoch");
    const stateBytes = reader.int32("producerStateBytes");
    if (stateBytes < 0 || stateBytes !== reader.remaining) return `producer state of ${stateBytes} bytes`;
    const producerState = bytes.slice(bytes.length - stateBytes);
    return { firstOffset, logStartOffset, leaderEpoch, producerState };
  } catch (error) {
    if (error instanceof ProtocolError) return error.message;
    throw error;
  }
}
