// Checks one partition's records in a Produce request the way Kafka's LogValidator does for a client append,
// without re-encoding: the batch header, its CRC, its size and its timestamps. Records stay untouched unless a
// timestamp is out of range (then they are read once to name the offending ones, as Kafka's per-record errors
// do). Old clients' magic 0/1 message sets become one magic-2 batch first. The one re-encoding: a topic whose
// compression.type names a codec other than the batch's gets the batch re-written in its codec, as Kafka's
// LogValidator does; the default ("producer") never touches the bytes. Pure: time comes in as nowMs.

import { ErrorCode } from "../protocol/error-codes.ts";
import { readInt16, writeInt16, writeInt64 } from "../protocol/primitives/big-endian.ts";
import { ProtocolError } from "../protocol/protocol-error.ts";
import {
  type BatchHeader,
  batchCrcMatches,
  batchOffsets,
  compressionOf,
  isControlBatch,
  isTransactionalBatch,
  readBatchHeader,
  scanBatches,
  TimestampType,
  timestampTypeMask,
  timestampTypeOf,
  writeBatchCrc,
} from "../protocol/records/batch-header.ts";
import { type Recompression, recompressBatch } from "../protocol/records/batch-recompress.ts";
import { readAllRecords } from "../protocol/records/batch-records.ts";
import { messageSetToBatch } from "../protocol/records/legacy-convert.ts";

export interface ProduceValidationOptions {
  apiVersion: number;
  /** max.message.bytes of the topic: the largest batch accepted, in bytes. */
  maxMessageBytes: number;
  /** message.timestamp.type of the topic. */
  timestampType: TimestampType;
  /** message.timestamp.before.max.ms / after.max.ms: how far CreateTime may lie from the broker's clock. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  nowMs: number;
  /** Bounds decompression when records must be read (timestamp errors, legacy conversion, recompression). */
  decompressedBytesMax: number;
  /** The topic's compression.type as a codec to hold batches in; null ("producer") keeps the batch's own. */
  recompression: Recompression | null;
  /** cleanup.policy has "compact": every record needs a key (LogValidator.validateKey). */
  compacted?: boolean;
  /** For messages: the partition appended to. */
  topicName: string;
  partitionIndex: number;
}

export interface RecordError {
  batchIndex: number;
  message: string;
}

export type ProduceValidation =
  | { ok: true; batch: Uint8Array; header: BatchHeader }
  | { ok: false; errorCode: number; errorMessage: string; recordErrors: RecordError[] };

/** Kafka's default message.timestamp.after.max.ms (1 hour); before.max.ms defaults to unbounded. */
export const timestampAfterMaxMsDefault = 3_600_000;

function refuse(
  errorCode: number,
  errorMessage: string,
  recordErrors: RecordError[] = [],
): ProduceValidation {
  return { ok: false, errorCode, errorMessage, recordErrors };
}

/** Produce v3 is the first to carry magic-2 record batches; older ones carry magic 0/1 message sets. */
const recordBatchVersionMin = 3;

/** Produce v0–v2 carry magic 0/1 message sets; v3+ exactly one magic-2 batch. */
function toSingleBatch(
  records: Uint8Array,
  options: ProduceValidationOptions,
): Uint8Array | ProduceValidation {
  if (options.apiVersion >= recordBatchVersionMin) return records;
  try {
    const batch = messageSetToBatch(records, {
      offsets: "assign",
      decompressedBytesMax: options.decompressedBytesMax,
    });
    return batch.length === 0 ? refuse(ErrorCode.InvalidRecord, "the message set holds no messages") : batch;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return refuse(ErrorCode.CorruptMessage, `message set does not decode: ${error.message}`);
  }
}

export function validateProducedRecords(
  records: Uint8Array | null,
  options: ProduceValidationOptions,
): ProduceValidation {
  if (records === null || records.length === 0) return refuse(ErrorCode.InvalidRecord, "no records");
  const single = toSingleBatch(records, options);
  if (!(single instanceof Uint8Array)) return single;
  const { spans, problem } = scanBatches(single, { verifyCrc: false, batchCountMax: 1 });
  if (problem?.reason.startsWith("more than")) {
    return refuse(ErrorCode.InvalidRecord, `Produce v${options.apiVersion} allows exactly one record batch`);
  }
  if (problem) {
    const code = problem.reason.startsWith("magic") ? ErrorCode.InvalidRecord : ErrorCode.CorruptMessage;
    return refuse(code, `record batch at byte ${problem.position}: ${problem.reason}`);
  }
  const size = spans[0]!.size;
  if (size > options.maxMessageBytes) {
    return refuse(
      ErrorCode.MessageTooLarge,
      `batch of ${size} bytes exceeds max.message.bytes ${options.maxMessageBytes}`,
    );
  }
  if (!batchCrcMatches(single, 0, size))
    return refuse(ErrorCode.CorruptMessage, "record batch CRC-32C mismatch");
  const header = readBatchHeader(single);
  const headerProblem = checkHeader(header);
  if (headerProblem) return refuse(ErrorCode.InvalidRecord, headerProblem);
  const timestampProblem = checkTimestamps(single, header, options);
  if (timestampProblem) return timestampProblem;
  if (options.compacted === true) {
    const keyProblem = checkKeys(single, options);
    if (keyProblem) return keyProblem;
  }
  const { recompression } = options;
  if (recompression !== null && recompression.codec !== compressionOf(header.attributes))
    return recompressed(single, recompression, options);
  if (options.timestampType === TimestampType.LogAppendTime) stampLogAppendTime(single, size, options.nowMs);
  return {
    ok: true,
    batch: single,
    header: options.timestampType === TimestampType.LogAppendTime ? readBatchHeader(single) : header,
  };
}

/**
 * The batch re-written in the topic's codec (LogValidator's validateMessagesAndAssignOffsetsCompressed when the
 * target codec differs), stamped with LogAppendTime if the topic says so. Its new size is checked against
 * max.message.bytes again, with Kafka's message (UnifiedLog.append, RecordTooLargeException).
 */
function recompressed(
  batch: Uint8Array,
  target: Recompression,
  options: ProduceValidationOptions,
): ProduceValidation {
  let result: ReturnType<typeof recompressBatch>;
  try {
    result = recompressBatch(batch, target, {
      decompressedBytesMax: options.decompressedBytesMax,
      logAppendTimeMs: options.timestampType === TimestampType.LogAppendTime ? options.nowMs : null,
    });
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return refuse(ErrorCode.CorruptMessage, `records do not decode: ${error.message}`);
  }
  if (result.batch.length > options.maxMessageBytes) {
    return refuse(
      ErrorCode.MessageTooLarge,
      `Message batch size is ${result.batch.length} bytes in append to partition ` +
        `${options.topicName}-${options.partitionIndex} ` +
        `which exceeds the maximum configured size of ${options.maxMessageBytes}.`,
    );
  }
  return { ok: true, batch: result.batch, header: result.header };
}

/** LogValidator.validateBatch for a client append: offsets, count, control flag and sequence. */
function checkHeader(header: BatchHeader): string | null {
  if (header.recordCount <= 0) return `invalid record count ${header.recordCount}`;
  if (header.lastOffsetDelta + 1 !== header.recordCount) {
    return `offset range of ${header.lastOffsetDelta + 1} disagrees with record count ${header.recordCount}`;
  }
  if (isControlBatch(header.attributes)) return "clients may not write control batches";
  if (isTransactionalBatch(header.attributes) && header.producerId < 0n) {
    return "a transactional batch needs a producer id";
  }
  if (header.producerId >= 0n && header.baseSequence < 0) {
    return `invalid sequence ${header.baseSequence} for producer ${header.producerId}`;
  }
  return null;
}

/**
 * A compacted topic keeps the latest record per key, so a record without one could never be told apart from
 * another: Kafka refuses the batch with INVALID_RECORD, naming each keyless record (LogValidator.validateKey).
 * The records are read here (a compressed batch is inflated once, under the limit) only for such topics.
 */
function checkKeys(batch: Uint8Array, options: ProduceValidationOptions): ProduceValidation | null {
  let recordErrors: RecordError[];
  try {
    recordErrors = readAllRecords(batch, { decompressedBytesMax: options.decompressedBytesMax })
      .map((record, batchIndex) => ({ record, batchIndex }))
      .filter(({ record }) => record.key === null)
      .map(({ batchIndex }) => ({
        batchIndex,
        message:
          "Compacted topic cannot accept message without key in topic partition " +
          `${options.topicName}-${options.partitionIndex}`,
      }));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return refuse(ErrorCode.CorruptMessage, `records do not decode: ${error.message}`);
  }
  if (recordErrors.length === 0) return null;
  return refuse(ErrorCode.InvalidRecord, "One or more records have been rejected", recordErrors);
}

/** -1 is "no timestamp" (records up-converted from magic 0), always accepted. */
function timestampInRange(timestamp: number, earliest: number, latest: number): boolean {
  return timestamp === -1 || (timestamp >= earliest && timestamp <= latest);
}

/**
 * CreateTime must lie within [now - before, now + after]. The header's max timestamp answers for the common
 * case; only when it (or the base timestamp) is out of range are records read to name each offender.
 */
function checkTimestamps(
  batch: Uint8Array,
  header: BatchHeader,
  options: ProduceValidationOptions,
): ProduceValidation | null {
  if (timestampTypeOf(header.attributes) === TimestampType.LogAppendTime) {
    return refuse(ErrorCode.InvalidTimestamp, "producers may not set the LogAppendTime timestamp type", [
      { batchIndex: 0, message: "Producer should not set timestamp type to LogAppendTime." },
    ]);
  }
  if (options.timestampType !== TimestampType.CreateTime) return null;
  const earliest = options.nowMs - options.timestampBeforeMaxMs;
  const latest = options.nowMs + options.timestampAfterMaxMs;
  if (
    timestampInRange(Number(header.maxTimestamp), earliest, latest) &&
    timestampInRange(Number(header.baseTimestamp), earliest, latest)
  ) {
    return null;
  }
  const inRange = (timestamp: number) => timestampInRange(timestamp, earliest, latest);
  let recordErrors: RecordError[];
  try {
    recordErrors = readAllRecords(batch, { decompressedBytesMax: options.decompressedBytesMax })
      .map((record, batchIndex) => ({ record, batchIndex }))
      .filter(({ record }) => !inRange(record.timestamp))
      .map(({ record, batchIndex }) => ({
        batchIndex,
        message: `timestamp ${record.timestamp} is out of range [${earliest}, ${latest}]`,
      }));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return refuse(ErrorCode.CorruptMessage, `records do not decode: ${error.message}`);
  }
  if (recordErrors.length === 0) return null;
  return refuse(
    ErrorCode.InvalidTimestamp,
    "one or more records have been rejected due to invalid timestamp",
    recordErrors,
  );
}

/** LogAppendTime: the broker's clock becomes the batch's max timestamp; both fields lie inside the CRC. */
function stampLogAppendTime(batch: Uint8Array, size: number, nowMs: number): void {
  writeInt16(batch, batchOffsets.attributes, readInt16(batch, batchOffsets.attributes) | timestampTypeMask);
  writeInt64(batch, batchOffsets.maxTimestamp, BigInt(nowMs));
  writeBatchCrc(batch, 0, size);
}
