// Proves how raft-cluster nodes come together: a node alone waits for a quorum without crashing (not ready,
// still up), nodes started one by one in any order — with --bootstrap on some and not others — form one
// cluster; a node whose --peers disagree with the cluster's refuses to start with one line; and garbage or an
// oversized body sent to a node's Raft port is refused without harm.

import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { type ClusterNodeSpec, clusterModeArgs, clusterSpecs } from "../support/cluster-processes.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { freePorts, runServerCommand, type ServerProcess, startServer } from "../support/server-process.ts";

let specs: ClusterNodeSpec[] = [];
const running: ServerProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((process) => process.stop().catch(() => 0)));
  for (const spec of specs) rmSync(spec.dataDir, { recursive: true, force: true });
});

function startNode(nodeId: number, extra: string[] = [], startupMs = 30_000): Promise<ServerProcess> {
  const spec = specs[nodeId - 1]!;
  return startServer({
    dataDir: spec.dataDir,
    ports: { kafka: spec.kafkaPort, http: spec.httpPort },
    args: ["--node-id", String(nodeId)],
    modeArgs: [...clusterModeArgs(specs, nodeId), ...extra],
    startupMs,
  });
}

test("nodes started one by one, in any order, with and without --bootstrap, form one cluster", async () => {
  specs = await clusterSpecs(3);
  // Node 3 alone has no quorum: it waits, up and healthy but not ready, and does not crash.
  const alone = startNode(3);
  await Bun.sleep(2_500);
  const health = await fetch(`http://127.0.0.1:${specs[2]!.httpPort}/health`);
  expect(health.ok).toBe(true);
  expect((await fetch(`http://127.0.0.1:${specs[2]!.httpPort}/ready`)).status).toBe(503);
  // Node 1 with --bootstrap makes a quorum of two; node 2 comes a while later, without it.
  const first = startNode(1, ["--bootstrap"]);
  running.push(await alone, await first);
  await Bun.sleep(1_000);
  running.push(await startNode(2));
  const client = await RawKafkaClient.connect(specs[1]!.kafkaPort);
  try {
    const deadline = performance.now() + 15_000;
    let brokers: number[] = [];
    while (brokers.length < 3 && performance.now() < deadline) {
      const response = await client.request(ApiKey.Metadata, 12, {
        ...apiCodecs(ApiKey.Metadata).request.create(),
        topics: null,
      });
      brokers = response.brokers.map((broker) => broker.nodeId).sort();
      if (brokers.length < 3) await Bun.sleep(200);
    }
    expect(brokers).toEqual([1, 2, 3]);
  } finally {
    client.close();
  }
}, 90_000);

test("a node whose --peers disagree with the cluster's refuses to start with one line", async () => {
  const [kafka, http, raft] = (await freePorts(3)) as [number, number, number];
  const peers = specs.map((spec) => `${spec.nodeId}@127.0.0.1:${spec.raftPort}`).join(",");
  const result = await runServerCommand([
    ...["--node-id", "4", "--kafka-port", String(kafka), "--http-port", String(http)],
    ...[
      "--bind-addr",
      "127.0.0.1",
      "--advertised-addr",
      "127.0.0.1",
      "--data-dir",
      `${specs[0]!.dataDir}-node4`,
    ],
    ...["raft-cluster", "--raft-addr", `127.0.0.1:${raft}`, "--peers", peers],
  ]);
  rmSync(`${specs[0]!.dataDir}-node4`, { recursive: true, force: true });
  expect(result.exitCode).toBe(1);
  const lastLine = result.stderr.trim().split("\n").at(-1)!;
  expect(lastLine).toStartWith("chronik-server: cannot start: node ");
  expect(lastLine).toContain("was started with voters [1,2,3], this node with [1,2,3,4]");
}, 30_000);

test("garbage and an oversized body on the Raft port are refused; the cluster carries on", async () => {
  const raftUrl = `http://127.0.0.1:${specs[0]!.raftPort}`;
  const garbage = await fetch(`${raftUrl}/chronik.raft.v1.RaftService/Deliver`, {
    method: "POST",
    headers: { "content-type": "application/proto" },
    body: new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]),
  });
  expect(garbage.status).toBeGreaterThanOrEqual(400);
  const huge = await fetch(`${raftUrl}/chronik.raft.v1.RaftService/Deliver`, {
    method: "POST",
    headers: { "content-type": "application/proto" },
    body: new Uint8Array(80 * 1024 * 1024),
  }).catch(() => undefined);
  expect(huge === undefined || huge.status >= 400).toBe(true);
  const stranger = await fetch(`${raftUrl}/chronik.cluster.v1.ClusterService/BrokerHeartbeat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sender: { nodeId: 9, clusterId: "" } }),
  });
  expect(stranger.status).toBe(403);
  expect((await fetch(`http://127.0.0.1:${specs[0]!.httpPort}/ready`)).ok).toBe(true);
});
