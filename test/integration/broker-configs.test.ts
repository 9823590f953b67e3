// Proves dynamic broker configs on a real broker through real admin clients: kafkajs (AlterConfigs) sets this
// broker's own value and @platformatic/kafka (IncrementalAlterConfigs) the cluster default (kafkajs refuses the
// empty name); DescribeConfigs reports them with
// DYNAMIC_DEFAULT_BROKER_CONFIG / DYNAMIC_BROKER_CONFIG and their synonyms; a topic without an override inherits
// message.max.bytes at once (a larger record is refused); a static config keeps Kafka's refusal; and all of it
// survives a restart, from the metadata log.

import { expect, test } from "bun:test";
import { Admin } from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { brokerForFile } from "../support/server-process.ts";

// Node 0: @platformatic/kafka sends a BROKER resource to the broker whose id is Number(name), so the cluster
// default ("") goes to broker 0.
const broker = brokerForFile("broker-configs", { args: ["--node-id", "0"] });
const brokerType = 4;
const kafka = () =>
  new Kafka({
    clientId: "broker-configs",
    brokers: [broker.address()],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  });

async function withKafkajsAdmin<T>(run: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.disconnect();
  }
}

async function describeBroker(name: string, configNames: string[]) {
  return withKafkajsAdmin(async (admin) => {
    const described = await admin.describeConfigs({
      includeSynonyms: true,
      resources: [{ type: brokerType, name, configNames }],
    });
    return described.resources[0]!;
  });
}

/** Produces one record of `bytes` bytes to `topic`; resolves to the error's type, or "ok". */
async function produceSized(topic: string, bytes: number): Promise<string> {
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: "x".repeat(bytes) }] });
    return "ok";
  } catch (error) {
    return (error as { type?: string }).type ?? String(error);
  } finally {
    await producer.disconnect();
  }
}

test("cluster default and per-broker values apply live, describe with their sources, and survive a restart", async () => {
  const nodeId = await withKafkajsAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic: "inherits", numPartitions: 1 }] });
    return String((await admin.describeCluster()).brokers[0]!.nodeId);
  });
  expect(await produceSized("inherits", 5000)).toBe("ok");

  await withKafkajsAdmin((admin) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: brokerType, name: nodeId, configEntries: [{ name: "log.retention.ms", value: "3600000" }] },
      ],
    }),
  );
  const platformatic = new Admin({ clientId: "broker-configs", bootstrapBrokers: [broker.address()] });
  const describeDefault = async () => {
    const [described] = await platformatic.describeConfigs({
      resources: [{ resourceType: brokerType, resourceName: "" }],
      includeSynonyms: true,
    });
    return described!.configs.map((entry) => [entry.name, entry.value, entry.configSource]);
  };
  try {
    await platformatic.incrementalAlterConfigs({
      resources: [
        {
          resourceType: brokerType,
          resourceName: "",
          configs: [{ name: "message.max.bytes", configOperation: 0, value: "2000" }],
        },
      ],
    });
    // A static config keeps Kafka's refusal (its message is checked in test/cluster/dynamic-broker-configs.test.ts).
    const refusal = await withKafkajsAdmin((admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: brokerType, name: nodeId, configEntries: [{ name: "num.partitions", value: "3" }] },
        ],
      }),
    ).then(
      () => "accepted",
      (error: { type?: string }) => error.type,
    );
    expect(refusal).toBe("INVALID_REQUEST");

    const [described] = await platformatic.describeConfigs({
      resources: [
        { resourceType: brokerType, resourceName: nodeId, configurationKeys: ["log.retention.ms"] },
      ],
      includeSynonyms: true,
    });
    expect(described!.configs[0]).toMatchObject({
      name: "log.retention.ms",
      value: "3600000",
      configSource: 2,
    });
    expect(await describeDefault()).toEqual([["message.max.bytes", "2000", 3]]);
  } finally {
    await platformatic.close();
  }

  // The topic inherits the new default at once.
  expect(await produceSized("inherits", 5000)).toBe("MESSAGE_TOO_LARGE");
  expect(await produceSized("inherits", 500)).toBe("ok");

  for (const phase of ["before", "after"]) {
    if (phase === "after") await broker.restart();
    const perBroker = await describeBroker(nodeId, [
      "message.max.bytes",
      "log.retention.ms",
      "num.partitions",
    ]);
    const entries = Object.fromEntries(perBroker.configEntries.map((entry) => [entry.configName, entry]));
    expect(entries["message.max.bytes"]).toMatchObject({
      configValue: "2000",
      configSource: 3,
      readOnly: false,
    });
    expect(entries["message.max.bytes"]!.configSynonyms.map((s) => [s.configValue, s.configSource])).toEqual([
      ["2000", 3],
      ["1048588", 5],
    ]);
    expect(entries["log.retention.ms"]).toMatchObject({ configValue: "3600000", configSource: 2 });
    expect(entries["num.partitions"]).toMatchObject({ readOnly: true });
  }
  expect(await produceSized("inherits", 5000)).toBe("MESSAGE_TOO_LARGE");
});
