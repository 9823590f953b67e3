// Proves log lines are one per event, honour the level threshold, and carry bound and per-call fields.

import { expect, test } from "bun:test";
import { createLogger } from "../../src/base/logger.ts";

const fixedNow = () => new Date("2026-11-22T00:00:00.000Z");

test("text lines carry level, message and fields; levels below the threshold are dropped", () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    format: "text",
    sink: (line) => lines.push(line),
    now: fixedNow,
  });
  logger.debug("hidden");
  logger.with({ component: "storage" }).warn("dropped torn tail", { bytes: 12, path: "a b" });
  expect(lines).toEqual([
    `2026-11-22T00:00:00.000Z WARN  dropped torn tail component=storage bytes=12 path="a b"`,
  ]);
});

test("json lines parse back to the event", () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    sink: (line) => lines.push(line),
    now: fixedNow,
  });
  logger.error("boom", { offset: 5n, error: new Error("disk full") });
  expect(JSON.parse(lines[0]!)).toEqual({
    time: "2026-11-22T00:00:00.000Z",
    level: "error",
    message: "boom",
    offset: "5",
    error: "disk full",
  });
});
