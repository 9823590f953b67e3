// Proves chronik's command line: commands found by their words, flags before or after them (global ones
// anywhere), values validated and converted, repeatable flags kept in order, and every mistake one line that
// names the flag, the argument or the command.

import { expect, test } from "bun:test";
import type { CliIo } from "../../src/admin-cli/cli-context.ts";
import {
  type CommandSpec,
  integerText,
  keyValueText,
  parseCommandLine,
} from "../../src/admin-cli/command-line.ts";
import { commands, helpText, runChronik } from "../../src/admin-cli/run.ts";

const run = async () => 0;
const testCommands: CommandSpec<unknown>[] = [
  {
    path: ["topic", "create"],
    summary: "",
    positionals: [{ name: "TOPIC", required: true, variadic: true }],
    flags: [
      {
        name: "partitions",
        short: "p",
        valueName: "N",
        schema: integerText(1, 10),
        allowed: "1 to 10",
        help: "",
      },
      {
        name: "topic-config",
        short: "c",
        valueName: "K=V",
        schema: keyValueText,
        repeatable: true,
        help: "",
      },
      { name: "dry", short: "d", help: "" },
    ],
    run,
  },
  { path: ["group", "reset"], summary: "", positionals: [{ name: "GROUP", required: true }], flags: [], run },
];
const globals = [
  { name: "json", help: "" },
  { name: "admin-url", valueName: "URL", help: "" },
];

function parse(argv: string[]) {
  return parseCommandLine(argv, testCommands, globals);
}

test("words, positionals and flags between them (global ones before the command too), values, repeats", () => {
  const parsed = parse([
    "--json",
    "topic",
    "create",
    "a",
    "-p",
    "3",
    "b",
    "--topic-config=x=1",
    "-c",
    "y=2",
    "-d",
  ]);
  if (parsed.kind !== "run") throw new Error(JSON.stringify(parsed));
  expect(parsed.command.path).toEqual(["topic", "create"]);
  expect(parsed.input.positionals.get("TOPIC")).toEqual(["a", "b"]);
  expect(parsed.input.flags.get("partitions")).toEqual([3]);
  expect(parsed.input.flags.get("topic-config")).toEqual([
    ["x", "1"],
    ["y", "2"],
  ]);
  expect(parsed.input.flags.get("dry")).toEqual([true]);
  expect(parsed.globals.get("json")).toEqual([true]);
});

test("mistakes are one line naming what is wrong", () => {
  const message = (argv: string[]) => {
    const parsed = parse(argv);
    if (parsed.kind !== "error") throw new Error(`expected an error for ${argv.join(" ")}`);
    expect(parsed.message).not.toContain("\n");
    return parsed.message;
  };
  expect(message(["topic", "create", "a", "-p", "11"])).toBe(
    '--partitions: "11" is not allowed; expected 1 to 10',
  );
  expect(message(["topic", "create", "a", "--frob"])).toBe(
    'unknown flag --frob for "topic create" (see --help)',
  );
  expect(message(["topic", "create"])).toBe('"topic create" needs TOPIC (see --help)');
  expect(message(["topic", "create", "a", "-p"])).toBe("flag --partitions needs a value (N)");
  expect(message(["topic", "create", "a", "-p", "1", "-p", "2"])).toBe("flag --partitions given twice");
  expect(message(["topic", "create", "a", "--dry=yes"])).toBe("flag --dry takes no value");
  expect(message(["topic", "make", "a"])).toBe('unknown command "topic make a" (see chronik --help)');
  expect(message(["group", "reset", "g", "extra"])).toBe(
    'unexpected argument "extra" for "group reset" (see --help)',
  );
});

test("--help anywhere, a bare group, or nothing at all asks for help", () => {
  expect(parse(["topic", "create", "--help"])).toEqual({ kind: "help", path: ["topic", "create"] });
  expect(parse(["topic"])).toEqual({ kind: "help", path: ["topic"] });
  expect(parse([])).toEqual({ kind: "help", path: [] });
  expect(parse(["--version"])).toEqual({ kind: "version" });
});

test("every chronik command has --help naming its usage and flags, and exits 0", async () => {
  const lines: string[] = [];
  const io: CliIo = {
    out: (text) => lines.push(text),
    err: (text) => lines.push(`ERR ${text}`),
    progress: () => {},
    stdinLines: async function* () {},
    stderrIsTty: false,
    wallMs: () => 0,
  };
  for (const command of commands) {
    lines.length = 0;
    expect(await runChronik([...command.path, "--help"], {}, io, "0.0.0")).toBe(0);
    expect(lines.join("\n")).toStartWith(
      `chronik ${command.path.join(" ")}: ${command.summary}\n\nUsage: chronik`,
    );
    for (const flag of command.flags) expect(lines.join("\n")).toContain(`--${flag.name}`);
  }
  expect(helpText([])).toContain("Exit codes:");
});
