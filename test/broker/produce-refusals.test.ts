// Proves what Produce refuses before touching a log, as Kafka's ReplicaManager and Partition do: appends from
// clients to an internal topic (INVALID_TOPIC_EXCEPTION, nothing written), and acks=all while fewer replicas
// are in sync than the topic's min.insync.replicas (NOT_ENOUGH_REPLICAS; acks=1 still goes through).

import { expect, test } from "bun:test";
import { ManualClock, manualWallMsStart } from "../../src/base/manual-clock.ts";
import { produceHandler } from "../../src/broker/handlers/produce.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

const requestContext = handlerRequestContext(9);

type ProduceAnswer = {
  responses: {
    partitionResponses: { errorCode: number; errorMessage: string | null; baseOffset: bigint }[];
  }[];
};

function setUp(topics: { name: string; configs: Record<string, string> }[]) {
  const context = singleNodeContext({ port: 9092 });
  for (const topic of topics) addTopic(context, topic.name, { configs: topic.configs });
  const clock = new ManualClock();
  return { context, handler: produceHandler(context, { clock, scheduler: clock }) };
}

async function produce(handler: ReturnType<typeof setUp>["handler"], topic: string, acks: number) {
  const records = buildBatch([
    { key: null, value: new TextEncoder().encode("v"), timestamp: manualWallMsStart },
  ]);
  const request = {
    ...apiCodecs(ApiKey.Produce).request.create(),
    acks,
    timeoutMs: 5_000,
    topicData: [
      {
        name: topic,
        partitionData: [{ index: 0, records, unknownTaggedFields: [] }],
        unknownTaggedFields: [],
      },
    ],
  };
  const answer = (await handler.handle(request, requestContext)) as ProduceAnswer;
  return answer.responses[0]!.partitionResponses[0]!;
}

test.each(["__consumer_offsets", "__transaction_state"])("a client cannot append to %s", async (topic) => {
  const { context, handler } = setUp([{ name: topic, configs: {} }]);
  for (const acks of [1, -1]) {
    const answer = await produce(handler, topic, acks);
    expect(answer.errorCode).toBe(ErrorCode.InvalidTopicException);
    expect(answer.errorMessage).toBe(`Cannot append to internal topic ${topic}`);
  }
  expect(context.replicas.byName(topic, 0)!.logEndOffset()).toBe(0);
});

test("acks=all is refused while fewer replicas are in sync than min.insync.replicas", async () => {
  const { context, handler } = setUp([
    { name: "strict", configs: { "min.insync.replicas": "2" } },
    { name: "relaxed", configs: {} },
  ]);
  const refused = await produce(handler, "strict", -1);
  expect(refused.errorCode).toBe(ErrorCode.NotEnoughReplicas);
  expect(refused.errorMessage).toContain("min.isr requirement of 2 for partition strict-0");
  expect(context.replicas.byName("strict", 0)!.logEndOffset()).toBe(0);

  // acks=1 does not ask for the in-sync replicas, and one in sync meets the default of 1.
  expect((await produce(handler, "strict", 1)).errorCode).toBe(ErrorCode.None);
  expect((await produce(handler, "relaxed", -1)).errorCode).toBe(ErrorCode.None);
});
