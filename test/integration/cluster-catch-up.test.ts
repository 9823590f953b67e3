// Proves a follower that was down while its leader's log start moved past it (DeleteRecords) catches up through
// a snapshot that carries the idempotent producers' state, on three real nodes: once restarted it has the
// leader's log start, and once it leads, an idempotent producer's retry of a batch written while it was down (and
// since deleted) is answered with the batch's original offsets instead of being written a second time.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { createTopic, electLeaders, fetchPartitionZero, waitForViews } from "../support/cluster-leaders.ts";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";

let cluster: TestCluster;
const topic = "catch-up";

beforeAll(async () => {
  cluster = await startCluster({ size: 3, args: ["--auto-leader-rebalance-enable", "false"] });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const port = (nodeId: number) => cluster.node(nodeId).kafkaPort;

async function withClient<T>(nodeId: number, use: (client: RawKafkaClient) => Promise<T>): Promise<T> {
  const client = await RawKafkaClient.connect(port(nodeId));
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

function produce(nodeId: number, records: Uint8Array) {
  return withClient(nodeId, async (client) => {
    const response = await client.request(ApiKey.Produce, 9, {
      ...apiCodecs(ApiKey.Produce).request.create(),
      acks: -1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: topic,
          partitionData: [{ index: 0, records, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
    });
    return response.responses[0]!.partitionResponses[0]!;
  });
}

/** A Fetch on one node at `offset`: its answer carries that node's log start (followers serve committed data). */
function fetchAt(nodeId: number, offset: bigint) {
  return fetchPartitionZero(cluster.node(nodeId).kafkaPort, topic, offset);
}

const text = new TextEncoder();

test("a follower behind the log start installs the producer state; leading, it dedups a retry", async () => {
  await createTopic(port(1), topic, 1, 3);
  const [initial] = await waitForViews(port(1), topic, (views) => (views[0]?.leaderId ?? -1) > 0, "a leader");
  const preferred = initial!.replicas[0]!;
  // The preferred replica goes down (leading or not); another leads and the producer writes there.
  await cluster.kill(preferred);
  const others = [1, 2, 3].filter((id) => id !== preferred);
  const [away] = await waitForViews(
    port(others[0]!),
    topic,
    (views) => others.includes(views[0]?.leaderId ?? -1),
    "a new leader",
  );
  const leader = away!.leaderId;
  const init = await withClient(leader, (client) =>
    client.request(ApiKey.InitProducerId, 4, {
      ...apiCodecs(ApiKey.InitProducerId).request.create(),
      transactionalId: null,
      transactionTimeoutMs: 60_000,
    }),
  );
  expect(init.errorCode).toBe(0);
  const batchOf = (baseSequence: number) =>
    buildBatch(
      [0, 1, 2].map((index) => ({
        key: null,
        value: text.encode(`s${baseSequence}-${index}`),
        timestamp: Date.now(),
      })),
      { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence },
    );
  const written: bigint[] = [];
  for (const sequence of [0, 3, 6]) {
    const answer = await produce(leader, batchOf(sequence));
    expect(answer.errorCode).toBe(0);
    written.push(answer.baseOffset);
  }
  const logStart = written.at(-1)! + 3n;
  const deleted = await withClient(leader, (client) =>
    client.request(ApiKey.DeleteRecords, 2, {
      topics: [
        {
          name: topic,
          partitions: [{ partitionIndex: 0, offset: logStart, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
      timeoutMs: 10_000,
      unknownTaggedFields: [],
    }),
  );
  expect(deleted.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: logStart });

  // Back, the preferred replica is behind the leader's log start: it catches up through a snapshot.
  await cluster.start(preferred);
  const deadline = performance.now() + 20_000;
  let caughtUp = await fetchAt(preferred, logStart);
  // (The high watermark a consumer is told stops before the LOG_START record itself: it stays at the start.)
  while (!(caughtUp.errorCode === 0 && caughtUp.logStartOffset === logStart)) {
    expect(performance.now()).toBeLessThan(deadline);
    await Bun.sleep(100);
    caughtUp = await fetchAt(preferred, logStart);
  }
  expect(await fetchAt(preferred, 0n)).toMatchObject({ errorCode: ErrorCode.OffsetOutOfRange });

  // It leads again, and the producer retries its last batch (its answer was lost, say) to it.
  for (;;) {
    const answer = await electLeaders(port(preferred), {
      version: 2,
      electionType: 0,
      topicPartitions: [{ topic, partitions: [0] }],
    });
    const code = answer.rows[0]![2];
    if (code === ErrorCode.None) break;
    expect(code).toBe(ErrorCode.PreferredLeaderNotAvailable);
    expect(performance.now()).toBeLessThan(deadline);
    await Bun.sleep(200);
  }
  await waitForViews(
    port(preferred),
    topic,
    (views) => views[0]?.leaderId === preferred,
    "the preferred replica leads",
  );
  const retry = await produce(preferred, batchOf(6));
  expect(retry).toMatchObject({ errorCode: 0, baseOffset: written.at(-1)!, logStartOffset: logStart });
  const next = await produce(preferred, batchOf(9));
  expect(next.errorCode).toBe(0);
  expect(next.baseOffset).toBeGreaterThan(logStart);
}, 120_000);
