// Proves on the wire that OffsetCommit answers UNKNOWN_TOPIC_OR_PARTITION, at every version, for a topic the
// metadata does not have or a partition past its count, and commits the rest — for classic and consumer
// (KIP-848) groups alike, as Kafka's KafkaApis does; and that a __consumer_offsets partition holding a record
// that does not decode still serves its groups, while one that cannot load at all answers a retryable error
// instead of closing the client's connection. The broker runs in-process over in-memory replicas.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { groupHandlers } from "../../src/broker/handlers/index.ts";
import { offsetsTopicName } from "../../src/cluster/group-service.ts";
import { groupPartition } from "../../src/cluster/groups/index.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createConsumerGroupHeartbeatRequest } from "../../src/protocol/messages/consumer-group-heartbeat.ts";
import { createFindCoordinatorRequest } from "../../src/protocol/messages/find-coordinator.ts";
import { createOffsetCommitRequest } from "../../src/protocol/messages/offset-commit.ts";
import { createOffsetFetchRequest } from "../../src/protocol/messages/offset-fetch.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { addTopic } from "../support/in-memory-metadata.ts";
import {
  type InProcessBroker,
  startInProcessBroker,
  type TestContext,
} from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { newGroupService, testOffsetsPartitions } from "../support/test-group-service.ts";

const offsetsPartitions = testOffsetsPartitions;
/** A response that has not come by then never will: the connection was closed. */
const responseMsMax = 5_000;
let server: InProcessBroker;
let client: RawKafkaClient;

/** A broker serving the group APIs over in-memory replicas, with __consumer_offsets and "orders" created. */
async function startBroker(): Promise<{
  server: InProcessBroker;
  context: TestContext;
  client: RawKafkaClient;
}> {
  const started = await startInProcessBroker((brokerContext, _port, time) => {
    const groups = newGroupService(brokerContext, time);
    return groupHandlers({ context: brokerContext, groups });
  });
  for (const [name, partitionCount] of [
    [offsetsTopicName, offsetsPartitions],
    ["orders", 4],
  ] as const) {
    addTopic(started.context, name, { partitions: partitionCount });
  }
  return { server: started, context: started.context, client: await RawKafkaClient.connect(started.port) };
}

beforeAll(async () => {
  ({ server, client } = await startBroker());
});

afterAll(async () => {
  client.close();
  await server.stop();
});

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  const timeout = Bun.sleep(responseMsMax).then(() => {
    throw new Error(`no answer to ${what} within ${responseMsMax} ms: the connection was closed`);
  });
  return Promise.race([promise, timeout]);
}

async function commit(
  apiVersion: number,
  groupId: string,
  partitions: [topic: string, partition: number][],
  member = { memberId: "", epoch: -1 },
  on = client,
): Promise<[string, number, number][]> {
  const response = await within(
    on.request(ApiKey.OffsetCommit, apiVersion, {
      ...createOffsetCommitRequest(),
      groupId,
      memberId: member.memberId,
      generationIdOrMemberEpoch: member.epoch,
      topics: partitions.map(([name, partition]) => ({
        name,
        partitions: [
          {
            partitionIndex: partition,
            committedOffset: 11n,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: null,
            unknownTaggedFields: [],
          },
        ],
        unknownTaggedFields: [],
      })),
    }),
    "OffsetCommit",
  );
  return response.topics.flatMap((topic) =>
    topic.partitions.map((partition): [string, number, number] => [
      topic.name,
      partition.partitionIndex,
      partition.errorCode,
    ]),
  );
}

async function committed(groupId: string, on = client): Promise<[string, number, bigint][]> {
  const response = await within(
    on.request(ApiKey.OffsetFetch, 7, { ...createOffsetFetchRequest(), groupId, topics: null }),
    "OffsetFetch",
  );
  return response.topics.flatMap((topic) =>
    topic.partitions.map((partition): [string, number, bigint] => [
      topic.name,
      partition.partitionIndex,
      partition.committedOffset,
    ]),
  );
}

function findCoordinator(groupId: string, on = client) {
  return within(
    on.request(ApiKey.FindCoordinator, 3, {
      ...createFindCoordinatorRequest(),
      key: groupId,
      keyType: 0,
    }),
    "FindCoordinator",
  );
}

describe("OffsetCommit to topics and partitions that do not exist", () => {
  test("every version answers UNKNOWN_TOPIC_OR_PARTITION for them, and commits the partitions that exist", async () => {
    const unknown = ErrorCode.UnknownTopicOrPartition;
    for (let apiVersion = 0; apiVersion <= 9; apiVersion++) {
      const groupId = `strays-v${apiVersion}`;
      expect(
        await commit(apiVersion, groupId, [
          ["no-such-topic", 0],
          ["orders", 4],
          ["orders", -1],
          ["orders", 2],
        ]),
      ).toEqual([
        ["no-such-topic", 0, unknown],
        ["orders", 4, unknown],
        ["orders", -1, unknown],
        ["orders", 2, 0],
      ]);
      expect(await committed(groupId)).toEqual([["orders", 2, 11n]]);
    }
  });

  test("a commit naming only missing partitions is answered without the coordinator, and creates no group", async () => {
    expect(await commit(9, "nothing-real", [["no-such-topic", 3]])).toEqual([
      ["no-such-topic", 3, ErrorCode.UnknownTopicOrPartition],
    ]);
    expect(await committed("nothing-real")).toEqual([]);
  });

  test("a consumer (KIP-848) group member's commit is checked the same way", async () => {
    const memberId = crypto.randomUUID();
    const joined = await within(
      client.request(ApiKey.ConsumerGroupHeartbeat, 1, {
        ...createConsumerGroupHeartbeatRequest(),
        groupId: "modern",
        memberId,
        memberEpoch: 0,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ["orders"],
        topicPartitions: [],
      }),
      "ConsumerGroupHeartbeat",
    );
    expect(joined.errorCode).toBe(0);
    const member = { memberId, epoch: joined.memberEpoch };
    expect(
      await commit(
        9,
        "modern",
        [
          ["gone", 0],
          ["orders", 1],
        ],
        member,
      ),
    ).toEqual([
      ["gone", 0, ErrorCode.UnknownTopicOrPartition],
      ["orders", 1, 0],
    ]);
  });
});

describe("loading a __consumer_offsets partition (each test on a broker of its own: no partition loaded yet)", () => {
  const offsetsReplica = (on: TestContext, groupId: string) =>
    on.replicas.byName(offsetsTopicName, groupPartition(groupId, offsetsPartitions))!;

  async function appendRaw(on: TestContext, groupId: string, key: Uint8Array, value: Uint8Array | null) {
    const bytes = buildBatch([{ key, value, timestamp: Date.now() }]);
    await offsetsReplica(on, groupId).append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 })
      .replicated;
  }

  test("a record that does not decode is skipped: the partition's groups are served", async () => {
    const own = await startBroker();
    const groupId = "beside-a-bad-record";
    try {
      // The repro's record, as `kcat -K:` writes "\x00\x01\x00\x03abc:\x00": key type 1, group "abc", no topic.
      await appendRaw(own.context, groupId, new Uint8Array([0, 1, 0, 3, 97, 98, 99]), new Uint8Array([0]));
      const found = await findCoordinator(groupId, own.client);
      expect([found.errorCode, found.nodeId]).toEqual([0, own.context.nodeId]);
      expect(await commit(8, groupId, [["orders", 0]], undefined, own.client)).toEqual([["orders", 0, 0]]);
      expect(await committed(groupId, own.client)).toEqual([["orders", 0, 11n]]);
    } finally {
      own.client.close();
      await own.server.stop();
    }
  });

  test("a partition that cannot load answers COORDINATOR_NOT_AVAILABLE and the connection stays open", async () => {
    const own = await startBroker();
    const groupId = "on-an-unreadable-partition";
    const other = ["g", "h", "i", "j"].find(
      (id) => groupPartition(id, offsetsPartitions) !== groupPartition(groupId, offsetsPartitions),
    )!;
    try {
      // A group metadata tombstone for group "g": something to read.
      await appendRaw(own.context, groupId, new Uint8Array([0, 2, 0, 1, 103]), null);
      // Loading reads the log from its start: a log that cannot be read fails the load.
      offsetsReplica(own.context, groupId).read = () => ({
        errorCode: ErrorCode.KafkaStorageError,
        errorMessage: "unreadable",
      });
      const found = await findCoordinator(groupId, own.client);
      expect(found.errorCode).toBe(ErrorCode.CoordinatorNotAvailable);
      expect(await commit(8, groupId, [["orders", 0]], undefined, own.client)).toEqual([
        ["orders", 0, ErrorCode.NotCoordinator],
      ]);
      expect((await findCoordinator(other, own.client)).errorCode).toBe(0);
    } finally {
      own.client.close();
      await own.server.stop();
    }
  });
});
