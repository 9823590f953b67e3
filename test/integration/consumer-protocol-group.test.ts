// Proves the KIP-848 consumer group protocol with real clients: @platformatic/kafka consumers using
// groupProtocol "consumer" share a six-partition topic while members join and leave; every produced message
// is read, no partition is ever assigned to two members at once, no message is read twice while membership
// is stable, and after the broker process restarts the group (epochs, members, assignments) and its committed
// offsets are back, so the same members go on consuming where they stopped.

import { beforeAll, expect, test } from "bun:test";
import {
  Admin,
  Consumer,
  type MessagesStream,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { createConsumerGroupDescribeRequest } from "../../src/protocol/messages/consumer-group-describe.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { brokerForFile } from "../support/server-process.ts";
import { waitUntil } from "../support/wait-until.ts";

const topic = "kip848";
const partitionCount = 6;
const groupId = "kip848-group";
const perPhase = 60;
/**
 * Members heartbeat every 500 ms (Kafka's default is 5 s, and its least allowed too), so each phase settles in
 * about a second.
 */
const broker = brokerForFile("kip848", {
  args: [
    ...["--group-consumer-heartbeat-interval-ms", "500"],
    ...["--group-consumer-min-heartbeat-interval-ms", "500"],
  ],
});
const address = broker.address;

interface Read {
  member: string;
  value: string;
}

/** One consumer of the group: logs every message it reads, then commits it. */
class Member {
  readonly consumer: Consumer<string, string, string, string>;
  private stream: MessagesStream<string, string, string, string> | null = null;
  commitFailures = 0;
  lastCommitError = "none";
  readonly streamErrors: unknown[] = [];

  constructor(
    readonly name: string,
    private readonly reads: Read[],
  ) {
    this.consumer = new Consumer({
      clientId: name,
      bootstrapBrokers: [address()],
      groupId,
      groupProtocol: "consumer",
      deserializers: stringDeserializers,
      retries: 20,
      retryDelay: 250,
    });
  }

  async start(): Promise<void> {
    this.stream = await this.consumer.consume({
      topics: [topic],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
      maxWaitTime: 200,
    });
    this.stream.on("error", (error) => this.streamErrors.push(error));
    this.stream.on("data", (message) => {
      this.reads.push({ member: this.name, value: message.value });
      Promise.resolve(message.commit()).catch((error: unknown) => {
        this.commitFailures++;
        this.lastCommitError = String(error);
      });
    });
  }

  partitions(): number[] {
    return (this.consumer.assignments ?? []).flatMap((assignment) =>
      assignment.topic === topic ? assignment.partitions : [],
    );
  }

  async stop(): Promise<void> {
    await this.consumer.close(true);
  }
}

/** Samples every member's assignment all along: a partition held by two members at once is a violation. */
class OwnershipWatch {
  readonly violations: string[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly members: () => Member[]) {
    this.timer = setInterval(() => this.check(), 5);
  }

  check(): void {
    const owners = new Map<number, string>();
    for (const member of this.members()) {
      for (const partition of member.partitions()) {
        const other = owners.get(partition);
        if (other !== undefined) this.violations.push(`${topic}-${partition}: ${other} and ${member.name}`);
        owners.set(partition, member.name);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Clients settle within seconds; a phase that has not in this long never will. */
const phaseMsMax = 25_000;
const waitFor = (condition: () => boolean, what: string) =>
  waitUntil(condition, what, { timeoutMs: phaseMsMax, pollMs: 20 });

/** Every partition owned, by exactly one member, and every member owning some. */
function settled(members: Member[]): boolean {
  const owned = members.map((member) => member.partitions());
  const all = owned.flat().sort((a, b) => a - b);
  return owned.every((list) => list.length > 0) && all.join() === "0,1,2,3,4,5";
}

let produced = 0;
async function producePhase(producer: Producer<string, string, string, string>): Promise<void> {
  const messages = Array.from({ length: perPhase }, (_, index) => {
    const number = produced + index;
    return { topic, key: `k${number}`, value: `m${number}`, partition: number % partitionCount };
  });
  await producer.send({ messages, acks: -1 });
  produced += perPhase;
}

async function describeGroup() {
  const client = await RawKafkaClient.connect(broker.server().kafkaPort);
  try {
    const response = await client.request(ApiKey.ConsumerGroupDescribe, 0, {
      ...createConsumerGroupDescribeRequest(),
      groupIds: [groupId],
    });
    const group = response.groups[0]!;
    return {
      errorCode: group.errorCode,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      members: group.members
        .map((member) => ({
          memberId: member.memberId,
          memberEpoch: member.memberEpoch,
          clientId: member.clientId,
          partitions: member.assignment.topicPartitions.flatMap((entry) => entry.partitions).sort(),
        }))
        .sort((a, b) => a.clientId.localeCompare(b.clientId)),
    };
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  const admin = new Admin({ clientId: "kip848-admin", bootstrapBrokers: [address()] });
  await admin.createTopics({ topics: [topic], partitions: partitionCount, replicas: 1 });
  await admin.close();
});

test("consumer-protocol members share a topic through joins, a leave and a broker restart", async () => {
  const reads: Read[] = [];
  const live: Member[] = [];
  /** Every member that ever joined, departed ones too: a repeat after a leave is explained by their commits. */
  const joined: Member[] = [];
  const watch = new OwnershipWatch(() => live);
  const producer = new Producer({
    clientId: "kip848-producer",
    bootstrapBrokers: [address()],
    serializers: stringSerializers,
    retries: 20,
    retryDelay: 250,
  });
  const join = async (name: string) => {
    const member = new Member(name, reads);
    live.push(member);
    joined.push(member);
    await member.start();
  };
  /** Produces a phase's messages and waits until each was read; a read beyond that would be a repeat. */
  const phase = async () => {
    await waitFor(() => settled(live), `a settled assignment for ${live.map((m) => m.name)}`);
    await producePhase(producer);
    await waitFor(() => reads.length >= produced, `${produced} reads (have ${reads.length})`);
    await Bun.sleep(300);
    if (reads.length !== produced) {
      const commits = joined.map((m) => `${m.name}: ${m.commitFailures} failed, last ${m.lastCommitError}`);
      throw new Error(`${reads.length} reads of ${produced} produced; commits ${commits.join("; ")}`);
    }
  };
  try {
    await join("a");
    await phase();
    await join("b");
    await phase();
    await join("c");
    await phase();
    // Watched until it has left: its partitions must not reach b or c before it gave them up.
    await live[0]!.stop();
    live.shift();
    await phase();
    const before = await describeGroup();
    expect(before.members.map((member) => member.clientId)).toEqual(["b", "c"]);
    await broker.restart();
    // Loaded from __consumer_offsets: the same epochs, members and assignments.
    expect(await describeGroup()).toEqual(before);
    await phase();
    // The members carried on with their epochs: nobody was fenced and rejoined.
    expect((await describeGroup()).members.map((m) => m.memberEpoch)).toEqual(
      before.members.map((m) => m.memberEpoch),
    );
  } finally {
    watch.stop();
    for (const member of live) await member.stop();
    await producer.close();
  }
  watch.check();
  expect(watch.violations).toEqual([]);
  const values = reads.map((read) => read.value);
  expect(new Set(values).size).toBe(values.length);
  expect(values.sort()).toEqual(Array.from({ length: produced }, (_, index) => `m${index}`).sort());
  expect(new Set(reads.map((read) => read.member))).toEqual(new Set(["a", "b", "c"]));
  expect(live.map((member) => [member.commitFailures, member.streamErrors])).toEqual([
    [0, []],
    [0, []],
  ]);
}, 90_000);
