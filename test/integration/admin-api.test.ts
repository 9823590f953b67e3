// Proves the Connect admin API on a real broker process, through the generated client and through plain JSON
// POSTs as curl sends them: the cluster view; topics created, described (leader, ISR, offsets, size), configured
// with their sources, grown and deleted; records produced with keys, headers, JSON and raw bytes that kcat reads
// back (keyed ones on the partition Kafka's murmur2 partitioner picks) and consumed as a stream from an offset, a
// time, up to a count or the end, also as newline-delimited JSON; DeleteRecords; consumer groups of both
// protocols described with members, assignments and lag, their offsets reset (dry run by default) and deleted;
// and bad requests refused with the field or the missing thing named.

import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Consumer, stringDeserializers } from "@platformatic/kafka";
import {
  type ConsumeResponse,
  type DescribeGroupResponse,
  RecordDataSchema,
} from "../../src/gen/chronik/admin/v1/admin_pb.ts";
import { adminClient, postAdminJson } from "../support/admin-client.ts";
import { runClient } from "../support/in-process-broker.ts";
import { brokerForFile } from "../support/server-process.ts";
import { waitUntil } from "../support/wait-until.ts";

const broker = brokerForFile("admin-api", {
  args: [
    ...["--group-initial-rebalance-delay-ms", "0"],
    ...["--group-consumer-heartbeat-interval-ms", "500"],
    ...["--group-consumer-min-heartbeat-interval-ms", "500"],
  ],
});
const client = () => adminClient(broker.server().httpPort);
const post = (method: string, body: string) => postAdminJson(broker.server().httpPort, method, body);
const text = (value: string) => create(RecordDataSchema, { data: { case: "text", value } });

async function refusal(call: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof ConnectError) return error;
    throw error;
  }
  throw new Error("the call was not refused");
}

/** Asks `describe` again until `done` holds (clients join and leave groups in their own time). */
async function describedUntil(group: string, done: (described: DescribeGroupResponse) => boolean) {
  let described = await client().describeGroup({ group });
  for (let attempt = 0; attempt < 200 && !done(described); attempt++) {
    await Bun.sleep(50);
    described = await client().describeGroup({ group });
  }
  return described;
}

async function consumeAll(
  request: Parameters<ReturnType<typeof client>["consume"]>[0],
): Promise<ConsumeResponse[]> {
  const items: ConsumeResponse[] = [];
  for await (const item of client().consume(request)) items.push(item);
  return items;
}

function consumedValues(items: readonly ConsumeResponse[]): string[] {
  return items.flatMap((item) => {
    if (item.item.case !== "record") return [];
    const value = item.item.value.value?.data;
    return value?.case === "text" ? [value.value] : [];
  });
}

async function produceTexts(topic: string, values: string[], partition?: number) {
  return client().produce({ topic, records: values.map((value) => ({ value: text(value), partition })) });
}

test("DescribeCluster names the node, the controller, its role, liveness and version", async () => {
  const cluster = await client().describeCluster({});
  expect(cluster.clusterId).not.toBe("");
  expect(cluster.controllerId).toBe(1);
  expect(cluster.answeredBy).toBe(1);
  expect(cluster.nodes).toHaveLength(1);
  expect(cluster.nodes[0]).toMatchObject({
    nodeId: 1,
    host: "127.0.0.1",
    port: broker.server().kafkaPort,
    role: "leader",
    fenced: false,
    reachable: true,
    version: (await Bun.file("package.json").json()).version,
  });
});

test("a topic is created with configs, listed, described, reconfigured, grown and deleted", async () => {
  const created = await client().createTopic({
    topic: "inventory",
    partitions: 2,
    configs: { "retention.ms": "60000" },
  });
  expect(created).toMatchObject({ topic: "inventory", partitions: 2, replicationFactor: 1 });
  expect(created.topicId).not.toBe("");
  const dry = await client().createTopic({ topic: "dry-only", partitions: 3, validateOnly: true });
  expect(dry).toMatchObject({ topicId: "", partitions: 3 });

  const listed = await client().listTopics({});
  expect(listed.topics.map((topic) => topic.name)).toContain("inventory");
  expect(listed.topics.map((topic) => topic.name)).not.toContain("dry-only");
  expect(listed.topics.map((topic) => topic.name)).not.toContain("__consumer_offsets");
  const withInternal = await client().listTopics({ includeInternal: true });
  expect(withInternal.topics.find((topic) => topic.name === "__consumer_offsets")?.internal).toBe(true);

  await produceTexts("inventory", ["a", "b", "c"], 1);
  const described = await client().describeTopic({ topic: "inventory" });
  expect(described.topicId).toBe(created.topicId);
  expect(described.partitions).toHaveLength(2);
  const [first, second] = described.partitions;
  expect(first).toMatchObject({ partition: 0, leaderId: 1, replicas: [1], isr: [1], figuresFrom: "leader" });
  expect(first!.highWatermark).toBe(0n);
  expect(second).toMatchObject({ partition: 1, logStartOffset: 0n, highWatermark: 3n, logEndOffset: 3n });
  expect(second!.sizeBytes).toBeGreaterThan(0n);

  const configs = await client().describeTopicConfigs({
    topic: "inventory",
    names: ["retention.ms", "cleanup.policy"],
  });
  expect(configs.configs.map(({ name, value, source }) => ({ name, value, source }))).toEqual([
    { name: "cleanup.policy", value: "delete", source: "DEFAULT_CONFIG" },
    { name: "retention.ms", value: "60000", source: "DYNAMIC_TOPIC_CONFIG" },
  ]);
  const altered = await client().alterTopicConfigs({
    topic: "inventory",
    set: { "retention.bytes": "1048576" },
    delete: ["retention.ms"],
  });
  expect(altered.configs.map(({ name, value, source }) => [name, value, source])).toEqual([
    ["retention.bytes", "1048576", "DYNAMIC_TOPIC_CONFIG"],
  ]);
  const after = await client().describeTopicConfigs({ topic: "inventory", names: ["retention.ms"] });
  expect(after.configs[0]).toMatchObject({ value: "604800000", source: "DEFAULT_CONFIG" });

  expect((await client().addPartitions({ topic: "inventory", count: 2 })).partitions).toBe(4);
  expect((await client().describeTopic({ topic: "inventory" })).partitions).toHaveLength(4);

  expect((await client().deleteTopic({ topic: "inventory" })).topicId).toBe(created.topicId);
  expect((await refusal(() => client().describeTopic({ topic: "inventory" }))).code).toBe(Code.NotFound);
});

test("bad requests, as curl sends them, are refused with one line naming the field or the missing thing", async () => {
  await client().createTopic({ topic: "taken" });
  const cases: Array<[string, string, number, string, string]> = [
    [
      "CreateTopic",
      "{not json",
      400,
      "invalid_argument",
      "cannot decode message chronik.admin.v1.CreateTopicRequest",
    ],
    ["CreateTopic", '{"topic":""}', 400, "invalid_argument", "topic: is required"],
    [
      "CreateTopic",
      '{"topic":"x","partitions":-1}',
      400,
      "invalid_argument",
      "partitions: must be at least 0",
    ],
    [
      "CreateTopic",
      '{"topic":"bad name!"}',
      400,
      "invalid_argument",
      'topic name "bad name!" has characters',
    ],
    ["CreateTopic", '{"topic":"taken"}', 409, "already_exists", "topic 'taken' already exists"],
    [
      "CreateTopic",
      '{"topic":"x","configs":{"retention.ms":"soon"}}',
      400,
      "invalid_argument",
      "retention.ms",
    ],
    ["DescribeTopic", '{"topic":"missing"}', 404, "not_found", 'topic "missing" does not exist'],
    ["AlterTopicConfigs", '{"topic":"taken"}', 400, "invalid_argument", "give at least one config"],
    [
      "ResetGroupOffsets",
      '{"allTopics":true,"toEarliest":true}',
      400,
      "invalid_argument",
      "group: is required",
    ],
    ["ResetGroupOffsets", '{"group":"g","allTopics":true}', 400, "invalid_argument", "target: give one of"],
    ["DescribeGroup", '{"group":"nobody"}', 404, "not_found", 'group "nobody" does not exist'],
    [
      "Produce",
      '{"topic":"taken","records":[]}',
      400,
      "invalid_argument",
      "records: give at least one record",
    ],
    [
      "Produce",
      '{"topic":"taken","records":[{"partition":7}]}',
      400,
      "invalid_argument",
      "records.0.partition",
    ],
    [
      "Produce",
      '{"topic":"taken","records":[{"value":{}}]}',
      400,
      "invalid_argument",
      "records.0.value: give one of",
    ],
    ["Produce", '{"topic":"__consumer_offsets","records":[{}]}', 400, "invalid_argument", "internal topic"],
    [
      "Consume",
      '{"topic":"taken","partitions":[5]}',
      400,
      "invalid_argument",
      'partitions: topic "taken" has 1',
    ],
    ["Consume", '{"topic":"nowhere"}', 404, "not_found", 'topic "nowhere" does not exist'],
    [
      "DeleteRecords",
      '{"topic":"taken","partitions":[{"partition":0,"offset":"5"}]}',
      400,
      "failed_precondition",
      "past the high watermark",
    ],
  ];
  for (const [method, body, status, code, message] of cases) {
    const answer = await post(method, body);
    expect({ method, body, status: answer.status }).toEqual({ method, body, status });
    const json = answer.json as { code: string; message: string };
    expect(json.code).toBe(code);
    expect(json.message).toContain(message);
    expect(json.message).not.toContain("\n");
  }
});

test("produced keys, values (text, JSON, bytes) and headers reach Kafka clients; keys land where murmur2 puts them", async () => {
  await client().createTopic({ topic: "records", partitions: 4 });
  const produced = await client().produce({
    topic: "records",
    records: [
      { key: text("alpha"), value: text("one"), headers: [{ key: "origin", value: text("admin") }] },
      {
        key: text("beta"),
        value: { data: { case: "json", value: { kind: { case: "numberValue", value: 2 } } } },
      },
      {
        key: text("alpha"),
        value: { data: { case: "binary", value: new Uint8Array([0x74, 0x68, 0x72, 0x65, 0x65]) } },
      },
    ],
  });
  expect(produced.records).toHaveLength(3);
  // The same key, the same partition, in order there.
  expect(produced.records[2]!.partition).toBe(produced.records[0]!.partition);
  expect(produced.records[2]!.offset).toBeGreaterThan(produced.records[0]!.offset);

  // librdkafka with Kafka's Java partitioner places "alpha" on the partition the admin API chose.
  await runClient(
    [
      "timeout",
      "20",
      "kcat",
      "-P",
      "-b",
      broker.address(),
      "-t",
      "records",
      "-K",
      ":",
      "-X",
      "topic.partitioner=murmur2_random",
    ],
    "alpha:four\n",
  );
  const lines = (
    await runClient([
      "timeout",
      "20",
      "kcat",
      "-C",
      "-q",
      "-e",
      "-b",
      broker.address(),
      "-t",
      "records",
      "-f",
      "%p|%k|%s|%h\n",
    ])
  )
    .split("\n")
    .filter((line) => line !== "")
    .sort();
  const alphaPartition = produced.records[0]!.partition;
  expect(lines).toEqual(
    [
      `${alphaPartition}|alpha|one|origin=admin`,
      `${alphaPartition}|alpha|three|`,
      `${alphaPartition}|alpha|four|`,
      `${produced.records[1]!.partition}|beta|2|`,
    ].sort(),
  );
});

test("Consume streams from the beginning, an offset or a time, up to a count or the end, and waits for new records", async () => {
  await client().createTopic({ topic: "stream", partitions: 1 });
  await produceTexts("stream", ["r0", "r1", "r2"]);
  await Bun.sleep(20);
  const betweenMs = Date.now();
  await Bun.sleep(20);
  await produceTexts("stream", ["r3", "r4"]);

  expect(consumedValues(await consumeAll({ topic: "stream", stopAtEnd: true }))).toEqual([
    "r0",
    "r1",
    "r2",
    "r3",
    "r4",
  ]);
  const fromOffset = await consumeAll({
    topic: "stream",
    start: { case: "offset", value: 3n },
    stopAtEnd: true,
  });
  expect(consumedValues(fromOffset)).toEqual(["r3", "r4"]);
  const first = fromOffset[0]!.item;
  expect(first.case === "record" && first.value.offset).toBe(3n);
  const fromTime = await consumeAll({
    topic: "stream",
    start: { case: "timestampMs", value: BigInt(betweenMs) },
    stopAtEnd: true,
  });
  expect(consumedValues(fromTime)).toEqual(["r3", "r4"]);
  expect(consumedValues(await consumeAll({ topic: "stream", maxRecords: 2 }))).toEqual(["r0", "r1"]);
  const timedOut = await consumeAll({
    topic: "stream",
    start: { case: "fromEnd", value: true },
    timeoutMs: 300,
  });
  expect(consumedValues(timedOut)).toEqual([]);

  // A stream at the end long-polls: a record produced later arrives.
  const waiting = consumeAll({
    topic: "stream",
    start: { case: "fromEnd", value: true },
    maxRecords: 1,
    timeoutMs: 10_000,
  });
  await Bun.sleep(200);
  await produceTexts("stream", ["late"]);
  expect(consumedValues(await waiting)).toEqual(["late"]);

  // Plain JSON in, newline-delimited JSON out, as curl and fetch read it.
  const ndjson = await post("Consume", '{"topic":"stream","offset":"4","stopAtEnd":true}');
  expect(ndjson.status).toBe(200);
  const records = ndjson.text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { record: { offset: string; value: { text: string } } });
  expect(records.map((line) => [line.record.offset, line.record.value.text])).toEqual([
    ["4", "r4"],
    ["5", "late"],
  ]);
});

test("DeleteRecords moves the log start; reading from the beginning then starts there", async () => {
  await client().createTopic({ topic: "trimmed" });
  await produceTexts("trimmed", ["t0", "t1", "t2", "t3"]);
  const deleted = await client().deleteRecords({
    topic: "trimmed",
    partitions: [{ partition: 0, offset: 2n }],
  });
  expect(deleted.partitions).toEqual([expect.objectContaining({ partition: 0, lowWatermark: 2n })]);
  expect((await client().describeTopic({ topic: "trimmed" })).partitions[0]!.logStartOffset).toBe(2n);
  expect(consumedValues(await consumeAll({ topic: "trimmed", stopAtEnd: true }))).toEqual(["t2", "t3"]);
  // -1 is the high watermark: everything committed, the LOG_START record the first deletion appended (offset 4,
  // replicated like any batch; consumers skip it) included.
  const before = (await client().describeTopic({ topic: "trimmed" })).partitions[0]!;
  const all = await client().deleteRecords({ topic: "trimmed", partitions: [{ partition: 0, offset: -1n }] });
  expect(all.partitions[0]!.lowWatermark).toBe(before.logEndOffset);
  expect(before.logEndOffset).toBe(5n);
  expect(consumedValues(await consumeAll({ topic: "trimmed", stopAtEnd: true }))).toEqual([]);
});

const kcatGroup = (group: string, topic: string, extra: string[] = []) => [
  ...["kcat", "-b", broker.address(), "-G", group, topic, "-q", "-o", "beginning"],
  ...["-X", "auto.offset.reset=earliest", ...extra],
];

test("a classic group: members and assignments, lag, a dry-run reset, an executed one, refusals while active, delete", async () => {
  await client().createTopic({ topic: "orders", partitions: 1 });
  await produceTexts(
    "orders",
    Array.from({ length: 10 }, (_, index) => `o${index}`),
  );
  // kcat reads to the end (-e), commits and leaves the group.
  await runClient(["timeout", "30", ...kcatGroup("billing", "orders", ["-e"])]);
  await produceTexts("orders", ["o10", "o11", "o12", "o13", "o14"]);
  const idle = await client().describeGroup({ group: "billing" });
  expect(idle).toMatchObject({
    groupId: "billing",
    type: "classic",
    state: "Empty",
    protocolType: "consumer",
    totalLag: 5n,
  });
  expect(idle.offsets).toEqual([
    expect.objectContaining({
      topic: "orders",
      partition: 0,
      committedOffset: 10n,
      logEndOffset: 15n,
      lag: 5n,
    }),
  ]);
  expect((await client().listGroups({})).groups).toContainEqual(
    expect.objectContaining({ groupId: "billing", type: "classic", state: "Empty", coordinatorId: 1 }),
  );

  const dryRun = await client().resetGroupOffsets({
    group: "billing",
    allTopics: true,
    target: { case: "toEarliest", value: true },
  });
  expect(dryRun.executed).toBe(false);
  expect(dryRun.partitions).toEqual([
    expect.objectContaining({ topic: "orders", previousOffset: 10n, newOffset: 0n }),
  ]);
  expect((await client().describeGroup({ group: "billing" })).offsets[0]!.committedOffset).toBe(10n);

  const shifted = await client().resetGroupOffsets({
    group: "billing",
    topics: [{ topic: "orders", partitions: [0] }],
    target: { case: "shiftBy", value: -3n },
    execute: true,
  });
  expect(shifted.partitions[0]).toMatchObject({ previousOffset: 10n, newOffset: 7n });
  expect((await client().describeGroup({ group: "billing" })).offsets[0]).toMatchObject({
    committedOffset: 7n,
    lag: 8n,
  });
  const clamped = await client().resetGroupOffsets({
    group: "billing",
    allTopics: true,
    target: { case: "toOffset", value: 1000n },
    execute: true,
  });
  expect(clamped.partitions[0]!.newOffset).toBe(15n);

  // A live member: its assignment is shown, and resets and deletes are refused as Kafka's tool refuses them.
  const member = Bun.spawn(kcatGroup("billing", "orders"), { stdout: "ignore", stderr: "ignore" });
  try {
    const stable = await describedUntil(
      "billing",
      (group) => group.state === "Stable" && group.members.length === 1,
    );
    expect(stable.state).toBe("Stable");
    expect(stable.assignor).toBe("range");
    expect(stable.members[0]!.assignment).toEqual([
      expect.objectContaining({ topic: "orders", partitions: [0] }),
    ]);
    expect(stable.offsets[0]!.memberId).toBe(stable.members[0]!.memberId);
    const reset = await refusal(() =>
      client().resetGroupOffsets({
        group: "billing",
        allTopics: true,
        target: { case: "toLatest", value: true },
      }),
    );
    expect(reset.code).toBe(Code.FailedPrecondition);
    expect(reset.rawMessage).toContain('offsets can only be reset while group "billing" is inactive');
    const deleting = await refusal(() => client().deleteGroup({ group: "billing" }));
    expect(deleting.code).toBe(Code.FailedPrecondition);
  } finally {
    member.kill("SIGTERM");
    await member.exited;
  }
  expect((await describedUntil("billing", (group) => group.state === "Empty")).state).toBe("Empty");
  await client().deleteGroup({ group: "billing" });
  expect((await refusal(() => client().describeGroup({ group: "billing" }))).code).toBe(Code.NotFound);
});

test("a consumer-protocol (KIP-848) group is described with its assignment and reset once its member left", async () => {
  await client().createTopic({ topic: "kip848-admin", partitions: 2 });
  await produceTexts("kip848-admin", ["x", "y"], 0);
  const consumer = new Consumer({
    clientId: "admin-test",
    bootstrapBrokers: [broker.address()],
    groupId: "modern",
    groupProtocol: "consumer",
    deserializers: stringDeserializers,
    retries: 20,
    retryDelay: 250,
  });
  const seen: string[] = [];
  try {
    const stream = await consumer.consume({
      topics: ["kip848-admin"],
      mode: "earliest",
      autocommit: false,
      maxWaitTime: 200,
    });
    const commits: Promise<unknown>[] = [];
    stream.on("data", (message) => {
      seen.push(message.value);
      commits.push(Promise.resolve(message.commit()));
    });
    await waitUntil(() => seen.length === 2, "the consumer reading both records", { timeoutMs: 20_000 });
    // Both commits must have landed before the member leaves, or the described offsets race them.
    await Promise.all(commits);
    const described = await describedUntil("modern", (group) => group.members[0]?.assignment.length === 1);
    expect(described).toMatchObject({ type: "consumer", state: "Stable", assignor: "uniform" });
    expect(described.members[0]!.assignment).toEqual([
      expect.objectContaining({ topic: "kip848-admin", partitions: [0, 1] }),
    ]);
    const refused = await refusal(() =>
      client().resetGroupOffsets({
        group: "modern",
        allTopics: true,
        target: { case: "toEarliest", value: true },
      }),
    );
    expect(refused.code).toBe(Code.FailedPrecondition);
  } finally {
    await consumer.close(true);
  }
  const empty = await describedUntil("modern", (group) => group.state === "Empty");
  expect(empty.offsets.find((offset) => offset.partition === 0)).toMatchObject({
    committedOffset: 2n,
    lag: 0n,
  });
  const reset = await client().resetGroupOffsets({
    group: "modern",
    topics: [{ topic: "kip848-admin" }],
    target: { case: "toEarliest", value: true },
    execute: true,
  });
  expect(reset.partitions.map((partition) => partition.newOffset)).toEqual([0n, 0n]);
  expect((await client().describeGroup({ group: "modern" })).totalLag).toBe(2n);
  await client().deleteGroup({ group: "modern" });
});
