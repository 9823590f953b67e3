// Proves the HTTP app answers health, readiness (503 until ready), metrics, and the Connect admin service,
// using app.request() without opening a port.

import { expect, test } from "bun:test";
import { createHttpApp } from "../../src/app/http-server.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { MetricsRegistry } from "../../src/base/metrics.ts";

function makeApp(notReady: string[]) {
  const registry = new MetricsRegistry();
  registry.counter("chronik_test_total", "test").labels().inc(2);
  return createHttpApp({
    readiness: { notReady: () => notReady },
    registry,
    logger: silentLogger,
    status: () => ({
      peers: [],
      nodeId: 4,
      mode: "standalone",
      version: "9.9.9",
      notReady,
      uptimeMs: 1234.4,
      advertisedKafkaAddress: "localhost:9092",
    }),
  });
}

test("/health is up even when /ready is not", async () => {
  const app = makeApp(["storage"]);
  expect((await app.request("/health")).status).toBe(200);
  const ready = await app.request("/ready");
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: "not ready", waitingFor: ["storage"] });
  expect((await makeApp([]).request("/ready")).status).toBe(200);
});

test("/metrics serves the registry as Prometheus text", async () => {
  const response = await makeApp([]).request("/metrics");
  expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  expect(await response.text()).toContain("chronik_test_total 2");
});

test("the Connect admin service answers GetNodeStatus in JSON", async () => {
  const response = await makeApp([]).request("/chronik.admin.v1.AdminService/GetNodeStatus", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    nodeId: 4,
    mode: "standalone",
    version: "9.9.9",
    uptimeMs: "1234",
    advertisedKafkaAddress: "localhost:9092",
    controllerId: -1,
  });
});

test("GetNodeStatus of a cluster node names its metadata role, term, controller and peers", async () => {
  const app = createHttpApp({
    readiness: { notReady: () => [] },
    registry: new MetricsRegistry(),
    logger: silentLogger,
    status: () => ({
      nodeId: 2,
      mode: "raft-cluster",
      version: "9.9.9",
      notReady: [],
      uptimeMs: 1,
      advertisedKafkaAddress: "h2:9092",
      metadata: { role: "follower", term: 3, controllerId: 1 },
      peers: [
        { nodeId: 1, address: "h1:9192", reachable: true },
        { nodeId: 3, address: "h3:9192", reachable: false },
      ],
    }),
  });
  const response = await app.request("/chronik.admin.v1.AdminService/GetNodeStatus", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(await response.json()).toMatchObject({
    role: "follower",
    term: "3",
    controllerId: 1,
    peers: [
      { nodeId: 1, address: "h1:9192", reachable: true },
      { nodeId: 3, address: "h3:9192" },
    ],
  });
});
