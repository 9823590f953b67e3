// Proves the real chronik-server process starts on the ports it is given, answers HTTP health and a real
// client's ApiVersions, refuses bad configuration with one line and exit code 2, and stops cleanly on SIGTERM.

import { describe, expect, test } from "bun:test";
import { runServerCommand, startServer } from "../support/server-process.ts";

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

  test("--help lists the options and exits 0", async () => {
    const help = await runServerCommand(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("--kafka-port");
    expect(help.stdout).toContain("CHRONIK_RAFT_PEERS");
  });

  test("serves /health and a real client's ApiVersions, then stops on SIGTERM with exit 0", async () => {
    const server = await startServer();
    try {
      expect((await fetch(`http://127.0.0.1:${server.httpPort}/health`)).status).toBe(200);
      // kcat negotiates with ApiVersions first; it then finds Metadata unsupported, which this build says.
      const kcat = Bun.spawnSync(["kcat", "-b", `127.0.0.1:${server.kafkaPort}`, "-L", "-m", "3"], {
        stderr: "pipe",
      });
      expect(new TextDecoder().decode(kcat.stderr)).toContain("not supported by broker");
      const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/kafka_requests_total\{api="ApiVersions",version="3"\} 1/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.logs()).toContain("stopping signal=SIGTERM");
  });
});
