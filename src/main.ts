#!/usr/bin/env bun
// chronik-server: parse the command line and environment, then hand a validated config to app/.

import { StartupRefusal } from "./app/broker-node.ts";
import { createProcessLogger, type RunningServer, startServer } from "./app/server.ts";
import { chronikVersion } from "./app/version.ts";
import { helpText } from "./cli/help.ts";
import { parseCommandLine } from "./cli/parse-command-line.ts";

const parsed = parseCommandLine(process.argv.slice(2), process.env);
if (parsed.kind === "help") {
  console.log(helpText());
  process.exit(0);
}
if (parsed.kind === "version") {
  console.log(chronikVersion);
  process.exit(0);
}
if (parsed.kind === "error") {
  console.error(`chronik-server: ${parsed.message}`);
  process.exit(2);
}

const logger = createProcessLogger(parsed.config);
// Handlers go in before start-up: a SIGTERM while the broker is still starting must not kill it mid-write.
let server: RunningServer | null = null;
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    // During start-up there is nothing acknowledged to drain; what was written is synced or recovered at the next start.
    await server?.stop();
    process.exit(0);
  });
}
/**
 * An operating-system refusal at start-up (a port in use, a data directory it may not write) in one line, as
 * bad options get; anything else is a bug and keeps its stack trace.
 */
function systemRefusal(error: unknown): string | null {
  if (error instanceof StartupRefusal) return `cannot start: ${error.message}`;
  if (!(error instanceof Error) || !("code" in error) || typeof error.code !== "string") return null;
  const { code, syscall, address, port, path } = error as unknown as Partial<Record<string, unknown>>;
  const target = address !== undefined ? `${address}:${port}` : path !== undefined ? String(path) : null;
  const what = [syscall, target].filter((part) => part !== undefined && part !== null).join(" ");
  return `cannot start: ${what ? `${what}: ` : ""}${code} (${error.message})`;
}

try {
  server = await startServer(parsed.config, logger);
} catch (error) {
  const refusal = systemRefusal(error);
  if (refusal === null) throw error;
  console.error(`chronik-server: ${refusal}`);
  process.exit(1);
}
if (stopping) {
  await server.stop();
  process.exit(0);
}
