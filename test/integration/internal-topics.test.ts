// Proves, on the real process with real clients, that admin requests cannot hurt the topics the broker keeps
// for itself: kcat asking for `__cluster_metadata` (auto-create on) and kafka-python creating it get an error
// and the broker stays up; deleting `__consumer_offsets` (kafkajs, kafka-python) is refused and an offset
// committed with confluent-kafka is still there, after a restart too; and a data directory whose metadata
// already holds a `__cluster_metadata` topic (as an older version let in) starts with one ERROR line instead
// of crash-looping, and deleting that topic leaves the metadata log whole.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { startMetadata, startStorageAndRaft } from "../../src/app/broker-node.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { parseCommandLine } from "../../src/cli/parse-command-line.ts";
import type { MetadataRecord } from "../../src/cluster/metadata/metadata-records.ts";
import { logConfigOf } from "../../src/storage/index.ts";
import { runClient } from "../support/in-process-broker.ts";
import { brokerForFile, startServer } from "../support/server-process.ts";

const broker = brokerForFile("internal-topics");

function admin(address: string) {
  return new Kafka({ clientId: "internal-topics", brokers: [address], logLevel: logLevel.NOTHING }).admin();
}

/** kcat's JSON listing of `topics` (all when none), with a 5 s metadata timeout. */
async function listing(address: string, ...topics: string[]) {
  const command = ["kcat", "-b", address, "-L", "-J", "-m", "5", ...topics.flatMap((topic) => ["-t", topic])];
  const parsed = JSON.parse(await runClient(command));
  return parsed.topics as Array<{ topic: string; error?: string; partitions: unknown[] }>;
}

/** Runs kafka-python admin calls named on the command line; prints "ok" or the error's class per call. */
const kafkaPythonAdmin = `
import sys
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
calls = {
    "create-metadata": lambda: admin.create_topics([NewTopic("__cluster_metadata", 1, 1)]),
    "validate-metadata": lambda: admin.create_topics([NewTopic("__cluster_metadata", 1, 1)], validate_only=True),
    "delete-offsets": lambda: admin.delete_topics(["__consumer_offsets"]),
    "delete-metadata": lambda: admin.delete_topics(["__cluster_metadata"]),
}
for name in sys.argv[2:]:
    try:
        calls[name]()
        print("ok")
    except KafkaError as error:
        print(type(error).__name__)
admin.close()
`;

function kafkaPython(address: string, ...calls: string[]): Promise<string[]> {
  return runClient(["/usr/bin/python3", "-c", kafkaPythonAdmin, address, ...calls]).then((out) =>
    out.trim().split("\n"),
  );
}

test("kcat -L -t __cluster_metadata and kafka-python's create_topics get errors; the broker stays up", async () => {
  expect(await listing(broker.address(), "__cluster_metadata")).toEqual([
    { topic: "__cluster_metadata", error: "Broker: Unknown topic or partition", partitions: [] },
  ]);
  expect(await kafkaPython(broker.address(), "create-metadata", "validate-metadata")).toEqual([
    "InvalidRequestError",
    "InvalidRequestError",
  ]);
  expect((await fetch(`http://127.0.0.1:${broker.server().httpPort}/ready`)).ok).toBe(true);
  expect((await listing(broker.address())).map((topic) => topic.topic)).toEqual(["__consumer_offsets"]);
}, 30_000);

/** librdkafka (confluent-kafka) commits offset 3 for group "keeper" on ledger/0 ("commit"); prints the committed one. */
const keeperOffsets = `
import sys
from confluent_kafka import Consumer, TopicPartition
consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "keeper", "enable.auto.commit": False})
if sys.argv[2] == "commit":
    consumer.commit(offsets=[TopicPartition("ledger", 0, 3)], asynchronous=False)
print(consumer.committed([TopicPartition("ledger", 0)], timeout=10)[0].offset)
consumer.close()
`;

function keeperOffset(address: string, action: "commit" | "read"): Promise<string> {
  return runClient(["/usr/bin/python3", "-c", keeperOffsets, address, action]).then((out) => out.trim());
}

test("deleting __consumer_offsets is refused; a committed offset survives it and a restart", async () => {
  await runClient(["kcat", "-b", broker.address(), "-P", "-t", "ledger"], "a\nb\nc\n");
  expect(await keeperOffset(broker.address(), "commit")).toBe("3");
  const client = admin(broker.address());
  await client.connect();
  try {
    const refused = await client.deleteTopics({ topics: ["__consumer_offsets"], timeout: 5000 }).then(
      () => null,
      (error: { type?: string }) => error,
    );
    expect(refused?.type).toBe("INVALID_REQUEST");
  } finally {
    await client.disconnect();
  }
  expect(await kafkaPython(broker.address(), "delete-offsets")).toEqual(["InvalidRequestError"]);
  expect(await keeperOffset(broker.address(), "read")).toBe("3");
  await broker.restart();
  expect(await keeperOffset(broker.address(), "read")).toBe("3");
}, 60_000);

/**
 * Commits `records` to a stopped broker's metadata log without the command checks, as a version that did not
 * refuse them would have: through the same storage, Raft group and metadata service the broker uses.
 */
async function commitUnchecked(dataDir: string, records: MetadataRecord[]): Promise<void> {
  const parsed = parseCommandLine(
    ["--data-dir", dataDir, "--advertised-addr", "127.0.0.1", "standalone"],
    {},
  );
  if (parsed.kind !== "run") throw new Error(`bad test configuration: ${JSON.stringify(parsed)}`);
  const raft = startStorageAndRaft(parsed.config, silentLogger, () => logConfigOf());
  try {
    const metadata = await startMetadata(parsed.config, raft, () => {});
    const result = await metadata.execute(() => ({ ok: true, records }));
    expect(result.ok).toBe(true);
  } finally {
    await raft.close();
  }
}

test("a data dir holding a __cluster_metadata topic starts, logs one ERROR, and can be cleaned up", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chronik-bad-metadata-"));
  try {
    const first = await startServer({ dataDir });
    const ports = { kafka: first.kafkaPort, http: first.httpPort };
    expect(await first.stop()).toBe(0);
    await commitUnchecked(dataDir, [
      {
        type: "topic",
        name: "__cluster_metadata",
        topicId: "AAAAAAAAAAAAAAAAAAAAQg",
        partitions: [{ replicas: [1] }],
        configs: {},
      },
    ]);

    // Before the fix every start died: "group __cluster_metadata-0 already hosted".
    const second = await startServer({ dataDir, ports });
    const address = `127.0.0.1:${second.kafkaPort}`;
    const errorLines = second
      .logs()
      .split("\n")
      .filter((line) => line.includes("ERROR"));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain("topic=__cluster_metadata");
    expect(await kafkaPython(address, "delete-metadata")).toEqual(["ok"]);
    expect(await second.stop()).toBe(0);

    // The topic is gone and the metadata log it shared a name with is whole: the offsets topic is still known.
    const third = await startServer({ dataDir, ports });
    expect(third.logs()).not.toContain("ERROR");
    expect((await listing(`127.0.0.1:${third.kafkaPort}`)).map((topic) => topic.topic)).toEqual([
      "__consumer_offsets",
    ]);
    expect(await third.stop()).toBe(0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
