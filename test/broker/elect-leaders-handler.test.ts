// Proves the ElectLeaders handler answers per partition as Kafka's KRaft controller does: PREFERRED answers
// ELECTION_NOT_NEEDED where the preferred replica leads and asks the leader elections for the rest, UNCLEAN
// answers ELECTION_NOT_NEEDED for a led partition and ELIGIBLE_LEADERS_NOT_AVAILABLE for a leaderless one (Raft
// never elects an out-of-date replica), unknown topics and partitions get UNKNOWN_TOPIC_OR_PARTITION, a request
// naming no partitions leaves out those already on their preferred replica, and an unknown election type is
// INVALID_REQUEST for every named partition — at every version the codec has.
import { beforeEach, describe, expect, test } from "bun:test";
import { electLeadersHandler } from "../../src/broker/handlers/elect-leaders.ts";
import type { PartitionLeadership } from "../../src/cluster/metadata/metadata-service.ts";
import type { ElectionRequest } from "../../src/cluster/preferred-leaders.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey, type ApiMessages, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { ByteReader } from "../../src/protocol/primitives/byte-reader.ts";
import { ByteWriter } from "../../src/protocol/primitives/byte-writer.ts";
import { handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

type Request = ApiMessages[43]["request"];
type Response = ApiMessages[43]["response"];

let context: ReturnType<typeof singleNodeContext>;
/** Who leads each partition, by `${topicId}/${partition}`; absent: no leader known. */
let leaders: Map<string, number>;
let asked: ElectionRequest[];
let ordersId: string;
let paymentsId: string;

beforeEach(() => {
  context = singleNodeContext({ port: 9092 });
  for (const nodeId of [2, 3])
    context.metadata.apply([{ type: "broker", nodeId, host: "127.0.0.1", port: 9092 + nodeId, rack: null }]);
  ordersId = context.newTopicId();
  paymentsId = context.newTopicId();
  context.metadata.apply([
    {
      type: "topic",
      name: "orders",
      topicId: ordersId,
      partitions: [{ replicas: [1, 2, 3] }, { replicas: [2, 3, 1] }, { replicas: [3, 1, 2] }],
      configs: {},
    },
    {
      type: "topic",
      name: "payments",
      topicId: paymentsId,
      partitions: [{ replicas: [2, 1, 3] }],
      configs: {},
    },
  ]);
  // orders-0 on its preferred replica; orders-1 and payments-0 displaced to node 1; orders-2 leaderless.
  leaders = new Map([
    [`${ordersId}/0`, 1],
    [`${ordersId}/1`, 1],
    [`${paymentsId}/0`, 1],
  ]);
  context.partitions = {
    leadership: (topicId, partition): PartitionLeadership | null => {
      const leaderId = leaders.get(`${topicId}/${partition}`);
      return leaderId === undefined ? null : { leaderId, leaderEpoch: 3, isr: [1, 2, 3] };
    },
  };
  asked = [];
  context.leaderElections = {
    electPreferred: async (request) => {
      asked.push(request);
      return { errorCode: ErrorCode.None, errorMessage: null };
    },
  };
});

function request(
  electionType: number,
  topicPartitions: Array<{ topic: string; partitions: number[] }> | null,
): Request {
  return {
    electionType,
    topicPartitions:
      topicPartitions === null
        ? null
        : topicPartitions.map((entry) => ({ ...entry, unknownTaggedFields: [] })),
    timeoutMs: 5_000,
    unknownTaggedFields: [],
  };
}

async function elect(body: Request, apiVersion = 2): Promise<Response> {
  return (await electLeadersHandler(context).handle(body, handlerRequestContext(apiVersion))) as Response;
}

/** The answer as [topic, partition, error code] rows, in response order. */
function rows(response: Response): Array<[string, number, number]> {
  return response.replicaElectionResults.flatMap((topic) =>
    topic.partitionResult.map((row): [string, number, number] => [
      topic.topic,
      row.partitionId,
      row.errorCode,
    ]),
  );
}

describe("PREFERRED", () => {
  test("named partitions: not needed where the preferred replica leads, elected elsewhere, unknown ones named", async () => {
    const response = await elect(
      request(0, [
        { topic: "orders", partitions: [0, 1, 7] },
        { topic: "payments", partitions: [0] },
        { topic: "nope", partitions: [0] },
      ]),
    );
    expect(response.errorCode).toBe(ErrorCode.None);
    expect(rows(response)).toEqual([
      ["orders", 0, ErrorCode.ElectionNotNeeded],
      ["orders", 1, ErrorCode.None],
      ["orders", 7, ErrorCode.UnknownTopicOrPartition],
      ["payments", 0, ErrorCode.None],
      ["nope", 0, ErrorCode.UnknownTopicOrPartition],
    ]);
    expect(response.replicaElectionResults[0]!.partitionResult[2]!.errorMessage).toBe(
      "No such partition as orders-7",
    );
    expect(response.replicaElectionResults[2]!.partitionResult[0]!.errorMessage).toBe(
      "No such topic as nope",
    );
    expect(asked).toEqual([
      { topicId: ordersId, partition: 1, timeoutMs: 5_000 },
      { topicId: paymentsId, partition: 0, timeoutMs: 5_000 },
    ]);
  });

  test("the elections' refusal is the partition's answer", async () => {
    context.leaderElections = {
      electPreferred: async () => ({
        errorCode: ErrorCode.PreferredLeaderNotAvailable,
        errorMessage: "preferred replica 2 is not alive",
      }),
    };
    const response = await elect(request(0, [{ topic: "payments", partitions: [0] }]));
    expect(response.replicaElectionResults[0]!.partitionResult[0]).toMatchObject({
      errorCode: ErrorCode.PreferredLeaderNotAvailable,
      errorMessage: "preferred replica 2 is not alive",
    });
  });

  test("no partitions named: every topic is listed, partitions already on their preferred replica left out", async () => {
    const response = await elect(request(0, null));
    expect(response.replicaElectionResults.map((topic) => topic.topic)).toEqual(["orders", "payments"]);
    expect(rows(response)).toEqual([
      ["orders", 1, ErrorCode.None],
      ["orders", 2, ErrorCode.None],
      ["payments", 0, ErrorCode.None],
    ]);
    leaders.set(`${ordersId}/1`, 2);
    leaders.set(`${ordersId}/2`, 3);
    leaders.set(`${paymentsId}/0`, 2);
    const balanced = await elect(request(0, null));
    expect(balanced.replicaElectionResults.map((topic) => [topic.topic, topic.partitionResult])).toEqual([
      ["orders", []],
      ["payments", []],
    ]);
  });

  test("version 0 has no election type: it is a preferred election", async () => {
    const body = request(0, [{ topic: "payments", partitions: [0] }]);
    expect(rows(await elect(body, 0))).toEqual([["payments", 0, ErrorCode.None]]);
  });
});

describe("UNCLEAN", () => {
  test("a led partition needs no election; a leaderless one has no eligible leader; nothing is transferred", async () => {
    const response = await elect(
      request(1, [
        { topic: "orders", partitions: [1, 2] },
        { topic: "nope", partitions: [3] },
      ]),
    );
    expect(rows(response)).toEqual([
      ["orders", 1, ErrorCode.ElectionNotNeeded],
      ["orders", 2, ErrorCode.EligibleLeadersNotAvailable],
      ["nope", 3, ErrorCode.UnknownTopicOrPartition],
    ]);
    expect(response.replicaElectionResults[0]!.partitionResult[1]!.errorMessage).toContain(
      "Raft elects only",
    );
    expect(asked).toEqual([]);
  });
});

test("an unknown election type is INVALID_REQUEST, at the top and for every named partition", async () => {
  const response = await elect(request(2, [{ topic: "orders", partitions: [0, 1] }]));
  expect(response.errorCode).toBe(ErrorCode.InvalidRequest);
  expect(rows(response)).toEqual([
    ["orders", 0, ErrorCode.InvalidRequest],
    ["orders", 1, ErrorCode.InvalidRequest],
  ]);
  expect(response.replicaElectionResults[0]!.partitionResult[0]!.errorMessage).toBe(
    "Unknown election type 2",
  );
  expect(asked).toEqual([]);
});

test("the answers encode and decode at versions 0 to 2", async () => {
  const handler = electLeadersHandler(context);
  expect([handler.minVersion, handler.maxVersion]).toEqual([0, 2]);
  const codec = apiCodecs(ApiKey.ElectLeaders).response;
  const response = await elect(request(0, [{ topic: "orders", partitions: [0, 1] }]));
  for (let version = 0; version <= 2; version++) {
    const writer = new ByteWriter();
    codec.encode(writer, response, version);
    const decoded = codec.decode(new ByteReader(writer.finish()), version);
    expect(rows(decoded)).toEqual(rows(response));
    expect(decoded.errorCode).toBe(0);
  }
});
