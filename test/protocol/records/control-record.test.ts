// Proves control batches (transaction markers, Raft LEADER_CHANGE, Chronik's LOG_START) build and parse with
// Kafka's key and value layouts, that LEADER_CHANGE values follow LeaderChangeMessage.json, that LOG_START is
// recognized only in its own batch, and that bad control records are ProtocolErrors.

import { expect, test } from "bun:test";
import {
  createLeaderChangeMessage,
  createLeaderChangeMessageVoter,
  type LeaderChangeMessage,
} from "../../../src/protocol/messages/leader-change-message.ts";
import { ProtocolError } from "../../../src/protocol/protocol-error.ts";
import { buildBatch } from "../../../src/protocol/records/batch-builder.ts";
import { isControlBatch, readBatchHeader, scanBatches } from "../../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../../src/protocol/records/batch-records.ts";
import {
  buildControlBatch,
  buildLeaderChangeBatch,
  buildLogStartBatch,
  ControlRecordType,
  decodeControlRecordKey,
  decodeLeaderChangeValue,
  encodeControlRecordKey,
  encodeEndTxnMarker,
  encodeLeaderChangeValue,
  logStartOfBatch,
  readControlBatch,
} from "../../../src/protocol/records/control-record.ts";

const limit = { decompressedBytesMax: 1 << 20 };

function leaderChange(leaderId: number, voterIds: number[], grantingIds: number[]): LeaderChangeMessage {
  const voter = (voterId: number) => ({ ...createLeaderChangeMessageVoter(), voterId });
  return {
    ...createLeaderChangeMessage(),
    leaderId,
    voters: voterIds.map(voter),
    grantingVoters: grantingIds.map(voter),
  };
}

test("control record types carry Kafka's numbers", () => {
  expect([
    ControlRecordType.Abort,
    ControlRecordType.Commit,
    ControlRecordType.LeaderChange,
    ControlRecordType.SnapshotHeader,
    ControlRecordType.SnapshotFooter,
    ControlRecordType.KraftVersion,
    ControlRecordType.KraftVoters,
  ]).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect([...encodeControlRecordKey(ControlRecordType.Commit)]).toEqual([0, 0, 0, 1]);
  expect([...encodeEndTxnMarker(9)]).toEqual([0, 0, 0, 0, 0, 9]);
});

test("a COMMIT marker batch is transactional, control, and reads back", () => {
  const batch = buildControlBatch(
    { type: ControlRecordType.Commit, value: encodeEndTxnMarker(17), timestamp: 123 },
    { baseOffset: 40n, producerId: 9000n, producerEpoch: 2, transactional: true },
  );
  const header = readBatchHeader(batch);
  expect(isControlBatch(header.attributes)).toBe(true);
  expect(header.attributes & 0x10).toBe(0x10);
  expect(header.producerId).toBe(9000n);
  expect(readControlBatch(batch, limit)).toEqual([
    { type: ControlRecordType.Commit, marker: { version: 0, coordinatorEpoch: 17 } },
  ]);
});

test("a new leader's LEADER_CHANGE batch is stamped with its epoch and reads back", () => {
  const message = leaderChange(2, [1, 2, 3], [2, 3]);
  const batch = buildLeaderChangeBatch(message, { baseOffset: 100n, leaderEpoch: 5, timestamp: 777 });
  expect(scanBatches(batch, { verifyCrc: true }).problem).toBeNull();
  expect(readBatchHeader(batch)).toMatchObject({ baseOffset: 100n, partitionLeaderEpoch: 5, recordCount: 1 });
  expect(readControlBatch(batch, limit)).toEqual([
    { type: ControlRecordType.LeaderChange, leaderChange: message },
  ]);
});

test("LeaderChangeMessage v0 bytes follow the flexible layout of LeaderChangeMessage.json", () => {
  const bytes = encodeLeaderChangeValue(leaderChange(1, [1, 2], [1]));
  // biome-ignore format: one line per field, as in LeaderChangeMessage.json
  expect([...bytes]).toEqual([
    0, 0,          // Version
    0, 0, 0, 1,    // LeaderId
    3,             // Voters: compact length 2 + 1
    0, 0, 0, 1, 0, // VoterId 1, no tagged fields
    0, 0, 0, 2, 0, // VoterId 2
    2,             // GrantingVoters: 1 + 1
    0, 0, 0, 1, 0, // VoterId 1
    0,             // no tagged fields
  ]);
  expect(decodeLeaderChangeValue(bytes)).toEqual(leaderChange(1, [1, 2], [1]));
  // Unknown tagged fields are kept aside: tag 7 of 2 bytes at the end.
  const tagged = new Uint8Array([...bytes.subarray(0, -1), 1, 7, 2, 0xaa, 0xbb]);
  expect(decodeLeaderChangeValue(tagged).leaderId).toBe(1);
  expect(() => decodeLeaderChangeValue(new Uint8Array([0, 0, 0, 0, 0, 1, 0x7f]))).toThrow(ProtocolError);
  expect(() => decodeLeaderChangeValue(new Uint8Array([...bytes, 0]))).toThrow(/bytes after/);
});

test("bad control records are ProtocolErrors; unknown types come back as bytes", () => {
  expect(() => decodeControlRecordKey(new Uint8Array([0, 0, 0]))).toThrow(ProtocolError);
  expect(() => decodeControlRecordKey(new Uint8Array([0xff, 0xff, 0, 0]))).toThrow(ProtocolError);
  const shortMarker = buildControlBatch({
    type: ControlRecordType.Abort,
    value: new Uint8Array([0, 0, 1]),
    timestamp: 0,
  });
  expect(() => readControlBatch(shortMarker, limit)).toThrow(ProtocolError);
  const unknown = buildControlBatch({
    type: 42 as ControlRecordType,
    value: new Uint8Array([1]),
    timestamp: 0,
  });
  expect(readControlBatch(unknown, limit)).toEqual([{ type: 42, value: new Uint8Array([1]) }]);
  const data = buildBatch([{ key: null, value: null, timestamp: 0 }]);
  expect(() => readControlBatch(data, limit)).toThrow(/not a control batch/);
  expect(readAllRecords(data, limit)).toHaveLength(1);
});

test("a LOG_START batch carries its offset in a control record of Chronik's own type, and reads back", () => {
  const batch = buildLogStartBatch(1234567890123, { timestamp: 42 });
  expect(isControlBatch(readBatchHeader(batch).attributes)).toBe(true);
  expect(readBatchHeader(batch).recordCount).toBe(1);
  expect(logStartOfBatch(batch)).toBe(1234567890123);
  expect(readControlBatch(batch, limit)).toEqual([
    { type: ControlRecordType.LogStart, logStartOffset: 1234567890123 },
  ]);
  // Far from Kafka's own types, which a newer Kafka may extend.
  expect(ControlRecordType.LogStart).toBeGreaterThan(1000);
  // Any other batch, control or not, is not one.
  const leaderChangeBatch = buildLeaderChangeBatch(leaderChange(1, [1], []), {
    baseOffset: 0n,
    leaderEpoch: 0,
    timestamp: 1,
  });
  expect(logStartOfBatch(leaderChangeBatch)).toBeNull();
  expect(logStartOfBatch(buildBatch([{ key: null, value: new Uint8Array(10), timestamp: 1 }]))).toBeNull();
  // A LOG_START value too short or naming a negative offset is refused, not read as a start.
  const short = buildControlBatch({
    type: ControlRecordType.LogStart,
    value: new Uint8Array(4),
    timestamp: 1,
  });
  expect(() => logStartOfBatch(short)).toThrow(ProtocolError);
});
