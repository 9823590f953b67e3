// Proves transactions on the real process with real clients: confluent-kafka commits and aborts interleaved
// transactions and a read_committed consumer sees exactly the committed records while read_uncommitted sees
// all; a zombie producer is fenced by a newer instance of its transactional.id; a producer killed mid-transaction
// has it aborted after transaction.timeout.ms; sendOffsetsToTransaction's offsets appear only on commit; a
// transaction committed just before a SIGKILL completes after the restart; kafkajs commits and aborts too.

import { expect, test } from "bun:test";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { runClient } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("transactions");
const python = "/usr/bin/python3";

/** Reads a partition from the start for `seconds` at an isolation level; prints the values as a JSON list. */
const readScript = `
import sys, time, json
from confluent_kafka import Consumer, TopicPartition
broker, topic, isolation, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
c = Consumer({"bootstrap.servers": broker, "group.id": "reader-" + isolation, "isolation.level": isolation,
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, 0)])
got, deadline = [], time.time() + seconds
while time.time() < deadline:
    m = c.poll(0.2)
    if m is None or m.error(): continue
    got.append(m.value().decode())
c.close()
print(json.dumps(got))
`;

async function read(topic: string, isolation: "read_committed" | "read_uncommitted", seconds = 4) {
  const out = await runClient([
    python,
    "-c",
    readScript,
    broker.address(),
    topic,
    isolation,
    String(seconds),
  ]);
  return JSON.parse(out.trim()) as string[];
}

const createTopic = `
from confluent_kafka.admin import AdminClient, NewTopic
def create(broker, topic):
    admin = AdminClient({"bootstrap.servers": broker})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result()
`;

test("interleaved commits and aborts: read_committed sees the committed records, read_uncommitted all", async () => {
  const script = `${createTopic}
import sys
from confluent_kafka import Producer
broker, topic = sys.argv[1], sys.argv[2]
create(broker, topic)
p = Producer({"bootstrap.servers": broker, "transactional.id": "interleaved", "transaction.timeout.ms": 10000})
p.init_transactions(20)
for i in range(6):
    p.begin_transaction()
    for j in range(3):
        p.produce(topic, value=f"t{i}-{j}".encode())
    p.flush(10)
    if i % 2 == 0: p.commit_transaction(20)
    else: p.abort_transaction(20)
print("done")
`;
  expect((await runClient([python, "-c", script, broker.address(), "interleaved"])).trim()).toBe("done");
  const all = [0, 1, 2, 3, 4, 5].flatMap((i) => [0, 1, 2].map((j) => `t${i}-${j}`));
  expect(await read("interleaved", "read_committed")).toEqual(all.filter((value) => /^t[024]/.test(value)));
  expect(await read("interleaved", "read_uncommitted")).toEqual(all);
}, 60_000);

test("a zombie producer is fenced by a newer instance with the same transactional.id", async () => {
  const script = `${createTopic}
import sys
from confluent_kafka import Producer, KafkaException
broker, topic = sys.argv[1], sys.argv[2]
create(broker, topic)
conf = {"bootstrap.servers": broker, "transactional.id": "zombie", "transaction.timeout.ms": 10000}
old = Producer(conf)
old.init_transactions(20)
old.begin_transaction()
old.produce(topic, value=b"from-zombie")
old.flush(10)
new = Producer(conf)
new.init_transactions(20)
try:
    old.commit_transaction(20)
    print("zombie committed")
except KafkaException as e:
    print("fenced" if e.args[0].fatal() else "error " + str(e))
new.begin_transaction()
new.produce(topic, value=b"from-new")
new.commit_transaction(20)
`;
  expect((await runClient([python, "-c", script, broker.address(), "zombie"])).trim()).toBe("fenced");
  expect(await read("zombie", "read_committed")).toEqual(["from-new"]);
}, 60_000);

test("a producer killed mid-transaction is aborted after its transaction.timeout.ms", async () => {
  const script = `${createTopic}
import sys, os
from confluent_kafka import Producer
broker, topic = sys.argv[1], sys.argv[2]
create(broker, topic)
p = Producer({"bootstrap.servers": broker, "transactional.id": "killed", "transaction.timeout.ms": 2000})
p.init_transactions(20)
p.begin_transaction()
for i in range(5): p.produce(topic, value=f"lost-{i}".encode())
p.flush(10)
os._exit(0)
`;
  await runClient([python, "-c", script, broker.address(), "killed"]);
  const after = `
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "enable.idempotence": True})
p.produce(sys.argv[2], value=b"after")
p.flush(10)
`;
  await runClient([python, "-c", after, broker.address(), "killed"]);
  // Until the timeout aborts it, the open transaction holds the last stable offset before its first record.
  expect(await read("killed", "read_committed", 1)).toEqual([]);
  await Bun.sleep(3000);
  expect(await read("killed", "read_committed")).toEqual(["after"]);
  expect(await read("killed", "read_uncommitted", 2)).toContain("lost-0");
}, 60_000);

test("sendOffsetsToTransaction: the group's offsets appear only when the transaction commits", async () => {
  const script = `${createTopic}
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
broker = sys.argv[1]
create(broker, "ctp-in"); create(broker, "ctp-out")
seed = Producer({"bootstrap.servers": broker})
for i in range(4): seed.produce("ctp-in", value=f"in-{i}".encode())
seed.flush(10)
c = Consumer({"bootstrap.servers": broker, "group.id": "ctp", "isolation.level": "read_committed",
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.assign([TopicPartition("ctp-in", 0, 0)])
p = Producer({"bootstrap.servers": broker, "transactional.id": "ctp", "transaction.timeout.ms": 10000})
p.init_transactions(20)
# Not read_committed: its OffsetFetch does not ask for stable offsets, so it sees what is committed now.
observer = Consumer({"bootstrap.servers": broker, "group.id": "ctp", "isolation.level": "read_uncommitted"})
def committed(consumer):
    return consumer.committed([TopicPartition("ctp-in", 0)], 10)[0].offset
def step(count, commit):
    p.begin_transaction()
    for _ in range(count):
        m = c.poll(10)
        p.produce("ctp-out", value=m.value().upper())
    p.send_offsets_to_transaction([TopicPartition("ctp-in", 0, m.offset() + 1)], c.consumer_group_metadata(), 20)
    before = committed(observer)
    if commit: p.commit_transaction(20)
    else: p.abort_transaction(20)
    # read_committed asks for stable offsets (KIP-447): it waits for the markers instead of racing them.
    return before, committed(c)
print(step(2, False), step(2, True))
`;
  const out = (await runClient([python, "-c", script, broker.address()])).trim();
  // Aborted: nothing committed before or after. Committed: the offset after the second record, only after.
  expect(out).toBe("(-1001, -1001) (-1001, 4)");
  expect(await read("ctp-out", "read_committed")).toEqual(["IN-2", "IN-3"]);
}, 60_000);

test("a transaction committed just before a SIGKILL is complete after the restart", async () => {
  const script = `${createTopic}
import sys
from confluent_kafka import Producer
broker, topic = sys.argv[1], sys.argv[2]
create(broker, topic)
p = Producer({"bootstrap.servers": broker, "transactional.id": "crash", "transaction.timeout.ms": 60000})
p.init_transactions(20)
p.begin_transaction()
for i in range(50): p.produce(topic, value=f"c{i}".encode())
p.flush(10)
p.commit_transaction(20)
print("committed", flush=True)
`;
  const proc = Bun.spawn([python, "-c", script, broker.address(), "crash"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toContain("committed");
  await broker.restart({ crash: true });
  await proc.exited;
  const values = await read("crash", "read_committed", 6);
  expect(values).toEqual(Array.from({ length: 50 }, (_, index) => `c${index}`));
}, 90_000);

test("kafkajs: a transactional producer commits one transaction and aborts another", async () => {
  const { Kafka, logLevel } = await import("kafkajs");
  const kafka = new Kafka({ brokers: [broker.address()], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "kafkajs-txn", numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({
    transactionalId: "kafkajs-txn",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic: "kafkajs-txn", messages: [{ value: "kept-1" }, { value: "kept-2" }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: "kafkajs-txn", messages: [{ value: "dropped" }] });
    await aborted.abort();
  } finally {
    await producer.disconnect();
  }
  expect(await read("kafkajs-txn", "read_committed")).toEqual(["kept-1", "kept-2"]);
  expect(await read("kafkajs-txn", "read_uncommitted")).toEqual(["kept-1", "kept-2", "dropped"]);
}, 60_000);

test("DescribeProducers, DescribeTransactions and ListTransactions show the interleaved producer", async () => {
  const client = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    const producers = await client.request(ApiKey.DescribeProducers, 0, {
      ...apiCodecs(ApiKey.DescribeProducers).request.create(),
      topics: [{ name: "interleaved", partitionIndexes: [0], unknownTaggedFields: [] }],
    });
    const [state] = producers.topics[0]!.partitions[0]!.activeProducers;
    expect(state?.currentTxnStartOffset).toBe(-1n);
    expect(state?.lastSequence).toBe(17);
    const described = await client.request(ApiKey.DescribeTransactions, 0, {
      ...apiCodecs(ApiKey.DescribeTransactions).request.create(),
      transactionalIds: ["interleaved"],
    });
    expect(described.transactionStates[0]?.transactionState).toBe("CompleteAbort");
    expect(described.transactionStates[0]?.producerId).toBe(state?.producerId ?? -2n);
    const listed = await client.request(ApiKey.ListTransactions, 1, {
      ...apiCodecs(ApiKey.ListTransactions).request.create(),
      durationFilter: -1n,
    });
    expect(listed.transactionStates.map((listedState) => listedState.transactionalId)).toContain(
      "interleaved",
    );
  } finally {
    client.close();
  }
});
