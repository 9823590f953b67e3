// Conversion between legacy message sets and magic-2 batches, keeping offsets, keys, values and (magic 1)
// timestamps. Up: a Produce v0–v2 message set becomes one batch, as Kafka's LogValidator makes. Down: each
// batch of a Fetch v0–v3 answer becomes a message set of the asked magic; control batches are dropped (old
// clients know none) and headers are lost (magic 0/1 has none), as in Kafka's RecordsUtil.downConvert.

import type { DecompressOptions } from "../compression/index.ts";
import { ProtocolError } from "../protocol-error.ts";
import { buildBatch } from "./batch-builder.ts";
import {
  CompressionCodec,
  compressionOf,
  isControlBatch,
  scanBatches,
  TimestampType,
  timestampTypeOf,
} from "./batch-header.ts";
import { batchRecords } from "./batch-records.ts";
import {
  decodeMessageSet,
  encodeMessageSet,
  type LegacyEntry,
  type LegacyMagic,
  type MessageInput,
} from "./legacy.ts";

export interface UpConvertOptions extends DecompressOptions {
  /**
   * "assign" numbers the messages 0, 1, 2… from baseOffset 0, for Produce: clients' offsets mean nothing there
   * (uncompressed ones are often all -1) and the log stamps the real baseOffset. "keep" keeps each message's
   * offset (they must increase), for copying a legacy log.
   */
  offsets: "assign" | "keep";
  /** Codec of the batch written; defaults to the codec the message set's wrapper used. */
  compression?: CompressionCodec;
}

/** One magic-2 batch holding every message of `messageSet`, or no bytes for an empty set. */
export function messageSetToBatch(messageSet: Uint8Array, options: UpConvertOptions): Uint8Array {
  const entries = decodeMessageSet(messageSet, options);
  const first = entries[0];
  if (first === undefined) return new Uint8Array(0);
  const deltas = options.offsets === "keep" ? keptOffsetDeltas(entries) : entries.map((_, index) => index);
  const records = entries.map((entry, index) => ({
    key: entry.key,
    value: entry.value,
    timestamp: entry.timestamp,
    offsetDelta: deltas[index]!,
  }));
  const logAppendTime = first.timestampType === TimestampType.LogAppendTime;
  return buildBatch(records, {
    baseOffset: options.offsets === "keep" ? first.offset : 0n,
    compression: options.compression ?? first.compression,
    timestampType: first.timestampType,
    ...(logAppendTime ? { logAppendTime: first.timestamp } : {}),
  });
}

function keptOffsetDeltas(entries: readonly LegacyEntry[]): number[] {
  const baseOffset = entries[0]!.offset;
  let previous = -1n;
  return entries.map((entry) => {
    const delta = entry.offset - baseOffset;
    if (delta <= previous || delta > 0x7fff_ffffn) {
      throw new ProtocolError(`offset ${entry.offset} out of order in message set`, ["messageSet"]);
    }
    previous = delta;
    return Number(delta);
  });
}

export interface DownConvertOptions extends DecompressOptions {
  magic: LegacyMagic;
}

/**
 * The whole batches in `batches` as a message set of `magic`; a partial batch at the end (a fetch cut at
 * its byte limit) is left out. Zstd cannot travel in magic 0/1: such batches come out uncompressed here, and
 * a Fetch handler answers UNSUPPORTED_COMPRESSION_TYPE before calling this, as Kafka does.
 */
export function batchesToMessageSet(batches: Uint8Array, options: DownConvertOptions): Uint8Array {
  const { spans, problem } = scanBatches(batches, { verifyCrc: false });
  if (problem?.kind === "corrupt") throw new ProtocolError(problem.reason, ["batches"]);
  const parts: Uint8Array[] = [];
  for (const span of spans) {
    const batch = batchRecords(batches.subarray(span.position, span.position + span.size), options);
    if (isControlBatch(batch.header.attributes)) continue;
    const messages: MessageInput[] = [];
    for (const record of batch) {
      messages.push({
        offset: batch.header.baseOffset + BigInt(record.offsetDelta),
        timestamp: options.magic === 1 ? record.timestamp : -1,
        key: record.key,
        value: record.value,
      });
    }
    const codec = compressionOf(batch.header.attributes);
    parts.push(
      encodeMessageSet(messages, {
        magic: options.magic,
        compression: codec === CompressionCodec.Zstd ? CompressionCodec.None : codec,
        timestampType: timestampTypeOf(batch.header.attributes),
      }),
    );
  }
  return concatBytes(parts);
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let position = 0;
  for (const part of parts) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}
