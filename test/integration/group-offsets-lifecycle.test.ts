// Proves on the real process, with librdkafka (confluent-kafka) as the client, that committed offsets live and
// die with their topic: a deleted topic's offsets are gone — whether its group's coordinator was loaded or not
// when it was deleted — so groups read the topic created again under that name from its start
// (auto.offset.reset), and the offsets stay gone after a restart; and a commit to a topic, or a partition,
// that does not exist is refused with UNKNOWN_TOPIC_OR_PARTITION.

import { expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { groupPartition } from "../../src/cluster/groups/index.ts";
import { runClient } from "../support/in-process-broker.ts";
import { brokerForFile } from "../support/server-process.ts";

const broker = brokerForFile("group-offsets");

/** commit: commits one offset to partition 0 outside group management; committed: prints it; read: consumes. */
const offsetsScript = `
import sys
from confluent_kafka import Consumer, KafkaException, TopicPartition
mode, broker, group, topic = sys.argv[1:5]
consumer = Consumer({"bootstrap.servers": broker, "group.id": group, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "session.timeout.ms": 6000})
if mode == "commit":
    partition, offset = int(sys.argv[5]), int(sys.argv[6])
    try:
        consumer.commit(offsets=[TopicPartition(topic, partition, offset)], asynchronous=False)
        print("NONE")
    except KafkaException as error:
        print(error.args[0].name())
elif mode == "committed":
    print(consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset)
else:
    consumer.subscribe([topic])
    seen = []
    while len(seen) < int(sys.argv[5]):
        message = consumer.poll(10)
        assert message is not None and message.error() is None, message and message.error()
        seen.append(message.value().decode())
    print(" ".join(seen))
consumer.close()
`;

async function offsets(
  mode: "commit" | "committed" | "read",
  group: string,
  topic: string,
  ...rest: number[]
) {
  const args = [mode, broker.address(), group, topic, ...rest.map(String)];
  return (await runClient(["/usr/bin/python3", "-c", offsetsScript, ...args])).trim();
}

async function produce(topic: string, values: string[]): Promise<void> {
  await runClient(
    ["kcat", "-b", broker.address(), "-P", "-t", topic, "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
}

async function withAdmin<T>(run: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: "offsets-lifecycle",
    brokers: [broker.address()],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.disconnect();
  }
}

test("a deleted topic's offsets are gone: its new namesake is read from the start, and after a restart too", async () => {
  // Two groups on different __consumer_offsets partitions: one not loaded when the topic is deleted (the
  // broker restarted since its commit), one loaded (it committed after the restart).
  const [early, late] = ["dt-early", "dt-late"];
  expect(groupPartition(early, 16)).not.toBe(groupPartition(late, 16));
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic: "dt", numPartitions: 1 }] }));
  await produce(
    "dt",
    Array.from({ length: 10 }, (_, index) => `old-${index}`),
  );
  expect(await offsets("commit", early, "dt", 0, 8)).toBe("NONE");
  await broker.restart();
  expect(await offsets("commit", late, "dt", 0, 8)).toBe("NONE");
  expect(await offsets("committed", early, "dt")).toBe("8");

  await withAdmin(async (admin) => {
    await admin.deleteTopics({ topics: ["dt"] });
    await admin.createTopics({ topics: [{ topic: "dt", numPartitions: 1 }] });
  });
  await produce("dt", ["new-0", "new-1", "new-2"]);
  for (const group of [early, late]) {
    expect(await offsets("committed", group, "dt")).toBe("-1001");
    expect(await offsets("read", group, "dt", 3)).toBe("new-0 new-1 new-2");
  }

  // The deletion was written as tombstones: replaying __consumer_offsets does not bring the offsets back.
  await broker.restart();
  for (const group of [early, late]) expect(await offsets("committed", group, "dt")).toBe("-1001");
}, 60_000);

test("a commit to a missing topic, or past a topic's partitions, is refused with UNKNOWN_TOPIC_OR_PARTITION", async () => {
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic: "one-partition", numPartitions: 1 }] }));
  expect(await offsets("commit", "strays", "no-such-topic", 0, 5)).toBe("UNKNOWN_TOPIC_OR_PART");
  expect(await offsets("commit", "strays", "one-partition", 3, 5)).toBe("UNKNOWN_TOPIC_OR_PART");
  expect(await offsets("commit", "strays", "one-partition", 0, 5)).toBe("NONE");
  expect(await offsets("committed", "strays", "no-such-topic")).toBe("-1001");
}, 30_000);
