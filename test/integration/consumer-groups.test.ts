// Proves consumer groups on the real process, with their state in __consumer_offsets: confluent-kafka commits
// halfway and, after a broker restart, the group resumes exactly where it committed; kafka-python consumes in a
// group both with the 0.10 protocol and with its default; kcat's balanced consumer (-G) reads its share.

import { expect, test } from "bun:test";
import { runClient } from "../support/in-process-broker.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("groups");
const address = broker.address;

async function produce(topic: string, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, index) => `m${index}`).join("\n");
  await runClient(["kcat", "-b", address(), "-P", "-t", topic, "-X", "acks=all"], `${lines}\n`);
}

/** Joins `group`, reads `count` messages, commits synchronously, prints them; exits cleanly (LeaveGroup). */
const confluentReader = `
import sys
from confluent_kafka import Consumer
broker, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
consumer = Consumer({"bootstrap.servers": broker, "group.id": group, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "session.timeout.ms": 6000})
consumer.subscribe([topic])
seen = []
while len(seen) < count:
    message = consumer.poll(10)
    assert message is not None, f"only {len(seen)} of {count}"
    assert message.error() is None, message.error()
    seen.append(message.value().decode())
consumer.commit(asynchronous=False)
consumer.close()
print(" ".join(seen))
`;

test("a group resumes at its committed offset after the broker restarts", async () => {
  await produce("resume", 10);
  const first = await runClient([
    "/usr/bin/python3",
    "-c",
    confluentReader,
    address(),
    "resume",
    "resumers",
    "5",
  ]);
  expect(first.trim()).toBe("m0 m1 m2 m3 m4");
  await broker.restart();
  const second = await runClient([
    "/usr/bin/python3",
    "-c",
    confluentReader,
    address(),
    "resume",
    "resumers",
    "5",
  ]);
  expect(second.trim()).toBe("m5 m6 m7 m8 m9");
}, 60_000);

test("kafka-python consumes in a group with the 0.10 protocol and with its default", async () => {
  await produce("kp-topic", 6);
  const script = `
import sys
from kafka import KafkaConsumer
broker, group, version = sys.argv[1], sys.argv[2], sys.argv[3]
options = {"api_version": (0, 10, 0)} if version == "old" else {}
consumer = KafkaConsumer("kp-topic", bootstrap_servers=broker, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, consumer_timeout_ms=8000, **options)
values = []
for message in consumer:
    values.append(message.value.decode())
    if len(values) == 6:
        break
consumer.commit()
consumer.close()
print(" ".join(values))
`;
  for (const version of ["old", "default"]) {
    const output = await runClient(["/usr/bin/python3", "-c", script, address(), `kp-${version}`, version]);
    expect(output.trim()).toBe("m0 m1 m2 m3 m4 m5");
  }
}, 60_000);

test("kcat's balanced consumer reads the topic in a group", async () => {
  await produce("kcat-group-topic", 4);
  const output = await runClient([
    "kcat",
    "-b",
    address(),
    "-G",
    "kcat-group",
    "kcat-group-topic",
    "-o",
    "beginning",
    "-c",
    "4",
    "-q",
    "-f",
    "%s\n",
  ]);
  expect(output.trim().split("\n")).toEqual(["m0", "m1", "m2", "m3"]);
}, 30_000);
