// Proves the cluster's own doors with --cluster-secret: three nodes that share the secret form a cluster and
// replicate, a peer call without it (or with another) is refused UNAUTHENTICATED before its body is read, and
// each node names at start-up what it leaves open without authentication.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../support/cluster-processes.ts";
import { runClient } from "../support/in-process-broker.ts";
import { kcatReadToEnd } from "../support/kcat.ts";

const secret = "a-cluster-secret-of-32-characters";
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ args: ["--cluster-secret", secret, "--admin-token", "admin-token-1"] });
});
afterAll(async () => {
  await cluster?.close();
});

test("nodes sharing the secret form a cluster that replicates", async () => {
  await runClient(
    ["timeout", "20", "kcat", "-P", "-b", cluster.bootstrap(), "-t", "secret-topic", "-X", "acks=all"],
    "replicated\n",
  );
  expect(await kcatReadToEnd(cluster.bootstrap(), "secret-topic")).toEqual(["replicated"]);
});

test("a peer call without the secret, or with another, is refused UNAUTHENTICATED", async () => {
  const raftPort = cluster.specs[0]!.raftPort;
  const url = `http://127.0.0.1:${raftPort}/chronik.raft.v1.RaftService/Deliver`;
  const variants: Array<Record<string, string>> = [
    {},
    { "x-chronik-cluster-secret": "not-the-secret-at-all" },
  ];
  for (const headers of variants) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/proto", ...headers },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("unauthenticated");
  }
  for (let attempt = 0; attempt < 50 && !cluster.node(1).logs().includes("refused a peer call"); attempt++) {
    await Bun.sleep(20);
  }
  expect(cluster.node(1).logs()).toContain("refused a peer call without the cluster secret");
});

test("start-up names the listeners open without authentication", () => {
  const logs = cluster.node(1).logs();
  expect(logs).toContain("open without authentication");
  expect(logs).toContain("kafka listener PLAINTEXT");
  expect(logs).not.toContain("raft peer port");
  expect(logs).not.toContain("admin API (port");
});
