// Proves the single executables `npm run build:bin` makes: chronik-server and chronik answer --help and
// --version, and the compiled server — run from a directory with no node_modules, its native addons (CRC-32C,
// snappy, lz4) embedded — serves kcat producing snappy into an lz4 topic (the broker decompresses one and
// compresses the other) and reading back, and the compiled chronik creating, describing and consuming.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runChronik } from "../support/admin-client.ts";
import { runClient } from "../support/in-process-broker.ts";
import { startServer } from "../support/server-process.ts";

/** Compiling both executables takes seconds alone, much longer on a loaded machine. */
const buildMsMax = 180_000;
const root = join(import.meta.dir, "..", "..");
const binDir = mkdtempSync(join(tmpdir(), "chronik-bin-"));
const server = join(binDir, "chronik-server");
const chronikBin = join(binDir, "chronik");

beforeAll(async () => {
  const build = Bun.spawn([process.execPath, join(root, "scripts", "build-binaries.ts"), binDir], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [exitCode, stderr] = await Promise.all([build.exited, new Response(build.stderr).text()]);
  if (exitCode !== 0) throw new Error(`build:bin failed (${exitCode}): ${stderr}`);
}, buildMsMax);

afterAll(() => rmSync(binDir, { recursive: true, force: true }));

async function runIn(command: string[]) {
  const proc = Bun.spawn(command, {
    cwd: binDir,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "" },
  });
  const [exitCode, stdout] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  return { exitCode, stdout };
}

test("both executables answer --help and --version", async () => {
  const version = (await Bun.file(join(root, "package.json")).json()).version;
  const serverHelp = await runIn([server, "--help"]);
  expect(serverHelp.exitCode).toBe(0);
  expect(serverHelp.stdout).toContain("chronik-server [options] standalone");
  expect((await runIn([server, "--version"])).stdout.trim()).toBe(version);
  const cliHelp = await runIn([chronikBin, "--help"]);
  expect(cliHelp.exitCode).toBe(0);
  expect(cliHelp.stdout).toContain("Usage: chronik [global flags] <command>");
  expect((await runIn([chronikBin, "--version"])).stdout.trim()).toBe(version);
});

test("the compiled server serves kcat and the compiled chronik, with its native addons", async () => {
  const broker = await startServer({ command: [server], cwd: binDir });
  try {
    expect(broker.logs()).toContain("crc32c=native");
    const chronik = (args: string[], input?: string) =>
      runChronik(args, {
        command: [chronikBin],
        input,
        env: { CHRONIK_ADMIN_URL: `http://127.0.0.1:${broker.httpPort}` },
      });
    expect(
      (await chronik(["topic", "create", "packed", "-p", "1", "-c", "compression.type=lz4"])).exitCode,
    ).toBe(0);
    const bootstrap = `127.0.0.1:${broker.kafkaPort}`;
    await runClient(
      ["timeout", "20", "kcat", "-P", "-b", bootstrap, "-t", "packed", "-z", "snappy"],
      "one\ntwo\n",
    );
    expect((await chronik(["produce", "packed"], "three\n")).exitCode).toBe(0);
    const read = await runClient([
      "timeout",
      "20",
      "kcat",
      "-C",
      "-q",
      "-e",
      "-b",
      bootstrap,
      "-t",
      "packed",
    ]);
    expect(read).toBe("one\ntwo\nthree\n");
    const consumed = await chronik(["consume", "packed", "--stop-at-end"]);
    expect(consumed).toEqual({ exitCode: 0, stdout: "one\ntwo\nthree\n", stderr: "" });
    const described = JSON.parse((await chronik(["topic", "describe", "packed", "--json"])).stdout);
    expect(described.partitions[0]).toMatchObject({ highWatermark: "3", figuresFrom: "leader" });
  } finally {
    expect(await broker.stop()).toBe(0);
  }
});
