// Proves Kafka's listeners: a node serves every listener of --listeners, registers them all in the cluster
// metadata, and answers Metadata, FindCoordinator and DescribeCluster with each broker's address on the
// listener the client came in on — on any node of a cluster.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDescribeClusterRequest } from "../../src/protocol/messages/describe-cluster.ts";
import { createFindCoordinatorRequest } from "../../src/protocol/messages/find-coordinator.ts";
import { createMetadataRequest } from "../../src/protocol/messages/metadata.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";
import { runClient } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { freePorts, type ServerProcess, startServer } from "../support/server-process.ts";

async function metadataBrokers(port: number) {
  const client = await RawKafkaClient.connect(port);
  try {
    const response = await client.request(ApiKey.Metadata, 12, {
      ...createMetadataRequest(),
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    return response.brokers.map((broker) => `${broker.nodeId}@${broker.host}:${broker.port}`).sort();
  } finally {
    client.close();
  }
}

async function describeClusterBrokers(port: number) {
  const client = await RawKafkaClient.connect(port);
  try {
    const response = await client.request(ApiKey.DescribeCluster, 1, {
      ...createDescribeClusterRequest(),
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
    });
    return response.brokers.map((broker) => `${broker.brokerId}@${broker.host}:${broker.port}`).sort();
  } finally {
    client.close();
  }
}

describe("a standalone node with two listeners", () => {
  let server: ServerProcess;
  let internal: number;
  let external: number;
  let advertisedExternal: number;

  beforeAll(async () => {
    [internal, external, advertisedExternal] = (await freePorts(3)) as [number, number, number];
    server = await startServer({
      args: [
        "--listeners",
        `INTERNAL://127.0.0.1:${internal},EXTERNAL://:${external}`,
        "--advertised-listeners",
        `INTERNAL://127.0.0.1:${internal},EXTERNAL://localhost:${advertisedExternal}`,
        "--listener-security-protocol-map",
        "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
      ],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("Metadata and DescribeCluster answer with the address of the listener asked", async () => {
    expect(await metadataBrokers(internal)).toEqual([`1@127.0.0.1:${internal}`]);
    expect(await metadataBrokers(external)).toEqual([`1@localhost:${advertisedExternal}`]);
    expect(await describeClusterBrokers(external)).toEqual([`1@localhost:${advertisedExternal}`]);
  });

  test("kcat bootstrapped on either listener lists the broker at that listener's address", async () => {
    const listing = await runClient(["timeout", "20", "kcat", "-L", "-b", `127.0.0.1:${internal}`]);
    expect(listing).toContain(`broker 1 at 127.0.0.1:${internal}`);
  });

  test("the old --kafka-port is ignored for --listeners and the start-up log names each listener", () => {
    expect(server.logs()).toContain("listener=INTERNAL");
    expect(server.logs()).toContain("listener=EXTERNAL");
  });
});

describe("a three-node cluster with two listeners per node", () => {
  let cluster: TestCluster;
  const externalPorts = new Map<number, number>();

  beforeAll(async () => {
    const ports = await freePorts(3);
    for (const [index, port] of ports.entries()) externalPorts.set(index + 1, port);
    cluster = await startCluster({
      args: ["--listener-security-protocol-map", "EXTERNAL:PLAINTEXT"],
      argsOf: (nodeId, spec) => [
        "--listeners",
        `PLAINTEXT://127.0.0.1:${spec.kafkaPort},EXTERNAL://127.0.0.1:${externalPorts.get(nodeId)}`,
      ],
    });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  test("every node answers with every broker's address on the listener the client came in on", async () => {
    const plaintext = cluster.specs.map((spec) => `${spec.nodeId}@127.0.0.1:${spec.kafkaPort}`).sort();
    const external = [...externalPorts].map(([nodeId, port]) => `${nodeId}@127.0.0.1:${port}`).sort();
    for (const spec of cluster.specs) {
      expect(await metadataBrokers(spec.kafkaPort)).toEqual(plaintext);
      expect(await metadataBrokers(externalPorts.get(spec.nodeId)!)).toEqual(external);
    }
  });

  test("FindCoordinator on the external listener names the coordinator's external address", async () => {
    const client = await RawKafkaClient.connect(externalPorts.get(1)!);
    try {
      const externalAddresses = [...externalPorts.values()];
      let found: { host: string; port: number; errorCode: number } | undefined;
      for (let attempt = 0; attempt < 100; attempt++) {
        const response = await client.request(ApiKey.FindCoordinator, 3, {
          ...createFindCoordinatorRequest(),
          key: "listener-group",
          keyType: 0,
          coordinatorKeys: [],
        });
        found = response;
        if (response.errorCode === 0) break;
        await Bun.sleep(100);
      }
      expect(found?.errorCode).toBe(0);
      expect(externalAddresses).toContain(found!.port);
    } finally {
      client.close();
    }
  });
});
