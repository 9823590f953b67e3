// Kafka's default partitioner for keyed records (Utils.murmur2 and toPositive in the Java client): a record the
// admin API produces with a key lands on the partition a Java, librdkafka (murmur2_random) or franz-go producer
// would pick for that key, so keyed records stay together whoever wrote them. Pure.

const seed = 0x9747b28c;
const multiplier = 0x5bd1e995;
const shift = 24;

/** Kafka's murmur2 of `data` as a signed 32-bit integer, as Java's Utils.murmur2 returns it. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = seed ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, multiplier);
    k ^= k >>> shift;
    k = Math.imul(k, multiplier);
    h = Math.imul(h, multiplier);
    h ^= k;
  }
  const tail = length % 4;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, multiplier);
  }
  h ^= h >>> 13;
  h = Math.imul(h, multiplier);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives a record with this key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
