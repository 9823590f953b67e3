// chronik: parse the command line, call the admin API through the generated Connect client, print a table or
// JSON, and exit with a code a script can tell apart (cli-context.ts). Every failure is one line on stderr.

import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as v from "valibot";
import { AdminService } from "../gen/chronik/admin/v1/admin_pb.ts";
import { type CliIo, type Command, CommandFailure, exitCode } from "./cli-context.ts";
import { clusterCommands } from "./cluster-commands.ts";
import { type FlagSpec, isCommandGroup, parseCommandLine } from "./command-line.ts";
import { groupCommands } from "./group-commands.ts";
import { recordCommands } from "./record-commands.ts";
import { topicCommands } from "./topic-commands.ts";

export const commands: Command[] = [
  ...clusterCommands,
  ...topicCommands,
  ...groupCommands,
  ...recordCommands,
];

export const defaultAdminUrl = "http://localhost:8080";
/** How long one unary admin call may take before chronik gives up on it. */
const callTimeoutMs = 60_000;

const adminUrl = v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//i));

const globalFlags: FlagSpec[] = [
  {
    name: "admin-url",
    valueName: "URL",
    schema: adminUrl,
    allowed: "an http:// or https:// URL",
    help: `the node's admin API (env CHRONIK_ADMIN_URL; default ${defaultAdminUrl})`,
  },
  {
    name: "admin-token",
    valueName: "TOKEN",
    help: "the bearer token the node was started with (env CHRONIK_ADMIN_TOKEN)",
  },
  { name: "json", help: "print the admin API's JSON instead of tables" },
];

function flagLines(flags: readonly FlagSpec[]): string[] {
  return flags.map((flag) => {
    const names = `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}${flag.valueName ? ` ${flag.valueName}` : ""}`;
    return `  ${names.padEnd(34)} ${flag.help}`;
  });
}

const exitCodeLines = [
  "Exit codes: 0 done; 1 refused by the broker (unknown topic, bad value, …); 2 bad command line;",
  "            3 admin API unreachable or broker not ready; 4 missing or wrong --admin-token.",
];

export function helpText(path: readonly string[]): string {
  const command = commands.find((candidate) => candidate.path.join(" ") === path.join(" "));
  if (command !== undefined) {
    const positionals = command.positionals
      .map((spec) => (spec.required ? spec.name : `[${spec.name}]`) + (spec.variadic ? "..." : ""))
      .join(" ");
    return [
      `chronik ${command.path.join(" ")}: ${command.summary}`,
      "",
      `Usage: chronik ${command.path.join(" ")} ${positionals}${command.flags.length > 0 ? " [flags]" : ""}`,
      ...(command.details && command.details.length > 0
        ? ["", ...command.details.map((line) => `  ${line}`)]
        : []),
      ...(command.flags.length > 0 ? ["", "Flags:", ...flagLines(command.flags)] : []),
      "",
      "Global flags:",
      ...flagLines(globalFlags),
      "  -h, --help                         this text",
    ].join("\n");
  }
  const prefix = isCommandGroup(commands, path) ? path : [];
  const listed = commands.filter((candidate) =>
    prefix.every((word, index) => candidate.path[index] === word),
  );
  const width = Math.max(...listed.map((candidate) => candidate.path.join(" ").length));
  return [
    "chronik: the admin tool of a Chronik broker, over its Connect admin API",
    "",
    `Usage: chronik [global flags] ${prefix.length > 0 ? `${prefix.join(" ")} ` : ""}<command> [arguments] [flags]`,
    "",
    "Commands:",
    ...listed.map((candidate) => `  ${candidate.path.join(" ").padEnd(width)}  ${candidate.summary}`),
    "",
    "Global flags:",
    ...flagLines(globalFlags),
    "  -h, --help                         help for chronik or a command (chronik topic create --help)",
    "      --version                      print the version",
    "",
    ...exitCodeLines,
  ].join("\n");
}

function bearer(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

/** A Connect error as one line, and the exit code its kind means. */
function describeFailure(error: ConnectError, url: string): { line: string; code: number } {
  switch (error.code) {
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return { line: error.rawMessage, code: exitCode.unauthenticated };
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return { line: `${url}: ${error.rawMessage}`, code: exitCode.unreachable };
    case Code.Unimplemented:
      return {
        line: `${url} does not serve the chronik admin API (${error.rawMessage})`,
        code: exitCode.unreachable,
      };
    default:
      return { line: error.rawMessage, code: exitCode.refused };
  }
}

export async function runChronik(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
  version: string,
): Promise<number> {
  const parsed = parseCommandLine(argv, commands, globalFlags);
  if (parsed.kind === "help") {
    io.out(helpText(parsed.path));
    return exitCode.ok;
  }
  if (parsed.kind === "version") {
    io.out(version);
    return exitCode.ok;
  }
  if (parsed.kind === "error") {
    io.err(`chronik: ${parsed.message}`);
    return exitCode.usage;
  }
  const urlFromEnv = env.CHRONIK_ADMIN_URL || undefined;
  const url = (parsed.globals.get("admin-url")?.[0] as string | undefined) ?? urlFromEnv ?? defaultAdminUrl;
  if (!v.safeParse(adminUrl, url).success) {
    io.err(`chronik: CHRONIK_ADMIN_URL: ${JSON.stringify(url)} is not an http:// or https:// URL`);
    return exitCode.usage;
  }
  const token =
    (parsed.globals.get("admin-token")?.[0] as string | undefined) ?? (env.CHRONIK_ADMIN_TOKEN || undefined);
  const transport = createConnectTransport({
    httpVersion: "1.1",
    baseUrl: url,
    interceptors: token ? [bearer(token)] : [],
    defaultTimeoutMs: parsed.command.path[0] === "consume" ? undefined : callTimeoutMs,
  });
  const context = { client: createClient(AdminService, transport), json: parsed.globals.has("json"), io };
  try {
    return await parsed.command.run(parsed.input, context);
  } catch (error) {
    if (error instanceof CommandFailure) {
      io.err(`chronik: ${error.message}`);
      return error.code;
    }
    if (!(error instanceof ConnectError)) throw error;
    const failure = describeFailure(error, url);
    io.err(`chronik: ${failure.line}`);
    return failure.code;
  }
}
