// Records the exact bytes real Kafka clients send and receive, as fixtures for the codec tests.
//   bun scripts/capture-client-fixtures.ts [client …]     (clients: kcat, confluent, kafka-python, kafkajs, platformatic)
// Each client produces with every compression codec it supports, fetches, joins a group and commits against
// test/support/fixture-broker.ts. Frames land in test/fixtures/clients/<client>/ with an index.json; the
// first few exchanges of each API and version are kept, every Produce is kept (one per codec).
// Needs the Debian packages kcat, python3-confluent-kafka, python3-kafka (+ python3-snappy, python3-lz4,
// python3-zstandard for its codecs); run by hand when clients change, and commit the result.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RecordedExchange, startFixtureBroker } from "../test/support/fixture-broker.ts";

const fixturesRoot = join(import.meta.dir, "..", "test", "fixtures", "clients");
const keptPerApiVersion = 2;
const messagesPerTopic = 10;

interface Scenario {
  client: string;
  run(port: number): Promise<void>;
}

async function run(command: string[], input?: string, env: Record<string, string> = {}): Promise<void> {
  const proc = Bun.spawn(command, {
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const timer = setTimeout(() => proc.kill(), 60_000);
  const [exitCode, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timer);
  if (exitCode !== 0) throw new Error(`${command.join(" ")} exited ${exitCode}\n${stdout}\n${stderr}`);
}

const keyedLines = Array.from({ length: messagesPerTopic }, (_, index) => `key-${index}:value-${index}`).join(
  "\n",
);

const kcat: Scenario = {
  client: "kcat",
  async run(port) {
    const broker = `127.0.0.1:${port}`;
    for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
      await run(
        ["kcat", "-b", broker, "-P", "-t", `kcat-${codec}`, "-K:", "-z", codec, "-H", "trace=abc"],
        keyedLines,
      );
    }
    await run(["kcat", "-b", broker, "-C", "-t", "kcat-gzip", "-o", "beginning", "-e", "-q"]);
    await run([
      "kcat",
      "-b",
      broker,
      "-G",
      "kcat-group",
      "kcat-none",
      "-e",
      "-q",
      "-X",
      "auto.commit.interval.ms=100",
    ]);
  },
};

const confluentScript = `
import sys
from confluent_kafka import Consumer, Producer
broker = sys.argv[1]
for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
    producer = Producer({"bootstrap.servers": broker, "compression.type": codec, "linger.ms": 50})
    for i in range(${messagesPerTopic}):
        producer.produce(f"confluent-{codec}", key=f"key-{i}", value=f"value-{i}", headers=[("trace", b"abc")])
    assert producer.flush(30) == 0
consumer = Consumer({"bootstrap.servers": broker, "group.id": "confluent-group", "auto.offset.reset": "earliest",
                     "enable.auto.commit": False})
consumer.subscribe(["confluent-gzip"])
seen = 0
while seen < ${messagesPerTopic}:
    message = consumer.poll(10)
    assert message is not None, "no message within 10 s"
    assert message.error() is None, message.error()
    seen += 1
consumer.commit(asynchronous=False)
consumer.close()
`;

const confluent: Scenario = {
  client: "confluent",
  run: (port) => run(["/usr/bin/python3", "-c", confluentScript, `127.0.0.1:${port}`]),
};

const kafkaPythonScript = `
import sys
from kafka import KafkaConsumer, KafkaProducer
broker = sys.argv[1]
for codec in [None, "gzip", "snappy", "lz4", "zstd"]:
    producer = KafkaProducer(bootstrap_servers=broker, compression_type=codec, linger_ms=50)
    for i in range(${messagesPerTopic}):
        producer.send(f"kafka-python-{codec or 'none'}", key=f"key-{i}".encode(), value=f"value-{i}".encode(),
                      headers=[("trace", b"abc")])
    producer.flush(30)
    producer.close()
consumer = KafkaConsumer("kafka-python-gzip", bootstrap_servers=broker, group_id="kafka-python-group",
                         auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=10000)
seen = 0
for message in consumer:
    seen += 1
    if seen == ${messagesPerTopic}:
        break
assert seen == ${messagesPerTopic}, seen
consumer.commit()
consumer.close()
`;

const kafkaPython: Scenario = {
  client: "kafka-python",
  run: (port) => run(["/usr/bin/python3", "-c", kafkaPythonScript, `127.0.0.1:${port}`]),
};

const kafkajsScript = `
const { Kafka, CompressionTypes, logLevel } = require("kafkajs");
const kafka = new Kafka({ clientId: "kafkajs-fixtures", brokers: [process.argv[1]], logLevel: logLevel.NOTHING });
(async () => {
  const producer = kafka.producer();
  await producer.connect();
  for (const [name, codec] of [["none", CompressionTypes.None], ["gzip", CompressionTypes.GZIP]]) {
    const messages = Array.from({ length: ${messagesPerTopic} }, (_, i) => ({ key: "key-" + i, value: "value-" + i, headers: { trace: "abc" } }));
    await producer.send({ topic: "kafkajs-" + name, compression: codec, messages });
  }
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: "kafkajs-group", rebalanceTimeout: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic: "kafkajs-gzip", fromBeginning: true });
  let seen = 0;
  await new Promise((resolve) => consumer.run({ autoCommit: false, eachMessage: async ({ topic, partition, message }) => {
    seen++;
    if (seen === ${messagesPerTopic}) {
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      resolve();
    }
  } }));
  await consumer.disconnect();
})().catch((error) => { console.error(error); process.exit(1); });
`;

const kafkajs: Scenario = {
  client: "kafkajs",
  run: (port) =>
    run(["node", "-e", kafkajsScript, `127.0.0.1:${port}`], undefined, { NODE_PATH: "node_modules" }),
};

const scenarios: Scenario[] = [kcat, confluent, kafkaPython, kafkajs];

/** Keeps the first few exchanges of each API and version, and every Produce (one per codec). */
function selectExchanges(exchanges: readonly RecordedExchange[]): RecordedExchange[] {
  const counts = new Map<string, number>();
  return exchanges.filter((exchange) => {
    const key = `${exchange.apiKey}/${exchange.apiVersion}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    return exchange.apiName === "Produce" || count <= keptPerApiVersion;
  });
}

function writeFixtures(client: string, exchanges: readonly RecordedExchange[]): number {
  const dir = join(fixturesRoot, client);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const index = selectExchanges(exchanges).map((exchange, position) => {
    const stem = `${String(position).padStart(3, "0")}-${exchange.apiName}-v${exchange.apiVersion}`;
    writeFileSync(join(dir, `${stem}.request.bin`), exchange.request);
    if (exchange.response) writeFileSync(join(dir, `${stem}.response.bin`), exchange.response);
    return {
      stem,
      apiKey: exchange.apiKey,
      apiName: exchange.apiName,
      apiVersion: exchange.apiVersion,
      hasResponse: exchange.response !== null,
    };
  });
  writeFileSync(join(dir, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
  return index.length;
}

const wanted = process.argv.slice(2);
for (const scenario of scenarios.filter((s) => wanted.length === 0 || wanted.includes(s.client))) {
  const broker = startFixtureBroker();
  try {
    await scenario.run(broker.port);
    const kept = writeFixtures(scenario.client, broker.exchanges);
    console.log(`${scenario.client}: ${broker.exchanges.length} exchanges, ${kept} kept`);
  } finally {
    broker.stop();
  }
}
