// The binary format of a producer-state snapshot file, `<20-digit offset>.snapshot`: the idempotent-producer
// table as of the log below that offset. Laid out as Kafka's ProducerStateManager lays its own (a version, then
// a CRC-32C of everything after the CRC field, then the entries), but each producer keeps all of its retained
// batches, not only the last, so a retry of any of its last five batches is still a duplicate after a restart.
//
//   int16  version (1)
//   uint32 crc: CRC-32C of every byte after this field
//   int64  snapshotOffset (must match the file name: a misnamed file is not trusted)
//   int32  producerCount
//   producerCount × { int64 producerId, int16 producerEpoch, int64 lastTimestampMs, int8 batchCount (0..5),
//                     batchCount × { int32 baseSequence, int32 lastSequence, int64 baseOffset,
//                                    int64 lastOffset, int64 timestampMs } }
//
// Pure: bytes in, entries or a reason out. A file that fails any check is a reason, never an exception.

import { crc32c } from "../protocol/crc32c.ts";
import { ByteReader } from "../protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../protocol/protocol-error.ts";
import {
  type ProducerSnapshotEntry,
  type RetainedBatch,
  retainedBatchesPerProducer,
} from "./producer-state.ts";

export const producerSnapshotVersion = 1;
const crcPosition = 2;
const coveredPosition = crcPosition + 4;
const producerBytesMin = 8 + 2 + 8 + 1;
const batchBytes = 4 + 4 + 8 + 8 + 8;

export function encodeProducerSnapshot(
  snapshotOffset: number,
  entries: readonly ProducerSnapshotEntry[],
): Uint8Array {
  const writer = new ByteWriter(coveredPosition + 12 + entries.length * (producerBytesMin + 2 * batchBytes));
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
  try {
    const reader = new ByteReader(bytes);
    const version = reader.int16("version");
    if (version !== producerSnapshotVersion) return `unknown version ${version}`;
    const crc = reader.uint32("crc");
    if (crc !== crc32c(bytes.subarray(coveredPosition))) return "CRC-32C mismatch";
    const offset = Number(reader.int64("snapshotOffset"));
    if (offset !== snapshotOffset) return `holds offset ${offset}, named for ${snapshotOffset}`;
    const count = reader.arrayLength(producerBytesMin, "producers");
    const entries: ProducerSnapshotEntry[] = [];
    for (let index = 0; index < count; index++) {
      const entry = readEntry(reader, snapshotOffset);
      if (typeof entry === "string") return `producer ${index}: ${entry}`;
      entries.push(entry);
    }
    if (reader.remaining !== 0) return `${reader.remaining} bytes after the last producer`;
    return entries;
  } catch (error) {
    if (error instanceof ProtocolError) return `malformed: ${error.message}`;
    throw error;
  }
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
