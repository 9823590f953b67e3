// Proves the handlers answer for a partition led elsewhere as Kafka does: Produce and Fetch say
// NOT_LEADER_OR_FOLLOWER with the leader's id, epoch and endpoint (KIP-951) and keep UNKNOWN_TOPIC_OR_PARTITION
// for partitions that do not exist; a follower serves committed reads, or refuses with --fetch-from-followers
// false; a leader outside the consumer's rack names an in-sync replica in it (KIP-392); Metadata lists only live
// brokers, the controller, and replicas on fenced brokers as offline.

import { beforeEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { defaultFetchSessionLimits, FetchSessionCache } from "../../src/broker/fetch-sessions.ts";
import { fetchHandler } from "../../src/broker/handlers/fetch.ts";
import { metadataHandler } from "../../src/broker/handlers/metadata.ts";
import { produceHandler } from "../../src/broker/handlers/produce.ts";
import type { PartitionLeadership } from "../../src/cluster/metadata/metadata-service.ts";
import { createFetchRequest } from "../../src/protocol/messages/fetch.ts";
import { createMetadataRequest } from "../../src/protocol/messages/metadata.ts";
import { createProduceRequest } from "../../src/protocol/messages/produce.ts";
import type { ApiMessages } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

let context: ReturnType<typeof singleNodeContext>;
let leadership: PartitionLeadership | null;
let topicId: string;

beforeEach(() => {
  context = singleNodeContext({ port: 9092, nodeId: 1 });
  context.metadata.apply([
    { type: "broker", nodeId: 2, host: "h2", port: 9093, rack: "east" },
    { type: "broker", nodeId: 3, host: "h3", port: 9094, rack: "west" },
  ]);
  leadership = { leaderId: 2, leaderEpoch: 4, isr: [2, 1, 3] };
  context.partitions = { leadership: () => leadership };
  context.controllerId = () => 3;
  topicId = addTopic(context, "t", { partitions: 1 });
});

/** Fetch v16 names topics by id. */
function fetchRequest(options: { rackId?: string } = {}) {
  return {
    ...createFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    rackId: options.rackId ?? "",
    topics: [
      {
        topic: "",
        topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 0n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: "",
            unknownTaggedFields: [],
          },
        ],
        unknownTaggedFields: [],
      },
    ],
  };
}

async function fetchAs(request: ReturnType<typeof fetchRequest>, version = 16) {
  const handler = fetchHandler(context, new FetchSessionCache(defaultFetchSessionLimits, () => 1), {
    clock: new ManualClock(),
    scheduler: new ManualClock(),
  });
  return (await handler.handle(request, handlerRequestContext(version))) as ApiMessages[1]["response"];
}

async function appendOne(value: string): Promise<void> {
  const bytes = buildBatch([{ key: null, value: new TextEncoder().encode(value), timestamp: 1 }]);
  const replica = context.replicas.byName("t", 0)! as unknown as { leader: boolean };
  replica.leader = true;
  const ticket = context.replicas
    .byName("t", 0)!
    .append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
  expect(await ticket.replicated).toBeNull();
}

function setLeaderHere(here: boolean): void {
  (context.replicas.byName("t", 0)! as unknown as { leader: boolean }).leader = here;
}

describe("a partition led elsewhere", () => {
  test("Produce: NOT_LEADER_OR_FOLLOWER with the leader's id, epoch and endpoint", async () => {
    setLeaderHere(false);
    const response = (await produceHandler(context, {
      clock: new ManualClock(),
      scheduler: new ManualClock(),
    }).handle(
      {
        ...createProduceRequest(),
        acks: -1,
        timeoutMs: 1000,
        topicData: [
          {
            name: "t",
            partitionData: [
              {
                index: 0,
                records: buildBatch([{ key: null, value: null, timestamp: 1 }]),
                unknownTaggedFields: [],
              },
              {
                index: 7,
                records: buildBatch([{ key: null, value: null, timestamp: 1 }]),
                unknownTaggedFields: [],
              },
            ],
            unknownTaggedFields: [],
          },
        ],
      },
      handlerRequestContext(11),
    )) as ApiMessages[0]["response"];
    const [led, missing] = response.responses[0]!.partitionResponses;
    expect(led!.errorCode).toBe(6);
    expect(led!.currentLeader).toMatchObject({ leaderId: 2, leaderEpoch: 4 });
    expect(missing!.errorCode).toBe(3);
    expect(response.nodeEndpoints).toEqual([
      { nodeId: 2, host: "h2", port: 9093, rack: "east", unknownTaggedFields: [] },
    ]);
  });

  test("Fetch on a follower: served from its committed log; refused when only leaders may answer", async () => {
    await appendOne("committed");
    setLeaderHere(false);
    const served = (await fetchAs(fetchRequest())).responses[0]!.partitions[0]!;
    expect(served.errorCode).toBe(0);
    expect(served.records!.length).toBeGreaterThan(0);
    context.fetchFromFollowers = false;
    const response = await fetchAs(fetchRequest());
    const refused = response.responses[0]!.partitions[0]!;
    expect(refused.errorCode).toBe(6);
    expect(refused.currentLeader).toMatchObject({ leaderId: 2, leaderEpoch: 4 });
    expect(response.nodeEndpoints.map((endpoint) => endpoint.nodeId)).toEqual([2]);
  });

  test("Fetch on the leader from a consumer in another rack: an in-sync replica in its rack is preferred", async () => {
    await appendOne("x");
    leadership = { leaderId: 1, leaderEpoch: 4, isr: [1, 2, 3] };
    const west = (await fetchAs(fetchRequest({ rackId: "west" }))).responses[0]!.partitions[0]!;
    expect(west.preferredReadReplica).toBe(3);
    expect(west.records!.length).toBe(0);
    // No replica in that rack, or no rack given: the leader serves.
    const north = (await fetchAs(fetchRequest({ rackId: "north" }))).responses[0]!.partitions[0]!;
    expect(north.preferredReadReplica).toBe(-1);
    expect(north.records!.length).toBeGreaterThan(0);
    // A replica in the rack but out of sync is not named.
    leadership = { leaderId: 1, leaderEpoch: 4, isr: [1, 2] };
    expect(
      (await fetchAs(fetchRequest({ rackId: "west" }))).responses[0]!.partitions[0]!.preferredReadReplica,
    ).toBe(-1);
  });
});

test("Metadata lists live brokers and the controller; replicas on fenced brokers are offline", async () => {
  context.metadata.apply([
    {
      type: "topic",
      name: "spread",
      topicId: "AAAAAAAAAAAAAAAAAAAAAw",
      partitions: [{ replicas: [2, 3, 1] }],
      configs: {},
    },
    { type: "broker-fencing", nodeId: 3, fenced: true },
  ]);
  const response = (await metadataHandler(context).handle(
    {
      ...createMetadataRequest(),
      topics: [{ name: "spread", topicId: "AAAAAAAAAAAAAAAAAAAAAA", unknownTaggedFields: [] }],
    },
    handlerRequestContext(12),
  )) as ApiMessages[3]["response"];
  expect(response.brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2]);
  expect(response.controllerId).toBe(3);
  const partition = response.topics[0]!.partitions[0]!;
  expect(partition.leaderId).toBe(2);
  expect(partition.offlineReplicas).toEqual([3]);
});
