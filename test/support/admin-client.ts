// The admin API as tests reach it: the generated Connect client over HTTP/1.1 (as chronik uses it), a plain
// JSON POST as curl sends one, and the chronik command line run as a process.

import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../src/gen/chronik/admin/v1/admin_pb.ts";

const chronikPath = join(import.meta.dir, "..", "..", "src", "chronik.ts");

export function adminClient(httpPort: number, token?: string): Client<typeof AdminService> {
  return createClient(
    AdminService,
    createConnectTransport({
      httpVersion: "1.1",
      baseUrl: `http://127.0.0.1:${httpPort}`,
      interceptors: token
        ? [
            (next) => (request) => {
              request.header.set("authorization", `Bearer ${token}`);
              return next(request);
            },
          ]
        : [],
    }),
  );
}

/** POST `body` (raw text, as curl -d sends it) to an admin method; the status and the parsed JSON answer. */
export async function postAdminJson(
  httpPort: number,
  method: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; text: string }> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/chronik.admin.v1.AdminService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // A stream of JSON lines, or no JSON at all: the caller reads `text`.
  }
  return { status: response.status, json, text };
}

export interface CommandRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a chronik command line (the source, or a compiled executable) to completion. */
export async function runChronik(
  args: string[],
  options: { env?: Record<string, string>; input?: string; command?: string[] } = {},
): Promise<CommandRun> {
  const proc = Bun.spawn([...(options.command ?? [process.execPath, chronikPath]), ...args], {
    stdin: options.input === undefined ? "ignore" : new TextEncoder().encode(options.input),
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", ...options.env },
  });
  const [exitCode, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { exitCode, stdout, stderr };
}
