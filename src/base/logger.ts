// Structured logging: one line per event, either JSON (for machines) or "level message key=value" (for people).
// Quiet by default (info and up); the sink is injected so tests can capture lines without touching stderr.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too (e.g. { component: "storage" }). */
  with(fields: LogFields): Logger;
}

export const logLevels: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFormat = "json" | "text";

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Receives each formatted line without its newline. */
  sink: (line: string) => void;
  /** Supplies the timestamp; injected so output is reproducible in tests. */
  now: () => Date;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s="]/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

function formatLine(options: LoggerOptions, level: LogLevel, message: string, fields: LogFields): string {
  const time = options.now().toISOString();
  if (options.format === "json") {
    return JSON.stringify({ time, level, message, ...fields }, jsonReplacer);
  }
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${formatValue(value)}`);
  return [time, level.toUpperCase().padEnd(5), message, ...pairs].join(" ");
}

export function createLogger(options: LoggerOptions, boundFields: LogFields = {}): Logger {
  const threshold = levelRank[options.level];
  const emit = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (levelRank[level] < threshold) return;
    options.sink(formatLine(options, level, message, { ...boundFields, ...fields }));
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    with: (fields) => createLogger(options, { ...boundFields, ...fields }),
  };
}

/** A logger that drops everything, for tests and benchmarks that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  with: () => silentLogger,
};
