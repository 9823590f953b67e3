// Which partition of __consumer_offsets holds a group: Kafka's `Utils.abs(groupId.hashCode()) %
// offsets.topic.num.partitions`. Every broker and client must agree on this bit for bit, so Java's
// String.hashCode is reproduced exactly: over UTF-16 code units, with int32 overflow.

import { assert } from "../../base/assert.ts";

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1], in int32 arithmetic. */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let index = 0; index < value.length; index++) {
    // charCodeAt yields UTF-16 code units, as Java's char does; Math.imul keeps the product in int32.
    hash = (Math.imul(hash, 31) + value.charCodeAt(index)) | 0;
  }
  return hash;
}

/** Kafka's Utils.abs: clears the sign bit, so Integer.MIN_VALUE maps to 0 rather than staying negative. */
export function kafkaAbs(value: number): number {
  return value & 0x7fff_ffff;
}

export function groupPartition(groupId: string, partitionCount: number): number {
  assert(Number.isInteger(partitionCount) && partitionCount > 0, `partition count ${partitionCount}`);
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
}
