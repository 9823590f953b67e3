// The logging the broker layer needs: the four levels, one message and optional fields per line.
// `Logger` in src/base/logger.ts satisfies it; kept separate so tests can pass a plain recording object.

import type { LogFields, Logger } from "../base/logger.ts";

export type BrokerLogFields = LogFields;

/** The four levels of base/logger.ts's Logger, without `with`: what the listener calls. */
export type BrokerLogger = Pick<Logger, "debug" | "info" | "warn" | "error">;
