// Proves the real chronik-server process starts on the ports it is given, answers HTTP health and readiness and
// a real client's metadata request, refuses bad configuration with one line and exit code 2, refuses a port
// already in use with one line and exit code 1, and stops cleanly on SIGTERM.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, runServerCommand, startServer } from "../support/server-process.ts";

describe("chronik-server process", () => {
  test("bad options stop startup with one line naming the problem", async () => {
    const badPort = await runServerCommand(["--kafka-port", "70000", "standalone"]);
    expect(badPort.exitCode).toBe(2);
    expect(badPort.stderr.trim()).toBe(
      'chronik-server: --kafka-port: "70000" is not allowed; expected a port from 1 to 65535',
    );
    const badEnv = await runServerCommand(["standalone"], { CHRONIK_ADVERTISED_ADDR: "0.0.0.0" });
    expect(badEnv.exitCode).toBe(2);
    expect(badEnv.stderr.trim().split("\n")).toHaveLength(1);
    expect(badEnv.stderr).toContain("CHRONIK_ADVERTISED_ADDR");
  });

  test("raft-cluster with a peer list naming a node twice, or naming this node, is refused in one line", async () => {
    const twice = await runServerCommand([
      ...["raft-cluster", "--raft-addr", "127.0.0.1:9192"],
      ...["--peers", "2@localhost:9292,2@localhost:9392"],
    ]);
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr.trim()).toBe("chronik-server: --peers: node id 2 appears twice (this node is 1)");
    const self = await runServerCommand([
      "raft-cluster",
      "--raft-addr",
      "127.0.0.1:9192",
      "--peers",
      "1@h:9292",
    ]);
    expect(self.exitCode).toBe(2);
    expect(self.stderr.trim()).toBe(
      "chronik-server: --peers: node id 1 is this node (--node-id); list only the other nodes",
    );
  });

  test("a port already in use stops startup with one line naming the address and the error", async () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const dataDir = mkdtempSync(join(tmpdir(), "chronik-port-taken-"));
    try {
      const common = ["--bind-addr", "127.0.0.1", "--advertised-addr", "127.0.0.1", "--data-dir", dataDir];
      const kafka = await runServerCommand([
        ...["--kafka-port", String(taken.port), "--http-port", String(await freePort())],
        ...common,
        "standalone",
      ]);
      expect(kafka.exitCode).toBe(1);
      expect(kafka.stderr.trim().split("\n").at(-1)).toBe(
        `chronik-server: cannot start: listen 127.0.0.1:${taken.port}: EADDRINUSE (Failed to listen at 127.0.0.1)`,
      );
      const http = await runServerCommand([
        ...["--kafka-port", String(await freePort()), "--http-port", String(taken.port)],
        ...common,
        "standalone",
      ]);
      expect(http.exitCode).toBe(1);
      expect(http.stderr.trim().split("\n")).toHaveLength(1);
      expect(http.stderr).toStartWith("chronik-server: cannot start: listen: EADDRINUSE");
    } finally {
      taken.stop(true);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("--help lists the options and exits 0", async () => {
    const help = await runServerCommand(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("--kafka-port");
    expect(help.stdout).toContain("CHRONIK_RAFT_PEERS");
  });

  test("serves /health, /ready and a real client's metadata, then stops on SIGTERM with exit 0", async () => {
    const server = await startServer();
    try {
      expect((await fetch(`http://127.0.0.1:${server.httpPort}/health`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${server.httpPort}/ready`)).status).toBe(200);
      const kcat = Bun.spawnSync(["kcat", "-b", `127.0.0.1:${server.kafkaPort}`, "-L", "-J", "-m", "5"], {
        stdout: "pipe",
      });
      const listing = JSON.parse(new TextDecoder().decode(kcat.stdout));
      expect(listing.brokers).toEqual([{ id: 1, name: `127.0.0.1:${server.kafkaPort}` }]);
      expect(listing.topics.map((topic: { topic: string }) => topic.topic)).toEqual(["__consumer_offsets"]);
      const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/kafka_requests_total\{api="Metadata",version="\d+"\} [1-9]/);
      // Per-partition gauges: each __consumer_offsets partition is led here; its first leader had an empty
      // log and so wrote no control batch, leaving the log empty and the high watermark at 0.
      expect(metrics).toContain('partition_high_watermark{topic="__consumer_offsets",partition="0"} 0');
      expect(metrics).toContain('partition_leader{topic="__consumer_offsets",partition="15"} 1');
      expect(metrics).toContain('partition_size_bytes{topic="__consumer_offsets",partition="0"} 0');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.logs()).toContain("stopping signal=SIGTERM");
  });
});
