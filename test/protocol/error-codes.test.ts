// Proves the error table is consistent (unique codes and names, ErrorCode agrees with it) and lookups work.

import { expect, test } from "bun:test";
import {
  ErrorCode,
  errorName,
  isRetriable,
  kafkaErrorByCode,
  kafkaErrors,
} from "../../src/protocol/error-codes.ts";

test("codes and names are unique and ErrorCode names every entry", () => {
  expect(new Set(kafkaErrors.map((error) => error.code)).size).toBe(kafkaErrors.length);
  expect(new Set(kafkaErrors.map((error) => error.name)).size).toBe(kafkaErrors.length);
  expect(Object.keys(ErrorCode).length).toBe(kafkaErrors.length);
  const codes = new Set<number>(Object.values(ErrorCode));
  for (const error of kafkaErrors) expect(codes.has(error.code)).toBe(true);
});

test("well-known codes have Kafka's names and retriability", () => {
  expect(ErrorCode.None).toBe(0);
  expect(ErrorCode.UnknownTopicOrPartition).toBe(3);
  expect(ErrorCode.NotLeaderOrFollower).toBe(6);
  expect(ErrorCode.UnsupportedVersion).toBe(35);
  expect(errorName(3)).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  expect(isRetriable(ErrorCode.UnknownTopicOrPartition)).toBe(true);
  expect(isRetriable(ErrorCode.UnsupportedVersion)).toBe(false);
  expect(kafkaErrorByCode(-1)?.name).toBe("UNKNOWN_SERVER_ERROR");
  expect(kafkaErrorByCode(9999)).toBeUndefined();
  expect(errorName(9999)).toBe("UNKNOWN_ERROR_9999");
});
