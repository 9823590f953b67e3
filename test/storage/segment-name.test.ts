// Proves segment and partition directory names follow Kafka's: 20-digit base offsets, `<topic>-<partition>`.

import { expect, test } from "bun:test";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/storage/checkpoint-format.ts";
import {
  logFileName,
  parseLogFileName,
  parsePartitionDirName,
  timeIndexFileName,
} from "../../src/storage/segment-name.ts";

test("segment files are named by a 20-digit base offset and parse back", () => {
  expect(logFileName(1234)).toBe("00000000000000001234.log");
  expect(timeIndexFileName(0)).toBe("00000000000000000000.timeindex");
  expect(parseLogFileName("00000000000000001234.log")).toBe(1234);
  expect(parseLogFileName("1234.log")).toBeNull();
  expect(parseLogFileName("00000000000000001234.index")).toBeNull();
});

test("partition directories split at the last dash", () => {
  expect(parsePartitionDirName("my-topic-12")).toEqual({ topic: "my-topic", partition: 12 });
  expect(parsePartitionDirName("no_partition")).toBeNull();
});

test("the checkpoint round-trips and a damaged one is refused", () => {
  const text = encodeCheckpoint({ recoveryPoint: 42, logStartOffset: 7, activeSegmentBytes: -1 });
  expect(decodeCheckpoint(text)).toEqual({ recoveryPoint: 42, logStartOffset: 7, activeSegmentBytes: -1 });
  expect(decodeCheckpoint(text.replace("42", "43"))).toBe("checkpoint CRC mismatch");
});
