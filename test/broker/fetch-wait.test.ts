// Proves Fetch's long poll runs on the injected scheduler: a fetch for more bytes than a partition holds is
// answered empty exactly when maxWaitMs has passed (not a millisecond before), is answered at once when a produce
// commits data meanwhile, and leaves no timer behind either way. Time is a ManualClock.

import { expect, test } from "bun:test";
import { ManualClock, manualWallMsStart } from "../../src/base/manual-clock.ts";
import { defaultFetchSessionLimits, FetchSessionCache } from "../../src/broker/fetch-sessions.ts";
import { fetchHandler } from "../../src/broker/handlers/fetch.ts";
import { ApiKey, type ApiMessages, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

type FetchResponse = ApiMessages[1]["response"];

function setUp() {
  const clock = new ManualClock();
  const context = singleNodeContext({ port: 9092 });
  addTopic(context, "quiet");
  const sessions = new FetchSessionCache(defaultFetchSessionLimits, () => 1);
  const handler = fetchHandler(context, sessions, { clock, scheduler: clock });
  return { clock, handler, replica: context.replicas.byName("quiet", 0)! };
}

function fetchRequest(maxWaitMs: number) {
  return {
    ...apiCodecs(ApiKey.Fetch).request.create(),
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    topics: [
      {
        topic: "quiet",
        topicId: "",
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 0n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1024 * 1024,
            replicaDirectoryId: "",
            highWatermark: -1n,
            unknownTaggedFields: [],
          },
        ],
        unknownTaggedFields: [],
      },
    ],
  };
}

/** Lets the handler's promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function recordsOf(response: FetchResponse | null): number | undefined {
  return (response?.responses[0]?.partitions[0]?.records as Uint8Array | null | undefined)?.length;
}

test("an empty partition is answered empty when maxWaitMs has passed, not before", async () => {
  const { clock, handler } = setUp();
  let response: FetchResponse | null = null;
  void Promise.resolve(handler.handle(fetchRequest(500), handlerRequestContext(12))).then((answer) => {
    response = answer as FetchResponse;
  });
  clock.advance(499);
  await settle();
  expect(response).toBeNull();
  clock.advance(1);
  await settle();
  expect(response).not.toBeNull();
  expect(response!.responses[0]!.partitions[0]!.errorCode).toBe(0);
  expect(recordsOf(response) ?? 0).toBe(0);
  expect(clock.pendingTimers).toBe(0);
});

test("data committed while the fetch waits answers it at once, and its timer is cancelled", async () => {
  const { clock, handler, replica } = setUp();
  const answered = Promise.resolve(handler.handle(fetchRequest(30_000), handlerRequestContext(12)));
  await settle();
  expect(clock.pendingTimers).toBe(1);
  const bytes = buildBatch([
    { key: null, value: new TextEncoder().encode("v"), timestamp: manualWallMsStart },
  ]);
  replica.append({ bytes, header: readBatchHeader(bytes) }, { acks: 1 });
  const response = (await answered) as FetchResponse;
  expect(recordsOf(response)).toBe(bytes.length);
  expect(clock.monotonicMs()).toBe(0);
  expect(clock.pendingTimers).toBe(0);
});
