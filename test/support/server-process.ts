// Starts the real chronik-server as a child process on free ports, waits until its HTTP port answers, and
// stops it with a signal (or SIGKILL) — the harness every integration test uses.

import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const mainPath = join(import.meta.dir, "..", "..", "src", "main.ts");
const startupMsMax = 15_000;

/** A port nothing listens on now (another process may still take it before the caller binds it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` distinct free ports. Each probe stays open until all are taken: probing one at a time, the kernel
 * may hand the port just released to the next probe, and a broker given it twice fails with EADDRINUSE.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Two distinct free ports for a broker's Kafka and HTTP listeners. */
export async function brokerPorts(): Promise<{ kafka: number; http: number }> {
  const [kafka, http] = (await freePorts(2)) as [number, number];
  return { kafka, http };
}

export interface ServerProcess {
  pid: number;
  kafkaPort: number;
  httpPort: number;
  dataDir: string;
  /** Everything the process wrote to stderr so far. */
  logs(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number>;
  /** SIGKILL: a crash, nothing flushed on the way out. */
  kill(): Promise<number>;
}

type StartOptions = {
  args?: string[];
  dataDir?: string;
  ports?: { kafka: number; http: number };
  /** The process environment (default: this one's). */
  env?: Record<string, string | undefined>;
  /** The mode and its options, last on the command line (default: standalone). */
  modeArgs?: string[];
  /** How long to wait for /ready (default startupMsMax). */
  startupMs?: number;
  /** What runs the server (default: this Bun running src/main.ts), e.g. a compiled chronik-server. */
  command?: string[];
  /** The working directory (default: this one's). */
  cwd?: string;
};

/** Tries at startup when the ports were picked here and another process took one first. */
const portPickAttemptsMax = 3;

export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  // Given ports let a restarted broker come back where its clients expect it.
  if (options.ports) return await startOn(options.ports.kafka, options.ports.http, options);
  for (let attempt = 1; ; attempt++) {
    const ports = await brokerPorts();
    try {
      return await startOn(ports.kafka, ports.http, options);
    } catch (error) {
      // A failed start leaves no data behind that a retry could trip over: startOn removes a directory it made.
      if (attempt >= portPickAttemptsMax || !String(error).includes("EADDRINUSE")) throw error;
    }
  }
}

async function startOn(kafkaPort: number, httpPort: number, options: StartOptions): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "chronik-test-"));
  const proc = Bun.spawn(
    [
      ...(options.command ?? [process.execPath, mainPath]),
      "--kafka-port",
      String(kafkaPort),
      "--http-port",
      String(httpPort),
      "--bind-addr",
      "127.0.0.1",
      "--advertised-addr",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      ...(options.args ?? []),
      ...(options.modeArgs ?? ["standalone"]),
    ],
    { stdout: "ignore", stderr: "pipe", env: options.env ?? process.env, cwd: options.cwd },
  );
  let stderr = "";
  const stderrRead = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const cleanUp = (exitCode: number) => {
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    return exitCode;
  };
  const startupMs = options.startupMs ?? startupMsMax;
  const deadline = performance.now() + startupMs;
  for (;;) {
    if (proc.exitCode !== null) {
      cleanUp(proc.exitCode);
      await stderrRead; // the line naming the problem may still be in the pipe
      throw new Error(`chronik-server exited ${proc.exitCode} during startup:\n${stderr}`);
    }
    try {
      // /ready, not /health: HTTP answers before the broker has elected, replayed and opened its partitions.
      if ((await fetch(`http://127.0.0.1:${httpPort}/ready`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`chronik-server did not start within ${startupMs} ms:\n${stderr}`);
    }
    await Bun.sleep(50);
  }
  return {
    pid: proc.pid,
    kafkaPort,
    httpPort,
    dataDir,
    logs: () => stderr,
    stop: async () => {
      proc.kill("SIGTERM");
      return cleanUp(await proc.exited);
    },
    kill: async () => {
      proc.kill("SIGKILL");
      return cleanUp(await proc.exited);
    },
  };
}

/** Runs chronik-server to completion (for flag errors and --help), capturing its output. */
export async function runServerCommand(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, mainPath, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  const [exitCode, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { exitCode, stdout, stderr };
}

/**
 * One broker process for a whole test file, over a data directory of its own: started before the file's tests,
 * stopped and its data removed after them. `restart` stops it (SIGTERM, or SIGKILL with `crash`) and starts it
 * again over the same data and on the same ports, so clients that were connected find it again, as a test of
 * durability wants.
 */
export function brokerForFile(prefix: string, options: { args?: string[] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `chronik-${prefix}-`));
  let current: ServerProcess | undefined;
  const server = () => {
    if (current === undefined) throw new Error("the broker is not running: use it inside a test");
    return current;
  };
  beforeAll(async () => {
    current = await startServer({ dataDir, args: options.args });
  });
  afterAll(async () => {
    await current?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    server,
    /** "127.0.0.1:port" of the running broker, for clients' bootstrap servers. */
    address: () => `127.0.0.1:${server().kafkaPort}`,
    /** Stops the broker and starts it again over the same data; resolves to the old process's exit code. */
    async restart(restartOptions: { crash?: boolean } = {}): Promise<number> {
      const old = server();
      const ports = { kafka: old.kafkaPort, http: old.httpPort };
      const exitCode = restartOptions.crash ? await old.kill() : await old.stop();
      current = await startServer({ dataDir, ports, args: options.args });
      return exitCode;
    },
  };
}
