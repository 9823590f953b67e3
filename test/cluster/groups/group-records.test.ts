// Proves the __consumer_offsets records round-trip through Kafka's byte layout, match hand-built golden
// bytes, and that every older and flexible value version Kafka may have written still decodes.

import { describe, expect, test } from "bun:test";
import {
  decodeGroupRecord,
  encodeGroupRecord,
  type GroupRecord,
} from "../../../src/cluster/groups/group-records.ts";
import { ByteWriter } from "../../../src/protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../../../src/protocol/protocol-error.ts";

const roundTrip = (record: GroupRecord) => {
  const encoded = encodeGroupRecord(record);
  return decodeGroupRecord(encoded.key, encoded.value);
};

const offsetRecord: GroupRecord = {
  kind: "offset-commit",
  key: { groupId: "g", topic: "t", partition: 3 },
  value: {
    offset: 42,
    leaderEpoch: 7,
    metadata: "meta",
    commitTimestampMs: 1_700_000_000_000,
    expireTimestampMs: -1,
  },
};

const groupRecord: GroupRecord = {
  kind: "group-metadata",
  groupId: "g",
  value: {
    protocolType: "consumer",
    generationId: 5,
    protocolName: "range",
    leader: "m1",
    currentStateTimestampMs: 1_700_000_000_123,
    members: [
      {
        memberId: "m1",
        groupInstanceId: "instance-1",
        clientId: "c1",
        clientHost: "/10.0.0.1",
        rebalanceTimeoutMs: 30_000,
        sessionTimeoutMs: 10_000,
        subscription: new Uint8Array([0, 1, 2]),
        assignment: new Uint8Array([9, 8]),
      },
      {
        memberId: "m2",
        groupInstanceId: null,
        clientId: "c2",
        clientHost: "/10.0.0.2",
        rebalanceTimeoutMs: 45_000,
        sessionTimeoutMs: 6_000,
        subscription: new Uint8Array(0),
        assignment: new Uint8Array(0),
      },
    ],
  },
};

describe("round trips", () => {
  test("offset commit, with and without expire timestamp, and its tombstone", () => {
    expect(roundTrip(offsetRecord)).toEqual(offsetRecord);
    const withExpiry: GroupRecord = {
      ...offsetRecord,
      value: { offset: 1, leaderEpoch: -1, metadata: "", commitTimestampMs: 10, expireTimestampMs: 99 },
    };
    expect(roundTrip(withExpiry)).toEqual(withExpiry);
    const tombstone: GroupRecord = { kind: "offset-commit", key: offsetRecord.key, value: null };
    expect(roundTrip(tombstone)).toEqual(tombstone);
  });

  test("group metadata with members, empty, and its tombstone", () => {
    expect(roundTrip(groupRecord)).toEqual(groupRecord);
    const empty: GroupRecord = {
      kind: "group-metadata",
      groupId: "g",
      value: {
        protocolType: "",
        generationId: 0,
        protocolName: null,
        leader: null,
        currentStateTimestampMs: -1,
        members: [],
      },
    };
    expect(roundTrip(empty)).toEqual(empty);
    expect(roundTrip({ kind: "group-metadata", groupId: "g", value: null })).toEqual({
      kind: "group-metadata",
      groupId: "g",
      value: null,
    });
  });
});

describe("ownership", () => {
  test("a member's subscription and assignment are copies, also when the record was read into a Buffer", () => {
    // The log reads into Buffers, whose slice() is a view: a group kept in memory must not pin the read.
    const encoded = encodeGroupRecord(groupRecord);
    const value = Buffer.from(encoded.value!);
    const decoded = decodeGroupRecord(encoded.key, value);
    if (decoded?.kind !== "group-metadata" || decoded.value === null) throw new Error("not group metadata");
    const member = decoded.value.members[0]!;
    expect(member.subscription).toEqual(new Uint8Array([0, 1, 2]));
    expect(member.subscription.buffer).not.toBe(value.buffer);
    expect(member.assignment.buffer).not.toBe(value.buffer);
    value.fill(0xee);
    expect(member.assignment).toEqual(new Uint8Array([9, 8]));
  });
});

describe("golden bytes", () => {
  test("offset commit key and v3 value", () => {
    const encoded = encodeGroupRecord(offsetRecord);
    // type 1, "g", "t", partition 3
    expect([...encoded.key]).toEqual([0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 3]);
    const value = encoded.value as Uint8Array;
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    expect(view.getInt16(0)).toBe(3);
    expect(view.getBigInt64(2)).toBe(42n);
    expect(view.getInt32(10)).toBe(7);
    expect(view.getInt16(14)).toBe(4);
    expect(new TextDecoder().decode(value.subarray(16, 20))).toBe("meta");
    expect(view.getBigInt64(20)).toBe(1_700_000_000_000n);
    expect(value.length).toBe(28);
  });

  test("group metadata key", () => {
    expect([...encodeGroupRecord(groupRecord).key]).toEqual([0, 2, 0, 1, 0x67]);
  });
});

describe("older and flexible versions", () => {
  test("offset commit value v0 and v1", () => {
    const key = encodeGroupRecord(offsetRecord).key;
    const v0 = new ByteWriter();
    v0.int16(0);
    v0.int64(5n);
    v0.nullableString("m");
    v0.int64(77n);
    expect(decodeGroupRecord(key, v0.finish())).toMatchObject({
      value: { offset: 5, leaderEpoch: -1, metadata: "m", commitTimestampMs: 77, expireTimestampMs: -1 },
    });
    const v1 = new ByteWriter();
    v1.int16(1);
    v1.int64(5n);
    v1.nullableString("");
    v1.int64(77n);
    v1.int64(88n);
    expect(decodeGroupRecord(key, v1.finish())).toMatchObject({ value: { expireTimestampMs: 88 } });
  });

  test("legacy key type 0 is an offset commit", () => {
    const key = new ByteWriter();
    key.int16(0);
    key.nullableString("g");
    key.nullableString("t");
    key.int32(1);
    expect(decodeGroupRecord(key.finish(), null)).toEqual({
      kind: "offset-commit",
      key: { groupId: "g", topic: "t", partition: 1 },
      value: null,
    });
  });

  test("flexible offset commit value v4 with a tagged field", () => {
    const value = new ByteWriter();
    value.int16(4);
    value.int64(9n);
    value.int32(2);
    value.nullableCompactString("x");
    value.int64(3n);
    value.unsignedVarint(1); // one tagged field: tag 0, two bytes
    value.unsignedVarint(0);
    value.unsignedVarint(2);
    value.rawBytes(new Uint8Array([1, 2]));
    const decoded = decodeGroupRecord(encodeGroupRecord(offsetRecord).key, value.finish());
    expect(decoded).toMatchObject({
      value: { offset: 9, leaderEpoch: 2, metadata: "x", commitTimestampMs: 3 },
    });
  });

  test("group metadata value v0 (no rebalance timeout, timestamp or instance id) and v4", () => {
    const key = encodeGroupRecord(groupRecord).key;
    const v0 = new ByteWriter();
    v0.int16(0);
    v0.nullableString("consumer");
    v0.int32(2);
    v0.nullableString("range");
    v0.nullableString("m1");
    v0.int32(1);
    v0.nullableString("m1");
    v0.nullableString("c1");
    v0.nullableString("h1");
    v0.int32(6000);
    v0.nullableBytes(new Uint8Array([1]));
    v0.nullableBytes(new Uint8Array([2]));
    const decodedV0 = decodeGroupRecord(key, v0.finish());
    expect(decodedV0).toMatchObject({
      value: {
        generationId: 2,
        currentStateTimestampMs: -1,
        members: [{ memberId: "m1", groupInstanceId: null, rebalanceTimeoutMs: -1, sessionTimeoutMs: 6000 }],
      },
    });

    const v4 = new ByteWriter();
    v4.int16(4);
    v4.nullableCompactString("consumer");
    v4.int32(3);
    v4.nullableCompactString(null);
    v4.nullableCompactString(null);
    v4.int64(12n);
    v4.compactArrayLength(1);
    v4.nullableCompactString("m1");
    v4.nullableCompactString(null);
    v4.nullableCompactString("c1");
    v4.nullableCompactString("h1");
    v4.int32(20_000);
    v4.int32(7000);
    v4.nullableCompactBytes(new Uint8Array([5]));
    v4.nullableCompactBytes(new Uint8Array([6]));
    v4.unsignedVarint(0); // member tagged fields
    v4.unsignedVarint(0); // value tagged fields
    expect(decodeGroupRecord(key, v4.finish())).toMatchObject({
      value: {
        generationId: 3,
        protocolName: null,
        currentStateTimestampMs: 12,
        members: [{ memberId: "m1", rebalanceTimeoutMs: 20_000, subscription: new Uint8Array([5]) }],
      },
    });
  });

  test("other coordinators' record types are not ours; truncated values are refused", () => {
    const consumerGroupKey = new ByteWriter();
    consumerGroupKey.int16(3);
    consumerGroupKey.nullableString("g");
    expect(decodeGroupRecord(consumerGroupKey.finish(), new Uint8Array([0, 0]))).toBeNull();
    const encoded = encodeGroupRecord(groupRecord);
    const truncated = (encoded.value as Uint8Array).subarray(0, 20);
    expect(() => decodeGroupRecord(encoded.key, truncated)).toThrow(ProtocolError);
  });
});
