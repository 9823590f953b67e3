// Proves that an acks=-1 produce whose batch is placed but never replicated is answered REQUEST_TIMED_OUT once
// the request's timeout passes (and not before), and that one replicated in time is answered at once with no
// error and leaves no timer behind. Time is a ManualClock: the timeout is waited out without waiting.

import { expect, test } from "bun:test";
import { ManualClock, manualWallMsStart } from "../../src/base/manual-clock.ts";
import { produceHandler } from "../../src/broker/handlers/produce.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

function setUp(options: { replicates: boolean }) {
  const clock = new ManualClock();
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
  return { clock, handler: produceHandler(context, { clock, scheduler: clock }) };
}

type ProduceAnswer = { responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[] };

/** Lets the handler's promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function produceRequest(timeoutMs: number) {
  const records = buildBatch([
    { key: null, value: new TextEncoder().encode("v"), timestamp: manualWallMsStart },
  ]);
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
  const { clock, handler } = setUp({ replicates: false });
  let response: ProduceAnswer | null = null;
  void Promise.resolve(handler.handle(produceRequest(50), requestContext)).then((answer) => {
    response = answer as ProduceAnswer;
  });
  clock.advance(49);
  await settle();
  expect(response).toBeNull();
  clock.advance(1);
  await settle();
  expect(response!.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.RequestTimedOut);
});

test("a batch replicated in time is answered without waiting for the timeout", async () => {
  const { clock, handler } = setUp({ replicates: true });
  const response = (await handler.handle(produceRequest(10_000), requestContext)) as ProduceAnswer;
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.None);
  expect(clock.monotonicMs()).toBe(0);
  expect(clock.pendingTimers).toBe(0);
});
