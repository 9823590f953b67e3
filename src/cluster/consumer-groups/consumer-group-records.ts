// The consumer (KIP-848) group coordinator's records in __consumer_offsets, in Kafka 4's own format
// (group-coordinator/src/main/resources/common/message/ConsumerGroup*Key/Value.json): a key is an int16
// record type (3 group metadata, 4 partition metadata, 5 member metadata, 6 target assignment metadata,
// 7 target assignment member, 8 current member assignment) followed by its non-flexible fields; a value is
// an int16 version (0) followed by flexible fields and tagged fields; a tombstone (null value) deletes.
// Later Kafka versions only add tagged fields (MetadataHash, AssignmentEpochs, ClassicMemberMetadata...),
// so any version is read as version 0 and unknown tagged fields are skipped. AssignmentEpochs (KIP-1251,
// tag 0 of a current assignment's TopicPartitions) is written and read: offset commits depend on it.

import { assert } from "../../base/assert.ts";
import { ByteReader } from "../../protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../../protocol/primitives/byte-writer.ts";
import { ProtocolError } from "../../protocol/protocol-error.ts";
import type { EpochedTopicPartitions, TopicPartitions } from "./assignment.ts";
import type {
  ConsumerGroupRecord,
  CurrentAssignmentValue,
  MemberMetadataValue,
  MemberState,
  SubscribedTopic,
} from "./consumer-group-types.ts";

export interface EncodedConsumerGroupRecord {
  key: Uint8Array;
  value: Uint8Array | null;
}

type RecordType = ConsumerGroupRecord["type"];

const keyTypeOf: Record<RecordType, number> = {
  GroupMetadata: 3,
  PartitionMetadata: 4,
  MemberMetadata: 5,
  TargetAssignmentMetadata: 6,
  TargetAssignmentMember: 7,
  CurrentMemberAssignment: 8,
};
const typeOfKey = new Map(Object.entries(keyTypeOf).map(([type, key]) => [key, type as RecordType]));

/** Kafka's MemberState byte values (org.apache.kafka.coordinator.group.modern.MemberState). */
const memberStateCodes: Record<MemberState, number> = {
  STABLE: 0,
  UNREVOKED_PARTITIONS: 1,
  UNRELEASED_PARTITIONS: 2,
};
const memberStateOfCode = new Map(
  Object.entries(memberStateCodes).map(([state, code]) => [code, state as MemberState]),
);

const valueVersion = 0;
/** ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions.AssignmentEpochs (KIP-1251). */
const assignmentEpochsTag = 0;

export function encodeConsumerGroupRecord(record: ConsumerGroupRecord): EncodedConsumerGroupRecord {
  const key = new ByteWriter(64);
  key.int16(keyTypeOf[record.type]);
  key.nullableString(record.groupId);
  if ("memberId" in record) key.nullableString(record.memberId);
  if (record.value === null) return { key: key.finish(), value: null };
  const value = new ByteWriter(128);
  value.int16(valueVersion);
  encodeValue(value, record);
  value.unsignedVarint(0);
  return { key: key.finish(), value: value.finish() };
}

function encodeValue(writer: ByteWriter, record: ConsumerGroupRecord): void {
  switch (record.type) {
    case "GroupMetadata":
      if (record.value) writer.int32(record.value.epoch);
      return;
    case "PartitionMetadata":
      if (record.value) writeSubscribedTopics(writer, record.value.topics);
      return;
    case "MemberMetadata":
      if (record.value) writeMemberMetadata(writer, record.value);
      return;
    case "TargetAssignmentMetadata":
      if (record.value) writer.int32(record.value.assignmentEpoch);
      return;
    case "TargetAssignmentMember":
      if (record.value) writeTopicPartitions(writer, record.value.topicPartitions);
      return;
    case "CurrentMemberAssignment":
      if (record.value) writeCurrentAssignment(writer, record.value);
      return;
  }
}

function writeSubscribedTopics(writer: ByteWriter, topics: readonly SubscribedTopic[]): void {
  writer.compactArrayLength(topics.length);
  for (const topic of topics) {
    writer.uuid(topic.topicId);
    writer.nullableCompactString(topic.topicName);
    writer.int32(topic.partitionCount);
    // PartitionMetadata (partition → racks): Kafka 4 no longer reads it; written empty.
    writer.compactArrayLength(0);
    writer.unsignedVarint(0);
  }
}

function writeMemberMetadata(writer: ByteWriter, value: MemberMetadataValue): void {
  writer.nullableCompactString(value.instanceId);
  writer.nullableCompactString(value.rackId);
  writer.nullableCompactString(value.clientId);
  writer.nullableCompactString(value.clientHost);
  writer.compactArrayLength(value.subscribedTopicNames.length);
  for (const name of value.subscribedTopicNames) writer.nullableCompactString(name);
  // SubscribedTopicRegex: regular expression subscriptions are not supported.
  writer.nullableCompactString(null);
  writer.int32(value.rebalanceTimeoutMs);
  writer.nullableCompactString(value.serverAssignor);
}

/**
 * Kafka's TopicPartitions. A current assignment's entries also carry AssignmentEpochs, tagged field 0, when
 * they are known; a target assignment's never do.
 */
function writeTopicPartitions(
  writer: ByteWriter,
  list: readonly (TopicPartitions & { assignmentEpochs?: number[] | null })[],
): void {
  writer.compactArrayLength(list.length);
  for (const entry of list) {
    writer.uuid(entry.topicId);
    writer.compactArrayLength(entry.partitions.length);
    for (const partition of entry.partitions) writer.int32(partition);
    const epochs = entry.assignmentEpochs ?? null;
    if (epochs === null) {
      writer.unsignedVarint(0);
      continue;
    }
    assert(epochs.length === entry.partitions.length, "an assignment epoch for every partition");
    const field = new ByteWriter(8 + 4 * epochs.length);
    field.compactArrayLength(epochs.length);
    for (const epoch of epochs) field.int32(epoch);
    const bytes = field.finish();
    writer.unsignedVarint(1);
    writer.unsignedVarint(assignmentEpochsTag);
    writer.unsignedVarint(bytes.length);
    writer.rawBytes(bytes);
  }
}

function writeCurrentAssignment(writer: ByteWriter, value: CurrentAssignmentValue): void {
  writer.int32(value.memberEpoch);
  writer.int32(value.previousMemberEpoch);
  writer.int8(memberStateCodes[value.state]);
  writeTopicPartitions(writer, value.assignedPartitions);
  writeTopicPartitions(writer, value.partitionsPendingRevocation);
}

/** Null for record types the consumer group coordinator does not own (classic, share, streams groups). */
export function decodeConsumerGroupRecord(
  key: Uint8Array,
  value: Uint8Array | null,
): ConsumerGroupRecord | null {
  const keyReader = new ByteReader(key);
  const type = typeOfKey.get(keyReader.int16("key.type"));
  if (type === undefined) return null;
  const groupId = keyReader.string("key.groupId");
  const hasMember =
    type === "MemberMetadata" || type === "TargetAssignmentMember" || type === "CurrentMemberAssignment";
  const memberId = hasMember ? keyReader.string("key.memberId") : "";
  if (value === null) {
    return (
      hasMember ? { type, groupId, memberId, value: null } : { type, groupId, value: null }
    ) as ConsumerGroupRecord;
  }
  const reader = new ByteReader(value);
  const version = reader.int16("value.version");
  if (version < 0) throw new ProtocolError(`negative value version ${version}`, ["value.version"]);
  const record = decodeValue(reader, type, groupId, memberId);
  skipTaggedFields(reader, "value");
  return record;
}

function decodeValue(
  reader: ByteReader,
  type: RecordType,
  groupId: string,
  memberId: string,
): ConsumerGroupRecord {
  switch (type) {
    case "GroupMetadata":
      return { type, groupId, value: { epoch: reader.int32("epoch") } };
    case "PartitionMetadata":
      return { type, groupId, value: { topics: readSubscribedTopics(reader) } };
    case "MemberMetadata":
      return { type, groupId, memberId, value: readMemberMetadata(reader) };
    case "TargetAssignmentMetadata":
      return { type, groupId, value: { assignmentEpoch: reader.int32("assignmentEpoch") } };
    case "TargetAssignmentMember":
      return { type, groupId, memberId, value: { topicPartitions: readTopicPartitions(reader, "topics") } };
    case "CurrentMemberAssignment":
      return { type, groupId, memberId, value: readCurrentAssignment(reader) };
  }
}

function readSubscribedTopics(reader: ByteReader): SubscribedTopic[] {
  // A topic takes at least its uuid, an empty name, a count and two empty arrays' lengths.
  const count = reader.compactArrayLength(16 + 1 + 4 + 1 + 1, "topics");
  const topics: SubscribedTopic[] = [];
  for (let index = 0; index < count; index++) {
    const topicId = reader.uuid("topics.topicId");
    const topicName = reader.compactString("topics.topicName");
    const partitionCount = reader.int32("topics.numPartitions");
    const racks = reader.compactArrayLength(4 + 1 + 1, "topics.partitionMetadata");
    for (let rack = 0; rack < racks; rack++) {
      reader.int32("topics.partitionMetadata.partition");
      const names = reader.compactArrayLength(1, "topics.partitionMetadata.racks");
      for (let name = 0; name < names; name++) reader.compactString("topics.partitionMetadata.racks");
      skipTaggedFields(reader, "topics.partitionMetadata");
    }
    skipTaggedFields(reader, "topics");
    topics.push({ topicName, topicId, partitionCount });
  }
  return topics;
}

function readMemberMetadata(reader: ByteReader): MemberMetadataValue {
  const instanceId = reader.nullableCompactString("instanceId");
  const rackId = reader.nullableCompactString("rackId");
  const clientId = reader.compactString("clientId");
  const clientHost = reader.compactString("clientHost");
  const count = reader.compactArrayLength(1, "subscribedTopicNames");
  const subscribedTopicNames: string[] = [];
  for (let index = 0; index < count; index++) subscribedTopicNames.push(reader.compactString("topicName"));
  reader.nullableCompactString("subscribedTopicRegex");
  const rebalanceTimeoutMs = reader.int32("rebalanceTimeoutMs");
  const serverAssignor = reader.nullableCompactString("serverAssignor");
  return {
    instanceId,
    rackId,
    clientId,
    clientHost,
    subscribedTopicNames,
    serverAssignor,
    rebalanceTimeoutMs,
  };
}

function readTopicPartitions(reader: ByteReader, field: string): TopicPartitions[] {
  return readEpochedTopicPartitions(reader, field).map(({ topicId, partitions }) => ({
    topicId,
    partitions,
  }));
}

function readEpochedTopicPartitions(reader: ByteReader, field: string): EpochedTopicPartitions[] {
  // An entry takes at least its uuid, an empty partition array and its tagged-field count.
  const count = reader.compactArrayLength(16 + 1 + 1, field);
  const list: EpochedTopicPartitions[] = [];
  for (let index = 0; index < count; index++) {
    const topicId = reader.uuid(`${field}.topicId`);
    const partitionCount = reader.compactArrayLength(4, `${field}.partitions`);
    const partitions: number[] = [];
    for (let p = 0; p < partitionCount; p++) partitions.push(reader.int32(`${field}.partitions`));
    let assignmentEpochs: number[] | null = null;
    readTaggedFields(reader, field, (tag, data) => {
      if (tag !== assignmentEpochsTag) return;
      assignmentEpochs = readAssignmentEpochs(data, partitions.length, `${field}.assignmentEpochs`);
    });
    list.push({ topicId, partitions, assignmentEpochs });
  }
  return list;
}

function readAssignmentEpochs(data: Uint8Array, partitionCount: number, field: string): number[] | null {
  const reader = new ByteReader(data);
  const count = reader.nullableCompactArrayLength(4, field);
  if (count === null) return null;
  if (count !== partitionCount) {
    throw new ProtocolError(`${count} assignment epochs for ${partitionCount} partitions`, [field]);
  }
  const epochs: number[] = [];
  for (let index = 0; index < count; index++) epochs.push(reader.int32(field));
  return epochs;
}

function readCurrentAssignment(reader: ByteReader): CurrentAssignmentValue {
  const memberEpoch = reader.int32("memberEpoch");
  const previousMemberEpoch = reader.int32("previousMemberEpoch");
  const stateCode = reader.int8("state");
  const state = memberStateOfCode.get(stateCode);
  if (state === undefined) throw new ProtocolError(`unknown member state ${stateCode}`, ["state"]);
  return {
    memberEpoch,
    previousMemberEpoch,
    state,
    assignedPartitions: readEpochedTopicPartitions(reader, "assignedPartitions"),
    partitionsPendingRevocation: readEpochedTopicPartitions(reader, "partitionsPendingRevocation"),
  };
}

/** Skips a flexible struct's tagged fields: none written by later Kafka versions matter here. */
function skipTaggedFields(reader: ByteReader, field: string): void {
  readTaggedFields(reader, field, () => {});
}

/** Hands each tagged field's tag and bytes to `use`; the fields it does not know it ignores. */
function readTaggedFields(
  reader: ByteReader,
  field: string,
  use: (tag: number, data: Uint8Array) => void,
): void {
  const count = reader.unsignedVarint(`${field}.taggedFields`);
  for (let index = 0; index < count; index++) {
    const tag = reader.unsignedVarint(`${field}.tag`);
    const size = reader.unsignedVarint(`${field}.tagSize`);
    use(tag, reader.rawBytes(size, `${field}.tagData`));
  }
}
