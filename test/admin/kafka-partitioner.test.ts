// Proves murmur2 returns the values of Kafka's own UtilsTest.testMurmur2, so keyed records the admin API produces
// land on the partition a Java (or librdkafka murmur2) producer would pick.

import { expect, test } from "bun:test";
import { murmur2, partitionForKey } from "../../src/admin/kafka-partitioner.ts";

const encoder = new TextEncoder();

test("murmur2 matches Kafka's test vectors", () => {
  const vectors: Array<[string, number]> = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [input, expected] of vectors)
    expect([input, murmur2(encoder.encode(input))]).toEqual([input, expected]);
});

test("the partition is the hash with its sign bit cleared, modulo the count (Kafka's toPositive)", () => {
  // -973932308 & 0x7fffffff = 1173551340.
  expect(partitionForKey(encoder.encode("21"), 7)).toBe(1173551340 % 7);
  expect(partitionForKey(encoder.encode("abc"), 1)).toBe(0);
});
