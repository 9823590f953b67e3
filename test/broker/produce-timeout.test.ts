// Proves that an acks=-1 produce whose batch is placed but never replicated is answered REQUEST_TIMED_OUT once
// the request's timeout passes, and that one replicated in time is answered at once with no error.

import { expect, test } from "bun:test";
import { produceHandler } from "../../src/broker/handlers/produce.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

function setUp(options: { replicates: boolean }) {
  const context = singleNodeContext({ port: 9092 });
  addTopic(context, "slow");
  const replica = context.replicas.byName("slow", 0)!;
  if (!options.replicates) {
    const append = replica.append.bind(replica);
    // Placed (offsets assigned) but never acknowledged by the replicas: a follower that went quiet.
    replica.append = (batch, appendOptions) => ({
      ...append(batch, appendOptions),
      replicated: new Promise(() => {}),
    });
  }
  return produceHandler(context, () => Date.now());
}

function produceRequest(timeoutMs: number) {
  const records = buildBatch([{ key: null, value: new TextEncoder().encode("v"), timestamp: Date.now() }]);
  return {
    ...apiCodecs(ApiKey.Produce).request.create(),
    acks: -1,
    timeoutMs,
    topicData: [
      {
        name: "slow",
        partitionData: [{ index: 0, records, unknownTaggedFields: [] }],
        unknownTaggedFields: [],
      },
    ],
  };
}

const requestContext = handlerRequestContext(9);

test("a batch not replicated within timeoutMs is answered REQUEST_TIMED_OUT after that time", async () => {
  const handler = setUp({ replicates: false });
  const startedMs = performance.now();
  const response = (await handler.handle(produceRequest(50), requestContext)) as {
    responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[];
  };
  const elapsedMs = performance.now() - startedMs;
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.RequestTimedOut);
  expect(elapsedMs).toBeGreaterThanOrEqual(45);
  expect(elapsedMs).toBeLessThan(2_000);
});

test("a batch replicated in time is answered without waiting for the timeout", async () => {
  const handler = setUp({ replicates: true });
  const startedMs = performance.now();
  const response = (await handler.handle(produceRequest(10_000), requestContext)) as {
    responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[];
  };
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.None);
  expect(performance.now() - startedMs).toBeLessThan(1_000);
});
