// Proves the topic admin APIs guard the topics the broker keeps for itself at every entrance: CreateTopics
// (validateOnly too) and Metadata auto-creation refuse `__cluster_metadata` as Kafka does, DeleteTopics and
// CreatePartitions refuse `__consumer_offsets`; and DeleteTopics answers a name or id given twice with
// INVALID_REQUEST and deletes nothing for it, as Kafka's ControllerApis.deleteTopics does.

import { beforeEach, describe, expect, test } from "bun:test";
import { createPartitionsHandler } from "../../src/broker/handlers/create-partitions.ts";
import { createTopicsHandler } from "../../src/broker/handlers/create-topics.ts";
import { deleteTopicsHandler } from "../../src/broker/handlers/delete-topics.ts";
import { metadataHandler } from "../../src/broker/handlers/metadata.ts";
import { zeroUuid } from "../../src/protocol/codec-runtime.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import type { ApiMessages } from "../../src/protocol/messages/registry.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

type CreateResponse = ApiMessages[19]["response"];
type DeleteResponse = ApiMessages[20]["response"];
type PartitionsResponse = ApiMessages[37]["response"];
type MetadataResponse = ApiMessages[3]["response"];

let context: ReturnType<typeof singleNodeContext>;

const requestContext = handlerRequestContext;

function topic(name: string, partitionCount: number): string {
  return addTopic(context, name, { partitions: partitionCount });
}

function createTopics(names: string[], validateOnly = false) {
  const topics = names.map((name) => ({
    name,
    numPartitions: 1,
    replicationFactor: 1,
    assignments: [],
    configs: [],
    unknownTaggedFields: [],
  }));
  return createTopicsHandler(context).handle(
    { topics, timeoutMs: 1000, validateOnly, unknownTaggedFields: [] },
    requestContext(7),
  ) as Promise<CreateResponse>;
}

function deleteTopics(topics: Array<{ name: string | null; topicId?: string }>) {
  return deleteTopicsHandler(context).handle(
    {
      topics: topics.map((entry) => ({
        name: entry.name,
        topicId: entry.topicId ?? zeroUuid,
        unknownTaggedFields: [],
      })),
      topicNames: [],
      timeoutMs: 1000,
      unknownTaggedFields: [],
    },
    requestContext(6),
  ) as Promise<DeleteResponse>;
}

function deleteTopicsByName(names: string[], apiVersion: number) {
  return deleteTopicsHandler(context).handle(
    { topics: [], topicNames: names, timeoutMs: 1000, unknownTaggedFields: [] },
    requestContext(apiVersion),
  ) as Promise<DeleteResponse>;
}

/** The response's entries as [name, topicId, error code, message], sorted (their order means nothing). */
function entries(response: DeleteResponse) {
  return response.responses
    .map((entry) => [entry.name, entry.topicId, entry.errorCode, entry.errorMessage])
    .sort((a, b) => String(a).localeCompare(String(b)));
}

beforeEach(() => {
  context = singleNodeContext({ port: 9092 });
  topic("__consumer_offsets", 4);
});

describe("internal topics", () => {
  test("CreateTopics refuses __cluster_metadata with INVALID_REQUEST, validateOnly too", async () => {
    for (const validateOnly of [true, false]) {
      const response = await createTopics(["__cluster_metadata", "fine"], validateOnly);
      expect(response.topics.map((entry) => [entry.name, entry.errorCode])).toEqual([
        ["__cluster_metadata", ErrorCode.InvalidRequest],
        ["fine", 0],
      ]);
      expect(response.topics[0]!.errorMessage).toContain("__cluster_metadata");
    }
    expect(context.metadata.state.topicByName("__cluster_metadata")).toBeUndefined();
    expect(context.metadata.state.topicByName("fine")).toBeDefined();
  });

  test("CreateTopics refuses __transaction_state, which only the broker may create", async () => {
    const response = await createTopics(["__transaction_state"]);
    expect(response.topics[0]!.errorCode).toBe(ErrorCode.InvalidRequest);
    expect(context.metadata.state.topicByName("__transaction_state")).toBeUndefined();
  });

  test("Metadata does not auto-create __cluster_metadata: UNKNOWN_TOPIC_OR_PARTITION, as a KRaft broker answers", async () => {
    for (const apiVersion of [1, 12]) {
      const response = (await metadataHandler(context).handle(
        {
          topics: [{ name: "__cluster_metadata", topicId: zeroUuid, unknownTaggedFields: [] }],
          allowAutoTopicCreation: true,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
          unknownTaggedFields: [],
        },
        requestContext(apiVersion),
      )) as MetadataResponse;
      expect(response.topics.map((entry) => [entry.name, entry.errorCode])).toEqual([
        ["__cluster_metadata", ErrorCode.UnknownTopicOrPartition],
      ]);
    }
    expect(context.metadata.state.topicByName("__cluster_metadata")).toBeUndefined();
  });

  test("DeleteTopics refuses __consumer_offsets, by name (v0–5) and by id (v6): it stays", async () => {
    const offsetsId = context.metadata.state.topicByName("__consumer_offsets")!.topicId;
    const byName = await deleteTopicsByName(["__consumer_offsets"], 4);
    expect(entries(byName)).toEqual([
      [
        "__consumer_offsets",
        offsetsId,
        ErrorCode.InvalidRequest,
        "topic __consumer_offsets is a kafka internal topic and is not allowed to be marked for deletion",
      ],
    ]);
    const byId = await deleteTopics([{ name: null, topicId: offsetsId }]);
    expect(byId.responses.map((entry) => entry.errorCode)).toEqual([ErrorCode.InvalidRequest]);
    expect(context.metadata.state.topicByName("__consumer_offsets")!.partitions).toHaveLength(4);
  });

  test("CreatePartitions refuses __consumer_offsets, validateOnly too", async () => {
    for (const validateOnly of [false, true]) {
      const response = (await createPartitionsHandler(context).handle(
        {
          topics: [{ name: "__consumer_offsets", count: 8, assignments: null, unknownTaggedFields: [] }],
          timeoutMs: 1000,
          validateOnly,
          unknownTaggedFields: [],
        },
        requestContext(3),
      )) as PartitionsResponse;
      expect(response.results.map((entry) => entry.errorCode)).toEqual([ErrorCode.InvalidRequest]);
    }
    expect(context.metadata.state.topicByName("__consumer_offsets")!.partitions).toHaveLength(4);
  });
});

describe("DeleteTopics with a topic given twice", () => {
  test("a name given twice is answered once with INVALID_REQUEST and not deleted; the rest proceed", async () => {
    const twiceId = topic("twice", 1);
    const onceId = topic("once", 1);
    for (const apiVersion of [1, 5]) {
      const response = await deleteTopicsByName(["twice", "once", "twice"], apiVersion);
      expect(entries(response)).toEqual(
        apiVersion === 1
          ? [
              ["once", onceId, 0, null],
              ["twice", zeroUuid, ErrorCode.InvalidRequest, "Duplicate topic name."],
            ]
          : [
              ["once", zeroUuid, ErrorCode.UnknownTopicOrPartition, null],
              ["twice", zeroUuid, ErrorCode.InvalidRequest, "Duplicate topic name."],
            ],
      );
      expect(context.metadata.state.topicById(twiceId)).toBeDefined();
    }
    expect(context.metadata.state.topicByName("once")).toBeUndefined();
  });

  test("an id given twice, or a name together with its own id, is refused and nothing is deleted", async () => {
    const twiceId = topic("twice", 1);
    const pairedId = topic("paired", 1);
    const response = await deleteTopics([
      { name: null, topicId: twiceId },
      { name: null, topicId: twiceId },
      { name: null, topicId: pairedId },
      { name: "paired" },
      { name: "both", topicId: pairedId },
      { name: null },
    ]);
    expect(entries(response)).toEqual(
      [
        [null, twiceId, ErrorCode.InvalidRequest, "Duplicate topic id."],
        [
          "paired",
          pairedId,
          ErrorCode.InvalidRequest,
          "The provided topic name maps to an ID that was already supplied.",
        ],
        ["both", pairedId, ErrorCode.InvalidRequest, "You may not specify both topic name and topic id."],
        [null, zeroUuid, ErrorCode.InvalidRequest, "Neither topic name nor id were specified."],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
    expect(context.metadata.state.topicById(twiceId)).toBeDefined();
    expect(context.metadata.state.topicById(pairedId)).toBeDefined();
  });
});
