// The binary format of a producer-state snapshot file, `<20-digit offset>.snapshot`: the idempotent-producer
// table as of the log below that offset. Laid out as Kafka's ProducerStateManager lays its own (a version, then
// a CRC-32C of everything after the CRC field, then the entries), but each producer keeps all of its retained
// batches, not only the last, so a retry of any of its last five batches is still a duplicate after a restart.
//
//   int16  version (2; version 1 files, without the transaction fields, are still read)
//   uint32 crc: CRC-32C of every byte after this field
//   int64  snapshotOffset (must match the file name: a misnamed file is not trusted)
//   int32  producerCount
//   producerCount × { int64 producerId, int16 producerEpoch, int64 lastTimestampMs, int8 batchCount (0..5),
//                     batchCount × { int32 baseSequence, int32 lastSequence, int64 baseOffset,
//                                    int64 lastOffset, int64 timestampMs },
//                     int64 currentTxnFirstOffset (-1: no open transaction; version 2) }
//   int32  abortedCount (version 2)
//   abortedCount × { int64 producerId, int64 firstOffset, int64 lastOffset }   the aborted-transactions index
//
// Pure: bytes in, entries or a reason out. A file that fails any check is a reason, never an exception.

import { crc32c } from "../protocol/crc32c.ts";
import { ByteReader } from "../protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../protocol/protocol-error.ts";
import type { AbortedTransaction } from "./aborted-transactions.ts";
import {
  type ProducerSnapshotEntry,
  type RetainedBatch,
  retainedBatchesPerProducer,
} from "./producer-state.ts";

export const producerSnapshotVersion = 2;
const producerSnapshotVersionWithoutTransactions = 1;
const abortedBytes = 8 + 8 + 8;

/** A snapshot file's content: the producers and the partition's aborted transactions. */
export interface ProducerSnapshot {
  entries: ProducerSnapshotEntry[];
  aborted: AbortedTransaction[];
}
const crcPosition = 2;
const coveredPosition = crcPosition + 4;
const producerBytesMin = 8 + 2 + 8 + 1;
const batchBytes = 4 + 4 + 8 + 8 + 8;

export function encodeProducerSnapshot(
  snapshotOffset: number,
  entries: readonly ProducerSnapshotEntry[],
  aborted: readonly AbortedTransaction[] = [],
): Uint8Array {
  const writer = new ByteWriter(
    coveredPosition +
      16 +
      entries.length * (producerBytesMin + 8 + 2 * batchBytes) +
      aborted.length * abortedBytes,
  );
  writer.int16(producerSnapshotVersion);
  writer.uint32(0);
  writer.int64(BigInt(snapshotOffset));
  writer.int32(entries.length);
  for (const entry of entries) {
    writer.int64(BigInt(entry.producerId));
    writer.int16(entry.producerEpoch);
    writer.int64(BigInt(entry.lastTimestampMs));
    writer.int8(entry.batches.length);
    for (const batch of entry.batches) {
      writer.int32(batch.baseSequence);
      writer.int32(batch.lastSequence);
      writer.int64(BigInt(batch.baseOffset));
      writer.int64(BigInt(batch.lastOffset));
      writer.int64(BigInt(batch.timestampMs));
    }
    writer.int64(BigInt(entry.currentTxnFirstOffset ?? -1));
  }
  writer.int32(aborted.length);
  for (const transaction of aborted) {
    writer.int64(transaction.producerId);
    writer.int64(BigInt(transaction.firstOffset));
    writer.int64(BigInt(transaction.lastOffset));
  }
  const bytes = writer.finish();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(crcPosition, crc32c(bytes.subarray(coveredPosition)));
  return bytes;
}

/** The entries of a snapshot named for `snapshotOffset`, or why the bytes cannot be trusted. */
export function decodeProducerSnapshot(
  bytes: Uint8Array,
  snapshotOffset: number,
): ProducerSnapshotEntry[] | string {
  const decoded = decodeProducerSnapshotFile(bytes, snapshotOffset);
  return typeof decoded === "string" ? decoded : decoded.entries;
}

/** The producers and aborted transactions of a snapshot named for `snapshotOffset`, or why not. */
export function decodeProducerSnapshotFile(
  bytes: Uint8Array,
  snapshotOffset: number,
): ProducerSnapshot | string {
  try {
    const reader = new ByteReader(bytes);
    const version = reader.int16("version");
    if (version !== producerSnapshotVersion && version !== producerSnapshotVersionWithoutTransactions)
      return `unknown version ${version}`;
    const withTransactions = version === producerSnapshotVersion;
    const crc = reader.uint32("crc");
    if (crc !== crc32c(bytes.subarray(coveredPosition))) return "CRC-32C mismatch";
    const offset = Number(reader.int64("snapshotOffset"));
    if (offset !== snapshotOffset) return `holds offset ${offset}, named for ${snapshotOffset}`;
    const count = reader.arrayLength(producerBytesMin, "producers");
    const entries: ProducerSnapshotEntry[] = [];
    for (let index = 0; index < count; index++) {
      const entry = readEntry(reader, snapshotOffset);
      if (typeof entry === "string") return `producer ${index}: ${entry}`;
      if (withTransactions) {
        const first = Number(reader.int64("currentTxnFirstOffset"));
        if (first < -1 || first >= snapshotOffset) return `producer ${index}: transaction at ${first}`;
        entry.currentTxnFirstOffset = first === -1 ? null : first;
      }
      entries.push(entry);
    }
    const aborted = withTransactions ? readAborted(reader, snapshotOffset) : [];
    if (typeof aborted === "string") return aborted;
    if (reader.remaining !== 0) return `${reader.remaining} bytes after the last producer`;
    return { entries, aborted };
  } catch (error) {
    if (error instanceof ProtocolError) return `malformed: ${error.message}`;
    throw error;
  }
}

function readAborted(reader: ByteReader, snapshotOffset: number): AbortedTransaction[] | string {
  const count = reader.arrayLength(abortedBytes, "aborted");
  const aborted: AbortedTransaction[] = [];
  let previous = -1;
  for (let index = 0; index < count; index++) {
    const producerId = reader.int64("producerId");
    const firstOffset = Number(reader.int64("firstOffset"));
    const lastOffset = Number(reader.int64("lastOffset"));
    // The index asserts its order: a file that breaks it is refused here instead.
    if (
      firstOffset < 0 ||
      firstOffset >= lastOffset ||
      lastOffset <= previous ||
      lastOffset >= snapshotOffset
    )
      return `aborted transaction ${index} at offsets ${firstOffset}..${lastOffset}`;
    previous = lastOffset;
    aborted.push({ producerId, firstOffset, lastOffset });
  }
  return aborted;
}

function readEntry(reader: ByteReader, snapshotOffset: number): ProducerSnapshotEntry | string {
  const producerId = reader.int64("producerId");
  const producerEpoch = reader.int16("producerEpoch");
  const lastTimestampMs = Number(reader.int64("lastTimestampMs"));
  const batchCount = reader.int8("batchCount");
  if (producerId < 0n) return `producer id ${producerId}`;
  if (batchCount < 0 || batchCount > retainedBatchesPerProducer) return `${batchCount} batches`;
  const batches: RetainedBatch[] = [];
  let nextOffset = 0;
  for (let index = 0; index < batchCount; index++) {
    const batch = {
      baseSequence: reader.int32("baseSequence"),
      lastSequence: reader.int32("lastSequence"),
      baseOffset: Number(reader.int64("baseOffset")),
      lastOffset: Number(reader.int64("lastOffset")),
      timestampMs: Number(reader.int64("timestampMs")),
    };
    // The table asserts its batches move forward: a file that says otherwise is refused here instead.
    const ordered = batch.baseOffset >= nextOffset && batch.lastOffset >= batch.baseOffset;
    if (!ordered || batch.lastOffset >= snapshotOffset)
      return `batch ${index} at offsets ${batch.baseOffset}`;
    nextOffset = batch.lastOffset + 1;
    batches.push(batch);
  }
  return { producerId: producerId.toString(), producerEpoch, lastTimestampMs, batches };
}
