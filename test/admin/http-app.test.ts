// Proves the HTTP app answers health, readiness (503 until ready), metrics, and the Connect admin service (its
// JSON with every field, its bearer token guarding every admin call but not /health, /ready, /metrics, and its
// answer while the broker starts), using app.request() without opening a port.

import { expect, test } from "bun:test";
import { createHttpApp } from "../../src/app/http-server.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { MetricsRegistry } from "../../src/base/metrics.ts";

function makeApp(notReady: string[], adminToken: string | null = null) {
  const registry = new MetricsRegistry();
  registry.counter("chronik_test_total", "test").labels().inc(2);
  return createHttpApp({
    readiness: { notReady: () => notReady },
    registry,
    logger: silentLogger,
    adminToken,
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
  // Every field, zeros and empty lists too: a curl user needs no proto3 rules to read it.
  expect(await response.json()).toEqual({
    nodeId: 4,
    mode: "standalone",
    version: "9.9.9",
    notReady: [],
    uptimeMs: "1234",
    advertisedKafkaAddress: "localhost:9092",
    role: "",
    term: "0",
    controllerId: -1,
    peers: [],
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

function adminCall(app: ReturnType<typeof makeApp>, method: string, headers: Record<string, string> = {}) {
  return app.request(`/chronik.admin.v1.AdminService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });
}

test("with --admin-token, every admin call needs the bearer token; health, readiness and metrics stay open", async () => {
  const app = makeApp([], "s3cret-token");
  for (const method of ["GetNodeStatus", "ListTopics", "DescribeCluster"]) {
    const missing = await adminCall(app, method);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      code: "unauthenticated",
      message: "missing bearer token (Authorization: Bearer <token>)",
    });
    const wrong = await adminCall(app, method, { authorization: "Bearer s3cret-tokeN" });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe("wrong admin token");
  }
  expect((await adminCall(app, "GetNodeStatus", { authorization: "Bearer s3cret-token" })).status).toBe(200);
  for (const path of ["/health", "/ready", "/metrics"]) expect((await app.request(path)).status).toBe(200);
});

test("calls that need the broker answer UNAVAILABLE while it starts", async () => {
  const response = await adminCall(makeApp(["storage"]), "ListTopics");
  expect(response.status).toBe(503);
  expect(await response.json()).toEqual({
    code: "unavailable",
    message: "the broker is still starting; retry once /ready answers 200",
  });
});
