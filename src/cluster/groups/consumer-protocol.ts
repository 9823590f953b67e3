// The one piece of the "consumer" embedded protocol the coordinator reads: the topics a member subscribes
// to (ConsumerProtocolSubscription: int16 version, then topics as an array of strings in every version —
// the encoding is never flexible). Kafka uses them to refuse OffsetDelete on subscribed topics and to expire
// offsets of topics a Stable group no longer consumes. Anything else in the bytes is ignored.

import { ByteReader } from "../../protocol/primitives/byte-reader.ts";
import { ProtocolError } from "../../protocol/protocol-error.ts";

export const consumerProtocolType = "consumer";

/** The subscribed topics, or null when the bytes are not a readable subscription. */
export function subscribedTopicsOf(metadata: Uint8Array): string[] | null {
  try {
    const reader = new ByteReader(metadata);
    const version = reader.int16("version");
    if (version < 0) return null;
    const count = reader.arrayLength(2, "topics");
    const topics: string[] = [];
    for (let index = 0; index < count; index++) topics.push(reader.string("topics"));
    return topics;
  } catch (error) {
    if (error instanceof ProtocolError) return null;
    throw error;
  }
}
