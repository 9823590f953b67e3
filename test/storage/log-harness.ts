// Test helper: opens a PartitionLog over a temp dir with a ManualClock and captured log lines.

import { join } from "node:path";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { FilePool } from "../../src/storage/file-pool.ts";
import { type LogConfig, logConfigOf } from "../../src/storage/log-config.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { nodeStorageFs, type StorageFs } from "../../src/storage/storage-fs.ts";

export interface Harness {
  dir: string;
  clock: ManualClock;
  lines: string[];
  pool: FilePool;
  open(overrides?: Partial<LogConfig>): PartitionLog;
}

export function makeHarness(
  root: string,
  options: { storageFs?: StorageFs; handlesMax?: number } = {},
): Harness {
  const clock = new ManualClock();
  const lines: string[] = [];
  const pool = new FilePool(options.storageFs ?? nodeStorageFs, options.handlesMax ?? 64);
  const dir = join(root, "topic-0");
  return {
    dir,
    clock,
    lines,
    pool,
    open: (overrides = {}) =>
      PartitionLog.open({
        dir,
        config: logConfigOf(overrides),
        pool,
        clock,
        log: (line) => lines.push(line),
      }),
  };
}
