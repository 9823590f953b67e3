// Proves the consumer group records round-trip through Kafka's __consumer_offsets format (key types 3-8,
// version-0 flexible values, tombstones), match hand-built bytes of Kafka's schemas, skip tagged fields later
// Kafka versions add, and that replaying a whole simulation's encoded records rebuilds the same groups.

import { describe, expect, test } from "bun:test";
import {
  ConsumerGroupCoordinator,
  type ConsumerGroupRecord,
  decodeConsumerGroupRecord,
  encodeConsumerGroupRecord,
} from "../../../src/cluster/consumer-groups/index.ts";
import { decodeGroupRecord } from "../../../src/cluster/groups/index.ts";
import { Client, groupId, Harness, settle } from "./consumer-group-harness.ts";

const topicIdBytes = Uint8Array.from({ length: 16 }, (_, index) => index + 1);
const topicId = topicIdBytes.toBase64({ alphabet: "base64url", omitPadding: true });
const otherTopicIdBytes = new Uint8Array(16).fill(0xab);
const otherTopicId = otherTopicIdBytes.toBase64({ alphabet: "base64url", omitPadding: true });

const everyRecord: ConsumerGroupRecord[] = [
  { type: "GroupMetadata", groupId: "g", value: { epoch: 7 } },
  {
    type: "PartitionMetadata",
    groupId: "g",
    value: {
      topics: [
        { topicName: "orders", topicId, partitionCount: 6 },
        { topicName: "pay", topicId: otherTopicId, partitionCount: 1 },
      ],
    },
  },
  {
    type: "MemberMetadata",
    groupId: "g",
    memberId: "m-1",
    value: {
      instanceId: "host-a",
      rackId: null,
      clientId: "client",
      clientHost: "/127.0.0.1",
      subscribedTopicNames: ["orders", "pay"],
      serverAssignor: "uniform",
      rebalanceTimeoutMs: 30_000,
    },
  },
  { type: "TargetAssignmentMetadata", groupId: "g", value: { assignmentEpoch: 7 } },
  {
    type: "TargetAssignmentMember",
    groupId: "g",
    memberId: "m-1",
    value: { topicPartitions: [{ topicId, partitions: [0, 2, 4] }] },
  },
  {
    type: "CurrentMemberAssignment",
    groupId: "g",
    memberId: "m-1",
    value: {
      memberEpoch: 7,
      previousMemberEpoch: 6,
      state: "UNREVOKED_PARTITIONS",
      assignedPartitions: [{ topicId, partitions: [0, 2], assignmentEpochs: [5, 7] }],
      partitionsPendingRevocation: [{ topicId: otherTopicId, partitions: [0], assignmentEpochs: null }],
    },
  },
];

const tombstones: ConsumerGroupRecord[] = [
  { type: "GroupMetadata", groupId: "g", value: null },
  { type: "PartitionMetadata", groupId: "g", value: null },
  { type: "MemberMetadata", groupId: "g", memberId: "m-1", value: null },
  { type: "TargetAssignmentMetadata", groupId: "g", value: null },
  { type: "TargetAssignmentMember", groupId: "g", memberId: "m-1", value: null },
  { type: "CurrentMemberAssignment", groupId: "g", memberId: "m-1", value: null },
];

const roundTrip = (record: ConsumerGroupRecord) => {
  const { key, value } = encodeConsumerGroupRecord(record);
  return decodeConsumerGroupRecord(key, value);
};

describe("consumer group records", () => {
  test("every record type and its tombstone round-trips", () => {
    for (const record of [...everyRecord, ...tombstones]) expect(roundTrip(record)).toEqual(record);
  });

  test("keys carry Kafka's record types 3-8, then the group id and member id as int16 strings", () => {
    const keyTypes = everyRecord.map((record) => {
      const { key } = encodeConsumerGroupRecord(record);
      return new DataView(key.buffer, key.byteOffset).getInt16(0);
    });
    expect(keyTypes).toEqual([3, 4, 5, 6, 7, 8]);
    const { key } = encodeConsumerGroupRecord(everyRecord[2]!);
    // int16 type 5, "g" (int16 length 1), "m-1" (int16 length 3).
    expect([...key]).toEqual([0, 5, 0, 1, 0x67, 0, 3, 0x6d, 0x2d, 0x31]);
  });

  test("values match Kafka's version-0 flexible schemas byte for byte", () => {
    const epoch = encodeConsumerGroupRecord({ type: "GroupMetadata", groupId: "g", value: { epoch: 7 } });
    // int16 version 0, int32 epoch, no tagged fields.
    expect([...(epoch.value ?? [])]).toEqual([0, 0, 0, 0, 0, 7, 0]);
    const target = encodeConsumerGroupRecord(everyRecord[4]!);
    expect([...(target.value ?? [])]).toEqual([
      ...[0, 0], // version
      2, // compact array of 1 topic
      ...topicIdBytes,
      4, // compact array of 3 partitions
      ...[0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 4],
      0, // the topic's tagged fields
      0, // the value's tagged fields
    ]);
    const current = encodeConsumerGroupRecord(everyRecord[5]!);
    expect([...(current.value ?? [])]).toEqual([
      ...[0, 0], // version
      ...[0, 0, 0, 7, 0, 0, 0, 6], // member epoch, previous member epoch
      1, // MemberState UNREVOKED_PARTITIONS
      2, // assigned: compact array of 1 topic
      ...topicIdBytes,
      3, // compact array of 2 partitions
      ...[0, 0, 0, 0, 0, 0, 0, 2],
      1, // one tagged field:
      0, // tag 0, AssignmentEpochs (KIP-1251)
      9, // of 9 bytes: a compact array of 2 int32
      ...[3, 0, 0, 0, 5, 0, 0, 0, 7],
      2, // pending revocation: compact array of 1 topic
      ...otherTopicIdBytes,
      2, // compact array of 1 partition
      ...[0, 0, 0, 0],
      0, // no epochs known: no tagged field
      0, // the value's tagged fields
    ]);
  });

  test("a current assignment written before KIP-1251 reads with no epochs; one with a wrong count is refused", () => {
    const record = everyRecord[5]!;
    const { key } = encodeConsumerGroupRecord(record);
    const legacy = encodeConsumerGroupRecord({
      type: "CurrentMemberAssignment",
      groupId: "g",
      memberId: "m-1",
      value: {
        memberEpoch: 3,
        previousMemberEpoch: 2,
        state: "STABLE",
        assignedPartitions: [{ topicId, partitions: [1], assignmentEpochs: null }],
        partitionsPendingRevocation: [],
      },
    });
    const decoded = decodeConsumerGroupRecord(key, legacy.value);
    expect(decoded?.type === "CurrentMemberAssignment" && decoded.value?.assignedPartitions).toEqual([
      { topicId, partitions: [1], assignmentEpochs: null },
    ]);
    const { value } = encodeConsumerGroupRecord(record);
    const wrongCount = new Uint8Array(value!);
    // The epochs array's compact length (3, two epochs) becomes 2 (one epoch) for two partitions.
    const at = 2 + 8 + 1 + 1 + 16 + 1 + 8 + 3;
    expect(wrongCount[at]).toBe(3);
    wrongCount[at] = 2;
    expect(() => decodeConsumerGroupRecord(key, wrongCount)).toThrow("1 assignment epochs for 2 partitions");
  });

  test("tagged fields written by later Kafka versions are skipped", () => {
    // ConsumerGroupMetadataValue with MetadataHash (tag 0, int64) and CreationTimeMs (tag 1, int64).
    const value = new Uint8Array([
      0, 0, 0, 0, 0, 9, 2, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 8, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
    const { key } = encodeConsumerGroupRecord({ type: "GroupMetadata", groupId: "g", value: null });
    expect(decodeConsumerGroupRecord(key, value)).toEqual({
      type: "GroupMetadata",
      groupId: "g",
      value: { epoch: 9 },
    });
  });

  test("classic records are not consumer group records, and consumer group records are not classic ones", () => {
    const classicKey = new Uint8Array([0, 2, 0, 1, 0x67]);
    expect(decodeConsumerGroupRecord(classicKey, null)).toBeNull();
    const { key, value } = encodeConsumerGroupRecord(everyRecord[0]!);
    expect(decodeGroupRecord(key, value)).toBeNull();
  });

  test("a simulation's records, encoded and decoded, rebuild the same groups", () => {
    const harness = new Harness();
    harness.topics.set("orders", { topicId, partitionCount: 5 });
    harness.topics.set("pay", { topicId: otherTopicId, partitionCount: 3 });
    const clients = ["a", "b", "c"].map((name) => new Client(harness, name, { topics: ["orders", "pay"] }));
    for (const client of clients) client.join();
    settle(clients);
    clients[1]?.heartbeat({ memberEpoch: -1 });
    clients[0]?.heartbeat();
    const rebuilt = new ConsumerGroupCoordinator({
      newUuid: () => "x",
      topics: (name) => harness.topics.get(name),
    });
    for (const record of harness.records) {
      const decoded = roundTrip(record);
      expect(decoded).not.toBeNull();
      if (decoded) rebuilt.replay(decoded);
    }
    expect(rebuilt.describe([groupId])).toEqual(harness.coordinator.describe([groupId]));
    expect(harness.describe().members.length).toBe(2);
  });
});
