// Proves the consumer-group APIs serve real clients: two kafkajs consumers in one group split a 4-partition
// topic and together read every message exactly once; confluent-kafka (librdkafka) joins, consumes and commits;
// and committed offsets survive a restart of the group service, rebuilt from the __consumer_offsets records.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { defaultFetchSessionLimits, FetchSessionCache } from "../../src/broker/fetch-sessions.ts";
import { fetchHandler } from "../../src/broker/handlers/fetch.ts";
import { groupHandlers, metadataHandlers } from "../../src/broker/handlers/index.ts";
import { listOffsetsHandler } from "../../src/broker/handlers/list-offsets.ts";
import { produceHandler } from "../../src/broker/handlers/produce.ts";
import { type GroupService, offsetsTopicName } from "../../src/cluster/group-service.ts";
import { addTopic } from "../support/in-memory-metadata.ts";
import {
  type BrokerTime,
  type InProcessBroker,
  realTime,
  runClient as run,
  startInProcessBroker,
  type TestContext,
} from "../support/in-process-broker.ts";
import { newGroupService, testOffsetsPartitions } from "../support/test-group-service.ts";

let server: InProcessBroker;
let broker: string;
let context: TestContext;

const groupService = (time: BrokerTime) =>
  newGroupService(context, time, { config: { initialRebalanceDelayMs: 100 } });

beforeAll(async () => {
  let sessionIds = 0;
  server = await startInProcessBroker((brokerContext, _port, time) => {
    context = brokerContext;
    return [
      ...metadataHandlers(brokerContext),
      produceHandler(brokerContext, time),
      fetchHandler(brokerContext, new FetchSessionCache(defaultFetchSessionLimits, () => ++sessionIds), time),
      listOffsetsHandler(brokerContext),
      ...groupHandlers({
        context: brokerContext,
        groups: groupService(time),
      }),
    ];
  });
  broker = server.address;
  addTopic(context, offsetsTopicName, { partitions: testOffsetsPartitions });
});

afterAll(() => server.stop());

describe("consumer groups", () => {
  test("two kafkajs consumers split a topic and read every message exactly once", async () => {
    const kafka = new Kafka({ clientId: "group-test", brokers: [broker], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "shared", numPartitions: 4 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 200 }, (_, index) => ({ key: `k${index}`, value: `v${index}` }));
    await producer.send({ topic: "shared", messages });
    await producer.disconnect();

    const seen: string[] = [];
    let settledPartitions: number[] = [];
    const assigned = new Map<string, number[]>();
    const consumers = [0, 1].map(() =>
      kafka.consumer({
        groupId: "kafkajs-group",
        sessionTimeout: 6000,
        rebalanceTimeout: 6000,
        heartbeatInterval: 300,
      }),
    );
    try {
      for (const [index, consumer] of consumers.entries()) {
        await consumer.connect();
        await consumer.subscribe({ topic: "shared", fromBeginning: true });
        consumer.on(consumer.events.GROUP_JOIN, (event) => {
          assigned.set(`c${index}`, event.payload.memberAssignment.shared ?? []);
        });
        // Commit after every message, so a partition that moves in a rebalance resumes exactly where it stopped.
        await consumer.run({
          autoCommitThreshold: 1,
          eachMessage: async ({ message }) => void seen.push(message.value!.toString()),
        });
      }
      // Done when every message was seen and the latest assignments split the four partitions between both.
      const settled = () => {
        const latest = [...assigned.values()];
        const union = latest.flat().sort();
        return latest.length === 2 && latest.every((p) => p.length > 0) && union.join() === "0,1,2,3";
      };
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !(seen.length >= 200 && settled())) await Bun.sleep(100);
      // Snapshot now: disconnecting below makes the survivor rejoin and take every partition.
      settledPartitions = [...assigned.values()].flat().sort();
    } finally {
      for (const consumer of consumers) await consumer.disconnect();
    }
    expect(new Set(seen).size).toBe(200);
    expect(seen.length).toBe(200);
    expect(settledPartitions).toEqual([0, 1, 2, 3]);
  }, 40_000);

  test("librdkafka joins, consumes and commits; offsets survive a group-service restart", async () => {
    await run(["kcat", "-b", broker, "-P", "-t", "confluent-topic"], "a\nb\nc\nd\ne\n");
    const script = `
import sys
from confluent_kafka import Consumer
consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "confluent-group", "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "session.timeout.ms": 6000})
consumer.subscribe(["confluent-topic"])
seen = []
while len(seen) < 5:
    message = consumer.poll(10)
    assert message is not None and message.error() is None, message and message.error()
    seen.append(message.value().decode())
consumer.commit(asynchronous=False)
consumer.close()
print(",".join(seen))
`;
    expect((await run(["/usr/bin/python3", "-c", script, broker])).trim()).toBe("a,b,c,d,e");
    const restarted = groupService(realTime);
    const found = restarted.lookup("confluent-group");
    if (!found.ok) throw new Error(found.error);
    const offsets = found.coordinator.fetchOffsets({ groupId: "confluent-group", topics: null });
    expect(offsets.topics.map((topic) => [topic.name, topic.partitions.map((p) => p.offset)])).toEqual([
      ["confluent-topic", [5]],
    ]);
    restarted.close();
  });
});

describe("offset retention", () => {
  test("offsets of a group without members expire after offsets.retention.ms; the tombstones are persisted", async () => {
    const clock = new ManualClock();
    const serviceAt = () =>
      newGroupService(
        context,
        { clock, scheduler: clock },
        { topics: () => undefined, config: { offsetsRetentionMs: 60_000 } },
      );
    const service = serviceAt();
    const commit = (groupId: string) =>
      service.step(groupId, (coordinator, nowMs) =>
        coordinator.commitOffsets(
          {
            groupId,
            apiVersion: 8,
            generationId: -1,
            memberId: "",
            groupInstanceId: null,
            retentionTimeMs: -1,
            topics: [
              { name: "kept", partitions: [{ partition: 0, offset: 7, leaderEpoch: -1, metadata: null }] },
            ],
          },
          nowMs,
        ),
      );
    const offsetOf = (groups: GroupService, groupId: string) => {
      const found = groups.lookup(groupId);
      if (!found.ok) throw new Error(found.error);
      return found.coordinator.fetchOffsets({ groupId, topics: null }).topics[0]?.partitions[0]?.offset;
    };
    await commit("old-simple-consumer");
    clock.advance(50_000);
    await commit("recent-simple-consumer");
    clock.advance(20_000); // the first commit is now 70 s old, the second 20 s
    await service.expireOffsets();
    expect(offsetOf(service, "old-simple-consumer")).toBeUndefined();
    expect(offsetOf(service, "recent-simple-consumer")).toBe(7);
    service.close();
    // A new coordinator replaying the partition agrees: the expiry was written as tombstones.
    const reloaded = serviceAt();
    expect(offsetOf(reloaded, "old-simple-consumer")).toBeUndefined();
    expect(offsetOf(reloaded, "recent-simple-consumer")).toBe(7);
    reloaded.close();
  });
});
