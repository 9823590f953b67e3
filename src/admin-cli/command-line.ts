// The chronik command line as data: commands (a path like ["topic", "create"]), their positional arguments and
// flags, and a parser that turns argv into the command to run with validated values — or a one-line usage
// error naming the flag or argument. Global flags (--admin-url, --json, …) may appear anywhere. Pure.

import * as v from "valibot";

export interface FlagSpec {
  /** The long name without dashes ("partitions"). */
  name: string;
  /** A one-letter alias without the dash ("p"). */
  short?: string;
  /** What the value looks like in help ("N", "KEY=VALUE"); absent for a switch. */
  valueName?: string;
  /** Validates and converts the value text; absent for plain text. */
  schema?: v.GenericSchema<string, unknown>;
  /** What is allowed, in words, for the error line. */
  allowed?: string;
  repeatable?: boolean;
  help: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  /** Takes every remaining argument (at least one when required). */
  variadic?: boolean;
}

export interface CommandSpec<Context = unknown> {
  path: readonly string[];
  summary: string;
  /** Extra lines for --help (examples, notes). */
  details?: readonly string[];
  positionals: readonly PositionalSpec[];
  flags: readonly FlagSpec[];
  run(input: ParsedCommand, context: Context): Promise<number>;
}

export interface ParsedCommand {
  positionals: Map<string, string[]>;
  /** Flag values by long name: switches map to [true]; repeatable flags keep every value in order. */
  flags: Map<string, unknown[]>;
}

export type ParseResult<Context> =
  | { kind: "run"; command: CommandSpec<Context>; input: ParsedCommand; globals: Map<string, unknown[]> }
  | { kind: "help"; path: string[] }
  | { kind: "version" }
  | { kind: "error"; message: string; path: string[] };

export class UsageError extends Error {
  override name = "UsageError";
}

export const integerText = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^-?\d+$/),
    v.transform(Number),
    v.number(),
    v.integer(),
    v.minValue(min),
    v.maxValue(max),
  );

/** "KEY=VALUE" into [key, value]; the key must not be empty. */
export const keyValueText = v.pipe(
  v.string(),
  v.regex(/^[^=]+=/),
  v.transform((text): [string, string] => {
    const equals = text.indexOf("=");
    return [text.slice(0, equals), text.slice(equals + 1)];
  }),
);

/** Milliseconds since the epoch, or a date Date.parse reads (ISO 8601; without a zone, local time, as Kafka's tool). */
export const timestampText = v.pipe(
  v.string(),
  v.transform((text) => (/^\d+$/.test(text) ? Number(text) : Date.parse(text))),
  v.number(),
  v.check((ms) => Number.isSafeInteger(ms) && ms >= 0),
);

export const timestampAllowed = "milliseconds since the epoch or a date like 2026-11-01T12:00:00Z";

function findFlag(specs: readonly FlagSpec[], token: string): FlagSpec | undefined {
  if (token.startsWith("--")) return specs.find((spec) => spec.name === token.slice(2));
  return specs.find((spec) => spec.short !== undefined && spec.short === token.slice(1));
}

function convert(spec: FlagSpec, text: string): unknown {
  if (spec.schema === undefined) return text;
  const result = v.safeParse(spec.schema, text);
  if (result.success) return result.output;
  const allowed = spec.allowed ? `; expected ${spec.allowed}` : "";
  throw new UsageError(`--${spec.name}: ${JSON.stringify(text)} is not allowed${allowed}`);
}

/** The deepest command whose path the leading words name, and how many words that took. */
function matchCommand<C>(commands: readonly CommandSpec<C>[], words: readonly string[]) {
  let best: CommandSpec<C> | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, index) => words[index] === word);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best;
}

/** Whether some command's path starts with `words` (a group such as "topic"). */
export function isCommandGroup(commands: readonly CommandSpec<unknown>[], words: readonly string[]): boolean {
  return commands.some(
    (command) =>
      command.path.length > words.length && words.every((word, index) => command.path[index] === word),
  );
}

export function parseCommandLine<C>(
  argv: readonly string[],
  commands: readonly CommandSpec<C>[],
  globalFlags: readonly FlagSpec[],
): ParseResult<C> {
  const words: string[] = [];
  const flagTokens: Array<{ token: string; value: string | undefined; index: number }> = [];
  let wantsHelp = false;
  let wantsVersion = false;
  let command: CommandSpec<C> | undefined;
  try {
    for (let index = 0; index < argv.length; index++) {
      const token = argv[index]!;
      if (token === "--help" || token === "-h") {
        wantsHelp = true;
        continue;
      }
      if (token === "--version") {
        wantsVersion = true;
        continue;
      }
      if (token === "--") {
        words.push(...argv.slice(index + 1));
        break;
      }
      if (token.startsWith("-") && token.length > 1 && !/^-\d/.test(token)) {
        const equals = token.indexOf("=");
        const name = equals === -1 ? token : token.slice(0, equals);
        command ??= matchCommand(commands, words);
        const spec = findFlag([...globalFlags, ...(command?.flags ?? [])], name);
        if (spec === undefined) {
          const where = command ? `"${command.path.join(" ")}"` : "chronik";
          throw new UsageError(`unknown flag ${name} for ${where} (see --help)`);
        }
        let value: string | undefined;
        if (equals !== -1) value = token.slice(equals + 1);
        else if (spec.valueName !== undefined) {
          value = argv[index + 1];
          if (value === undefined)
            throw new UsageError(`flag --${spec.name} needs a value (${spec.valueName})`);
          index += 1;
        }
        flagTokens.push({ token: name, value, index });
        continue;
      }
      words.push(token);
    }
    command ??= matchCommand(commands, words);
    if (wantsHelp) return { kind: "help", path: command ? [...command.path] : words };
    if (wantsVersion) return { kind: "version" };
    if (command === undefined) {
      if (words.length === 0 || isCommandGroup(commands, words)) return { kind: "help", path: words };
      throw new UsageError(`unknown command "${words.join(" ")}" (see chronik --help)`);
    }
    const input: ParsedCommand = {
      positionals: readPositionals(command, words.slice(command.path.length)),
      flags: new Map(),
    };
    const globals = new Map<string, unknown[]>();
    for (const { token, value } of flagTokens) {
      const isGlobal = findFlag(globalFlags, token) !== undefined;
      const spec = findFlag(isGlobal ? globalFlags : command.flags, token)!;
      const target = isGlobal ? globals : input.flags;
      if (spec.valueName === undefined && value !== undefined) {
        throw new UsageError(`flag --${spec.name} takes no value`);
      }
      const values = target.get(spec.name) ?? [];
      if (values.length > 0 && !spec.repeatable) throw new UsageError(`flag --${spec.name} given twice`);
      values.push(value === undefined ? true : convert(spec, value));
      target.set(spec.name, values);
    }
    return { kind: "run", command, input, globals };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const path = command ? [...command.path] : [];
    return { kind: "error", message: error.message, path };
  }
}

function readPositionals(command: CommandSpec<unknown>, given: readonly string[]): Map<string, string[]> {
  const positionals = new Map<string, string[]>();
  let index = 0;
  for (const spec of command.positionals) {
    const taken = spec.variadic ? given.slice(index) : given.slice(index, index + 1);
    index += taken.length;
    if (spec.required && taken.length === 0) {
      throw new UsageError(`"${command.path.join(" ")}" needs ${spec.name} (see --help)`);
    }
    positionals.set(spec.name, taken);
  }
  if (index < given.length) {
    throw new UsageError(
      `unexpected argument "${given[index]}" for "${command.path.join(" ")}" (see --help)`,
    );
  }
  return positionals;
}
