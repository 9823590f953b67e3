// Proves Metadata names topics by id only from v12, as Kafka's KafkaApis does: a v10–11 request naming a topic by
// id, or by no name, is refused INVALID_REQUEST for every topic it names (instead of an answer the v10–11 encoder
// cannot carry, which stopped the broker), while v12 answers by id and v10–11 by name as before.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { metadataHandlers } from "../../src/broker/handlers/index.ts";
import { zeroUuid } from "../../src/protocol/codec-runtime.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { createMetadataRequest } from "../../src/protocol/messages/metadata.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { addTopic } from "../support/in-memory-metadata.ts";
import { type InProcessBroker, startInProcessBroker } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";

/** A topic id no topic has. */
const unknownId = "_____________________w";

let broker: InProcessBroker;
let client: RawKafkaClient;
let ordersId: string;

beforeAll(async () => {
  broker = await startInProcessBroker((context) => metadataHandlers(context));
  ordersId = addTopic(broker.context, "orders", { partitions: 2 });
  client = await RawKafkaClient.connect(broker.port);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

function metadata(version: number, topics: { name: string | null; topicId: string }[]) {
  return client.request(ApiKey.Metadata, version, {
    ...createMetadataRequest(),
    topics: topics.map((topic) => ({ ...topic, unknownTaggedFields: [] })),
  });
}

test("v10 and v11 refuse a topic named by id, or by no name, for every topic of the request", async () => {
  for (const version of [10, 11]) {
    const byIdOnly = await metadata(version, [
      { name: "orders", topicId: zeroUuid },
      { name: null, topicId: unknownId },
    ]);
    expect(byIdOnly.brokers).toEqual([]);
    expect(byIdOnly.topics.map((topic) => [topic.name, topic.topicId, topic.errorCode])).toEqual([
      ["orders", zeroUuid, ErrorCode.InvalidRequest],
      ["", unknownId, ErrorCode.InvalidRequest],
    ]);
    const nameAndId = await metadata(version, [{ name: "orders", topicId: ordersId }]);
    expect(nameAndId.topics.map((topic) => [topic.name, topic.errorCode])).toEqual([
      ["orders", ErrorCode.InvalidRequest],
    ]);
  }
});

test("v10 and v11 answer topics named by name; v12 answers them by id", async () => {
  const byName = await metadata(11, [{ name: "orders", topicId: zeroUuid }]);
  expect(byName.topics.map((topic) => [topic.name, topic.topicId, topic.errorCode])).toEqual([
    ["orders", ordersId, 0],
  ]);
  expect(byName.brokers.length).toBe(1);
  const byId = await metadata(12, [
    { name: null, topicId: ordersId },
    { name: null, topicId: unknownId },
  ]);
  expect(byId.topics.map((topic) => [topic.name, topic.topicId, topic.errorCode])).toEqual([
    ["orders", ordersId, 0],
    [null, unknownId, ErrorCode.UnknownTopicId],
  ]);
});
