// Proves javaStringHashCode equals Java's String.hashCode (UTF-16 units, int32 overflow) and that
// groupPartition applies Kafka's Utils.abs and modulo as Kafka does.

import { describe, expect, test } from "bun:test";
import { groupPartition, javaStringHashCode, kafkaAbs } from "../../../src/cluster/groups/group-partition.ts";

describe("javaStringHashCode", () => {
  test("matches values Java computes", () => {
    expect(javaStringHashCode("")).toBe(0);
    expect(javaStringHashCode("hello")).toBe(99162322);
    expect(javaStringHashCode("Aa")).toBe(2112);
    expect(javaStringHashCode("BB")).toBe(2112);
    // Wraps past int32: "polygenelubricants".hashCode() is Integer.MIN_VALUE in Java.
    expect(javaStringHashCode("polygenelubricants")).toBe(-2147483648);
  });

  test("hashes UTF-16 code units, surrogate pairs included", () => {
    expect(javaStringHashCode("é")).toBe(233);
    expect(javaStringHashCode("日本")).toBe(0x65e5 * 31 + 0x672c);
    // U+1F600 is the surrogate pair D83D DE00 in Java's char[].
    expect(javaStringHashCode("😀")).toBe(0xd83d * 31 + 0xde00);
  });
});

describe("groupPartition", () => {
  test("Utils.abs clears the sign bit rather than negating", () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-1)).toBe(0x7fffffff);
    expect(kafkaAbs(12)).toBe(12);
  });

  test("maps a group id to abs(hash) % partitions", () => {
    expect(groupPartition("polygenelubricants", 50)).toBe(0);
    expect(groupPartition("hello", 50)).toBe(99162322 % 50);
    const negativeHash = javaStringHashCode("console-consumer-1");
    expect(groupPartition("console-consumer-1", 50)).toBe((negativeHash & 0x7fffffff) % 50);
    for (const groupId of ["a", "my-group", "日本", ""]) {
      const partition = groupPartition(groupId, 7);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(7);
    }
  });
});
