// What every chronik command runs with: the admin API client, whether to print JSON, and the process's
// streams behind a small interface (tests and the entry point provide them).

import type { Client } from "@connectrpc/connect";
import type { AdminService } from "../gen/chronik/admin/v1/admin_pb.ts";
import type { CommandSpec } from "./command-line.ts";

export interface CliIo {
  /** Writes one line (a newline is added) to standard output. */
  out(text: string): void;
  /** Writes one line to standard error. */
  err(text: string): void;
  /** Rewrites the current standard-error line (progress); only called when stderrIsTty. */
  progress(text: string): void;
  stdinLines(): AsyncIterable<string>;
  readonly stderrIsTty: boolean;
  wallMs(): number;
}

export interface CliContext {
  readonly client: Client<typeof AdminService>;
  readonly json: boolean;
  readonly io: CliIo;
}

export type Command = CommandSpec<CliContext>;

/** Exit codes: what a script can tell apart. */
export const exitCode = {
  ok: 0,
  /** The admin API refused or failed the request (unknown topic, bad value, group not empty, …). */
  refused: 1,
  /** The command line is wrong (unknown flag, missing argument). */
  usage: 2,
  /** The admin API cannot be reached, or the broker is not ready. */
  unreachable: 3,
  /** A token is needed or the one given is wrong. */
  unauthenticated: 4,
} as const;

/** A command's failure that is already one line for the user; run.ts prints it and exits with `code`. */
export class CommandFailure extends Error {
  override name = "CommandFailure";
  constructor(
    message: string,
    readonly code: number = exitCode.refused,
  ) {
    super(message);
  }
}
