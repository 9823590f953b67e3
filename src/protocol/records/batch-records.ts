// Lazy iteration over the records of one magic-2 batch. The header is checked first (magic, length, a
// record count the payload could hold); a compressed payload is inflated once, under the caller's limit;
// then each record is decoded only when asked for. The count must match exactly: missing records or bytes
// left over are a ProtocolError, as in Kafka's DefaultRecordBatch.

import { type DecompressOptions, decompress } from "../compression/index.ts";
import { ByteReader } from "../primitives/byte-reader.ts";
import { ProtocolError } from "../protocol-error.ts";
import {
  type BatchHeader,
  batchHeaderBytes,
  batchLengthPrefixBytes,
  CompressionCodec,
  compressionOf,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
} from "./batch-header.ts";
import { type KafkaRecord, readRecord, recordBytesMin } from "./record.ts";

export interface BatchRecords extends Iterable<KafkaRecord> {
  header: BatchHeader;
}

/** Checks `batch` (exactly one whole batch) and returns its header and an iterable of its records. */
export function batchRecords(batch: Uint8Array, options: DecompressOptions): BatchRecords {
  const header = readBatchHeader(batch);
  if (header.magic !== 2) throw new ProtocolError(`magic ${header.magic}, expected 2`, ["batch"]);
  if (header.batchLength + batchLengthPrefixBytes !== batch.length) {
    throw new ProtocolError(
      `batchLength ${header.batchLength} disagrees with the ${batch.length} bytes given`,
      ["batch"],
    );
  }
  if (header.recordCount < 0)
    throw new ProtocolError(`negative recordCount ${header.recordCount}`, ["batch"]);
  const codec = compressionOf(header.attributes);
  const payload = batch.subarray(batchHeaderBytes);
  // A hostile count is refused before any work: every record needs at least recordBytesMin bytes.
  if (codec === CompressionCodec.None) checkCountFits(header.recordCount, payload.length);
  return {
    header,
    // Each iteration inflates anew; iterate once on hot paths.
    [Symbol.iterator]: () => recordIterator(header, decompress(codec, payload, options)),
  };
}

function checkCountFits(recordCount: number, payloadBytes: number): void {
  if (recordCount * recordBytesMin > payloadBytes) {
    throw new ProtocolError(`recordCount ${recordCount} cannot fit in ${payloadBytes} bytes`, ["batch"]);
  }
}

function* recordIterator(header: BatchHeader, records: Uint8Array): Generator<KafkaRecord> {
  checkCountFits(header.recordCount, records.length);
  const reader = new ByteReader(records);
  const baseTimestamp = Number(header.baseTimestamp);
  const override =
    timestampTypeOf(header.attributes) === TimestampType.LogAppendTime ? Number(header.maxTimestamp) : null;
  for (let index = 0; index < header.recordCount; index++) {
    yield readRecord(reader, baseTimestamp, override);
  }
  if (reader.remaining !== 0) {
    throw new ProtocolError(`${reader.remaining} bytes follow the last of ${header.recordCount} records`, [
      "batch",
    ]);
  }
}

/** All records of a batch in an array (tests, small control batches). */
export function readAllRecords(batch: Uint8Array, options: DecompressOptions): KafkaRecord[] {
  return [...batchRecords(batch, options)];
}
