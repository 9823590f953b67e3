// Proves Fetch keeps its response within the request's maxBytes as KIP-74 has it: partitions share one budget,
// only the first batch of the first partition with data may exceed it (and then alone), and partitions left out
// because the budget ran out come back in later fetches of an incremental session, every batch exactly once.

import { beforeEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { defaultFetchSessionLimits, FetchSessionCache } from "../../src/broker/fetch-sessions.ts";
import { fetchHandler } from "../../src/broker/handlers/fetch.ts";
import { createFetchRequest } from "../../src/protocol/messages/fetch.ts";
import type { ApiMessages } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { addTopic, handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

type FetchResponse = ApiMessages[1]["response"];

/** fetch.max.bytes and max.partition.fetch.bytes as the client of issue 17 set them. */
const responseBytesMax = 1_000_000;
const partitionBytesMax = 20_000_000;
const fetchVersion = 12;

let context: ReturnType<typeof singleNodeContext>;
let fetch: ReturnType<typeof fetchHandler>;

beforeEach(() => {
  context = singleNodeContext({ port: 9092 });
  let sessionIds = 0;
  fetch = fetchHandler(context, new FetchSessionCache(defaultFetchSessionLimits, () => ++sessionIds), {
    clock: new ManualClock(),
    scheduler: new ManualClock(),
  });
});

/** Appends one batch of a single record whose value is `valueBytes` long; returns the batch's size. */
async function appendBatch(topic: string, partition: number, valueBytes: number): Promise<number> {
  const bytes = buildBatch([{ key: null, value: new Uint8Array(valueBytes).fill(partition), timestamp: 1 }]);
  const replica = context.replicas.byName(topic, partition)!;
  const ticket = replica.append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
  expect(await ticket.replicated).toBeNull();
  return bytes.length;
}

interface Position {
  partition: number;
  fetchOffset: number;
}

function fetchRequest(topic: string, positions: readonly Position[], session = { id: 0, epoch: -1 }) {
  return {
    ...createFetchRequest(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: responseBytesMax,
    sessionId: session.id,
    sessionEpoch: session.epoch,
    topics:
      positions.length === 0
        ? []
        : [
            {
              topic,
              topicId: "",
              partitions: positions.map((position) => ({
                partition: position.partition,
                currentLeaderEpoch: -1,
                fetchOffset: BigInt(position.fetchOffset),
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: partitionBytesMax,
                replicaDirectoryId: "",
                unknownTaggedFields: [],
              })),
              unknownTaggedFields: [],
            },
          ],
  };
}

async function answer(request: ReturnType<typeof fetchRequest>): Promise<FetchResponse> {
  return (await fetch.handle(request, handlerRequestContext(fetchVersion))) as FetchResponse;
}

/** Record bytes per partition in the response. */
function recordBytes(response: FetchResponse): Map<number, number> {
  return new Map(
    response.responses.flatMap((topic) =>
      topic.partitions.map((partition) => [partition.partitionIndex, partition.records?.length ?? 0]),
    ),
  );
}

function total(bytes: Map<number, number>): number {
  return [...bytes.values()].reduce((sum, size) => sum + size, 0);
}

describe("the response's maxBytes", () => {
  test("~900 KB batches in three partitions: one batch in all, not the first partition's 20 MB", async () => {
    addTopic(context, "big", { partitions: 3 });
    const sizes: number[] = [];
    for (let partition = 0; partition < 3; partition++) {
      for (let batch = 0; batch < 3; batch++) sizes.push(await appendBatch("big", partition, 900_000));
    }
    const positions = [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 }));
    const response = await answer(fetchRequest("big", positions));
    const bytes = recordBytes(response);
    expect(total(bytes)).toBeLessThanOrEqual(responseBytesMax);
    expect([...bytes]).toEqual([
      [0, sizes[0]!],
      [1, 0],
      [2, 0],
    ]);
  });

  test("the budget spans partitions: batches that fit are returned, one that would overflow is not", async () => {
    addTopic(context, "mixed", { partitions: 3 });
    const first = [await appendBatch("mixed", 0, 400_000), await appendBatch("mixed", 0, 400_000)];
    const second = [await appendBatch("mixed", 1, 150_000), await appendBatch("mixed", 1, 150_000)];
    await appendBatch("mixed", 2, 100_000);
    const positions = [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 }));
    const response = await answer(fetchRequest("mixed", positions));
    const bytes = recordBytes(response);
    // ~200 KB are left after the first partition: one 150 KB batch fits, the second would overflow, and the
    // ~50 KB then left are too few for the third partition's 100 KB batch.
    expect([...bytes]).toEqual([
      [0, first[0]! + first[1]!],
      [1, second[0]!],
      [2, 0],
    ]);
    expect(total(bytes)).toBeLessThanOrEqual(responseBytesMax);
  });

  test("a first batch larger than maxBytes comes alone, so the consumer still makes progress", async () => {
    addTopic(context, "huge", { partitions: 2 });
    const huge = await appendBatch("huge", 0, 1_500_000);
    await appendBatch("huge", 0, 1_000);
    await appendBatch("huge", 1, 1_000);
    const positions = [0, 1].map((partition) => ({ partition, fetchOffset: 0 }));
    const response = await answer(fetchRequest("huge", positions));
    expect([...recordBytes(response)]).toEqual([
      [0, huge],
      [1, 0],
    ]);
  });

  test("an empty first partition does not spend the one-batch allowance; the first with data does", async () => {
    addTopic(context, "later", { partitions: 2 });
    const huge = await appendBatch("later", 1, 1_200_000);
    const positions = [0, 1].map((partition) => ({ partition, fetchOffset: 0 }));
    const response = await answer(fetchRequest("later", positions));
    expect([...recordBytes(response)]).toEqual([
      [0, 0],
      [1, huge],
    ]);
  });
});

describe("an incremental session", () => {
  test("partitions left out for want of budget are returned later, every batch exactly once, in order", async () => {
    const partitions = 3;
    const batchesPerPartition = 3;
    addTopic(context, "session", { partitions });
    const sizes = new Map<number, number[]>();
    for (let partition = 0; partition < partitions; partition++) {
      const batchSizes: number[] = [];
      for (let batch = 0; batch < batchesPerPartition; batch++) {
        batchSizes.push(await appendBatch("session", partition, 600_000 + 50_000 * partition));
      }
      sizes.set(partition, batchSizes);
    }
    const offsets = new Map<number, number>([...sizes.keys()].map((partition) => [partition, 0]));
    const received = new Map<number, number[]>([...sizes.keys()].map((partition) => [partition, []]));
    let session = { id: 0, epoch: 0 };
    let changed = [...offsets.keys()];
    for (
      let round = 0;
      round < 20 && [...offsets.values()].some((offset) => offset < batchesPerPartition);
      round++
    ) {
      const positions = changed.map((partition) => ({ partition, fetchOffset: offsets.get(partition)! }));
      const response = await answer(fetchRequest("session", positions, session));
      expect(response.errorCode).toBe(0);
      session = { id: response.sessionId, epoch: session.epoch + 1 };
      const bytes = recordBytes(response);
      const nonEmpty = [...bytes].filter(([, size]) => size > 0);
      // Within the budget, or one batch alone (none of these fits twice in 1,000,000 bytes).
      expect(nonEmpty.length).toBe(1);
      expect(total(bytes)).toBeLessThanOrEqual(responseBytesMax);
      changed = [];
      for (const [partition, size] of nonEmpty) {
        const offset = offsets.get(partition)!;
        expect(size).toBe(sizes.get(partition)![offset]!);
        received.get(partition)!.push(size);
        offsets.set(partition, offset + 1);
        changed.push(partition);
      }
    }
    expect(session.id).toBeGreaterThan(0);
    expect(received).toEqual(sizes);
  });
});
