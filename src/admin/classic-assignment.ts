// The partitions in a classic group member's assignment when the group speaks the "consumer" embedded protocol:
// a ConsumerProtocolAssignment (int16 version, then topics and partitions; later versions only add fields at
// the end, so a newer one is read as the newest known). Bytes that do not decode name no partitions.

import { consumerProtocolAssignmentCodec } from "../protocol/messages/consumer-protocol-assignment.ts";
import { ByteReader } from "../protocol/primitives/byte-reader.ts";
import { ProtocolError } from "../protocol/protocol-error.ts";

export function assignedPartitionsOf(bytes: Uint8Array): Array<{ topic: string; partitions: number[] }> {
  if (bytes.length === 0) return [];
  try {
    const reader = new ByteReader(bytes);
    const version = reader.int16("version");
    if (version < 0) return [];
    const decoded = consumerProtocolAssignmentCodec.decode(
      reader,
      Math.min(version, consumerProtocolAssignmentCodec.maxVersion),
    );
    return decoded.assignedPartitions.map((entry) => ({
      topic: entry.topic,
      partitions: [...entry.partitions],
    }));
  } catch (error) {
    if (error instanceof ProtocolError) return [];
    throw error;
  }
}
