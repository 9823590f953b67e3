// Proves idempotent producers on the real process: the same Produce request sent twice on the wire (same
// producer id, epoch and sequence) is stored once and both answers carry the original offset; and librdkafka
// with enable.idempotence=true, while the broker is SIGKILLed and restarted mid-stream on the same port, ends
// with every message exactly once and in order.

import { expect, test } from "bun:test";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { runClient } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("idempotence");

test("the same Produce request twice on the wire is stored once, both answers with the original offset", async () => {
  await runClient(["kcat", "-b", broker.address(), "-L", "-t", "wire-dup", "-m", "5"]);
  const client = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    const init = await client.request(ApiKey.InitProducerId, 4, {
      ...apiCodecs(ApiKey.InitProducerId).request.create(),
      transactionalId: null,
      transactionTimeoutMs: 60_000,
    });
    expect(init.errorCode).toBe(0);
    const records = buildBatch(
      [0, 1, 2].map((index) => ({
        key: null,
        value: new TextEncoder().encode(`once-${index}`),
        timestamp: Date.now(),
      })),
      { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0 },
    );
    const body = {
      ...apiCodecs(ApiKey.Produce).request.create(),
      acks: -1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: "wire-dup",
          partitionData: [{ index: 0, records, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
    };
    const frame = client.frame(ApiKey.Produce, 9, body);
    const first = await client.send(ApiKey.Produce, 9, frame);
    const second = await client.send(ApiKey.Produce, 9, frame);
    const [a, b] = [first, second].map((response) => response.responses[0]!.partitionResponses[0]!);
    expect(a!.errorCode).toBe(0);
    expect(b!.errorCode).toBe(0);
    expect(b!.baseOffset).toBe(a!.baseOffset);
  } finally {
    client.close();
  }
  const stored = await runClient([
    "kcat",
    "-b",
    broker.address(),
    "-C",
    "-t",
    "wire-dup",
    "-o",
    "beginning",
    "-e",
    "-q",
  ]);
  expect(stored.trim().split("\n")).toEqual(["once-0", "once-1", "once-2"]);
});

test("librdkafka idempotence across a SIGKILL and restart: every message once, in order", async () => {
  const topic = "idempotent-stream";
  await runClient(["kcat", "-b", broker.address(), "-L", "-t", topic, "-m", "5"]);
  const script = `
import sys, time
from confluent_kafka import Producer
broker, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
failed = []
producer = Producer({"bootstrap.servers": broker, "enable.idempotence": True, "linger.ms": 2,
                     "message.timeout.ms": 60000, "reconnect.backoff.max.ms": 200})
for i in range(count):
    producer.produce(topic, value=str(i).encode(), callback=lambda error, message: error and failed.append(str(error)))
    producer.poll(0)
    if i % 500 == 0:
        time.sleep(0.02)
remaining = producer.flush(60)
print(remaining, len(failed), failed[:3])
`;
  const count = 20_000;
  const producing = runClient(["/usr/bin/python3", "-c", script, broker.address(), topic, String(count)]);
  let finished = false;
  void producing.finally(() => {
    finished = true;
  });
  await Bun.sleep(400);
  // The kill must land mid-stream, or the test would prove nothing about retries across a crash.
  expect(finished).toBe(false);
  await broker.restart({ crash: true });
  expect((await producing).trim()).toBe("0 0 []");
  const consumed = await runClient([
    "kcat",
    "-b",
    broker.address(),
    "-C",
    "-t",
    topic,
    "-o",
    "beginning",
    "-e",
    "-q",
  ]);
  const values = consumed.trim().split("\n").map(Number);
  expect(values.length).toBe(count);
  expect(values).toEqual(Array.from({ length: count }, (_, index) => index));
}, 60_000);
