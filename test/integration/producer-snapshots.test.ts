// Proves on the real process that producer state outlives segment rolls and a SIGKILL: an idempotent batch whose
// segment was sealed (segment.bytes at its 1 MiB minimum) is, when retried after the restart, answered with its
// original offset and stored once — it would be written twice if the broker replayed only the active segment.

import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("producer-snapshots");
const topic = "snapshotted";
const valueBytes = 400 * 1024;

function produceFrame(
  client: RawKafkaClient,
  producer: { producerId: bigint; producerEpoch: number },
  sequence: number,
) {
  const records = buildBatch(
    [{ key: null, value: new Uint8Array(valueBytes).fill(sequence), timestamp: Date.now() }],
    { ...producer, baseSequence: sequence },
  );
  return client.frame(ApiKey.Produce, 9, {
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
}

async function produce(client: RawKafkaClient, frame: Uint8Array) {
  const response = await client.send(ApiKey.Produce, 9, frame);
  return response.responses[0]!.partitionResponses[0]!;
}

test("a batch in a sealed segment, retried after a SIGKILL and restart, keeps its offset and is stored once", async () => {
  let client = await RawKafkaClient.connect(broker.server().kafkaPort);
  const created = await client.request(ApiKey.CreateTopics, 5, {
    ...apiCodecs(ApiKey.CreateTopics).request.create(),
    topics: [
      {
        name: topic,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: "segment.bytes", value: "1048576", unknownTaggedFields: [] }],
        unknownTaggedFields: [],
      },
    ],
  });
  expect(created.topics[0]!.errorCode).toBe(0);
  const init = await client.request(ApiKey.InitProducerId, 4, {
    ...apiCodecs(ApiKey.InitProducerId).request.create(),
    transactionalId: null,
    transactionTimeoutMs: 60_000,
  });
  const producer = { producerId: init.producerId, producerEpoch: init.producerEpoch };
  const frames = [0, 1, 2, 3, 4].map((sequence) => produceFrame(client, producer, sequence));
  const offsets: bigint[] = [];
  for (const frame of frames) {
    const answer = await produce(client, frame);
    expect(answer.errorCode).toBe(0);
    offsets.push(answer.baseOffset);
  }
  client.close();
  const partitionDir = join(broker.dataDir, `${topic}-0`);
  // Two 400 KiB batches per 1 MiB segment: the first batch's segment is sealed and snapshotted.
  expect(readdirSync(partitionDir).filter((name) => name.endsWith(".log")).length).toBeGreaterThanOrEqual(3);
  expect(readdirSync(partitionDir).some((name) => name.endsWith(".snapshot"))).toBe(true);

  await broker.restart({ crash: true });
  client = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    // The retried frames are byte for byte the first ones (same correlation ids, too).
    const retried = await produce(client, frames[1]!);
    expect(retried.errorCode).toBe(0);
    expect(retried.baseOffset).toBe(offsets[1]!);
    // A new offset would have meant a second copy; the producer then goes on where it left off.
    const next = await produce(client, produceFrame(client, producer, 5));
    expect(next.errorCode).toBe(0);
    expect(next.baseOffset).toBeGreaterThan(offsets[4]!);
  } finally {
    client.close();
  }
}, 30_000);
