// Proves the topic admin APIs refuse a `__cluster_metadata` topic at every entrance, as Kafka does: CreateTopics
// (validateOnly too) with INVALID_REQUEST, and Metadata auto-creation with UNKNOWN_TOPIC_OR_PARTITION.

import { beforeEach, describe, expect, test } from "bun:test";
import type { RequestContext } from "../../src/broker/api-handler.ts";
import { createTopicsHandler } from "../../src/broker/handlers/create-topics.ts";
import { metadataHandler } from "../../src/broker/handlers/metadata.ts";
import { zeroUuid } from "../../src/protocol/codec-runtime.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import type { ApiMessages } from "../../src/protocol/messages/registry.ts";
import { singleNodeContext } from "../support/in-memory-metadata.ts";

type CreateResponse = ApiMessages[19]["response"];
type MetadataResponse = ApiMessages[3]["response"];

let context: ReturnType<typeof singleNodeContext>;

function requestContext(apiVersion: number): RequestContext {
  return {
    apiVersion,
    correlationId: 1,
    clientId: "test",
    connection: { id: 1, remoteAddress: "127.0.0.1", remotePort: 1, closed: new AbortController().signal },
  };
}

function topic(name: string, partitionCount: number): string {
  const topicId = context.newTopicId();
  context.metadata.apply([
    {
      type: "topic",
      name,
      topicId,
      partitions: Array.from({ length: partitionCount }, () => ({ replicas: [1] })),
      configs: {},
    },
  ]);
  return topicId;
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
});
