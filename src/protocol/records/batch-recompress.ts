// Re-writes one magic-2 batch in another codec, as Kafka's LogValidator does when a topic's compression.type
// names a codec other than the batch's: the records are read and written anew into one batch of the target
// codec with consecutive offset deltas, the producer id, epoch, base sequence and transactional flag kept, and
// a fresh CRC. The broker does this only then: every other append stores the producer's bytes as they came.

import { buildBatch } from "./batch-builder.ts";
import {
  type BatchHeader,
  CompressionCodec,
  isTransactionalBatch,
  readBatchHeader,
  TimestampType,
} from "./batch-header.ts";
import { batchRecords } from "./batch-records.ts";

export interface Recompression {
  codec: CompressionCodec;
  /** compression.<codec>.level; absent means the codec's default. */
  level?: number;
}

export interface RecompressOptions {
  /** Bounds the inflation of the source batch (a compressed batch from a client). */
  decompressedBytesMax: number;
  /** LogAppendTime: the broker's time to stamp as the batch's max timestamp; null keeps CreateTime. */
  logAppendTimeMs: number | null;
}

/** The batch re-written in `target`'s codec; throws ProtocolError when its records do not decode. */
export function recompressBatch(
  batch: Uint8Array,
  target: Recompression,
  options: RecompressOptions,
): { batch: Uint8Array; header: BatchHeader } {
  const source = batchRecords(batch, { decompressedBytesMax: options.decompressedBytesMax });
  const { header } = source;
  const records = [...source].map((record) => ({
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp,
  }));
  const rewritten = buildBatch(records, {
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    transactional: isTransactionalBatch(header.attributes),
    compression: target.codec,
    compressionLevel: target.codec === CompressionCodec.None ? undefined : target.level,
    ...(options.logAppendTimeMs === null
      ? { timestampType: TimestampType.CreateTime }
      : { timestampType: TimestampType.LogAppendTime, logAppendTime: options.logAppendTimeMs }),
  });
  return { batch: rewritten, header: readBatchHeader(rewritten) };
}
