// The logging the broker layer needs: the four levels, one message and optional fields per line.
// `Logger` in src/base/logger.ts satisfies it; kept separate so tests can pass a plain recording object.

export type BrokerLogFields = Record<string, unknown>;

export interface BrokerLogger {
  debug(message: string, fields?: BrokerLogFields): void;
  info(message: string, fields?: BrokerLogFields): void;
  warn(message: string, fields?: BrokerLogFields): void;
  error(message: string, fields?: BrokerLogFields): void;
}
