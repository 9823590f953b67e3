// A bug stops the process (TigerBeetle's rule): a failed assertion or a TypeError in a handler means state that
// every connection shares may be corrupt, so the broker must not keep serving from it. One line says why, and
// the exit status says it was a bug; the supervisor restarts the broker, which recovers from what is durable.

import type { LogFields, Logger } from "../base/logger.ts";

/** EX_SOFTWARE (sysexits.h): an internal software error. */
export const bugExitCode = 70;

export function exitOnBug(logger: Pick<Logger, "error">): (error: unknown, fields?: LogFields) => never {
  return (error, fields = {}) => {
    const stack = error instanceof Error ? error.stack : undefined;
    logger.error("bug: stopping the process", { ...fields, error, stack });
    process.exit(bugExitCode);
  };
}
