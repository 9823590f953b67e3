// The records of `__transaction_state`: one per change of a transactional id's metadata, keyed by the id, the
// whole metadata in the value (Kafka's TransactionLogKey/Value play the same part; the layout here is
// Chronik's own, versioned). A load replays them in order and the last one of each id wins. Pure.
//
//   key:   int16 version (0), string transactionalId
//   value: int16 version (0), int64 producerId, int64 previousProducerId, int16 producerEpoch,
//          int16 previousProducerEpoch, int32 timeoutMs, int8 state, int64 startMs, int64 updateMs,
//          int32 partitionCount × { string topic, int32 partition }

import { ByteReader } from "../../protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../../protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../../protocol/protocol-error.ts";
import { type TransactionMetadata, TransactionState, transactionStates } from "./transaction-state.ts";

const keyVersion = 0;
const valueVersion = 0;
const partitionBytesMin = 2 + 4;

export function encodeTransactionKey(transactionalId: string): Uint8Array {
  const writer = new ByteWriter(4 + transactionalId.length * 3);
  writer.int16(keyVersion);
  writer.nullableString(transactionalId);
  return writer.finish();
}

export function encodeTransactionValue(metadata: TransactionMetadata): Uint8Array {
  const writer = new ByteWriter(64 + metadata.partitions.length * 32);
  writer.int16(valueVersion);
  writer.int64(metadata.producerId);
  writer.int64(metadata.previousProducerId);
  writer.int16(metadata.producerEpoch);
  writer.int16(metadata.previousProducerEpoch);
  writer.int32(metadata.timeoutMs);
  writer.int8(metadata.state);
  writer.int64(BigInt(metadata.startMs));
  writer.int64(BigInt(metadata.updateMs));
  writer.int32(metadata.partitions.length);
  for (const partition of metadata.partitions) {
    writer.nullableString(partition.topic);
    writer.int32(partition.partition);
  }
  return writer.finish();
}

/** The metadata a record holds, or why it does not decode. */
export function decodeTransactionRecord(
  key: Uint8Array | null,
  value: Uint8Array | null,
):
  | { ok: true; transactionalId: string; metadata: TransactionMetadata | null }
  | { ok: false; reason: string } {
  try {
    if (key === null) return { ok: false, reason: "no key" };
    const keyReader = new ByteReader(key);
    const version = keyReader.int16("key.version");
    if (version !== keyVersion) return { ok: false, reason: `key version ${version}` };
    const transactionalId = keyReader.string("key.transactionalId");
    if (value === null) return { ok: true, transactionalId, metadata: null };
    const reader = new ByteReader(value);
    const valueVersionRead = reader.int16("value.version");
    if (valueVersionRead !== valueVersion) return { ok: false, reason: `value version ${valueVersionRead}` };
    const metadata: TransactionMetadata = {
      transactionalId,
      producerId: reader.int64("producerId"),
      previousProducerId: reader.int64("previousProducerId"),
      producerEpoch: reader.int16("producerEpoch"),
      previousProducerEpoch: reader.int16("previousProducerEpoch"),
      timeoutMs: reader.int32("timeoutMs"),
      state: reader.int8("state") as TransactionState,
      startMs: Number(reader.int64("startMs")),
      updateMs: Number(reader.int64("updateMs")),
      partitions: [],
    };
    if (!transactionStates.includes(metadata.state)) return { ok: false, reason: `state ${metadata.state}` };
    const count = reader.arrayLength(partitionBytesMin, "partitions");
    for (let index = 0; index < count; index++) {
      metadata.partitions.push({ topic: reader.string("topic"), partition: reader.int32("partition") });
    }
    return { ok: true, transactionalId, metadata };
  } catch (error) {
    if (error instanceof ProtocolError) return { ok: false, reason: error.message };
    throw error;
  }
}

export { TransactionState };
