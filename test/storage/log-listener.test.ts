// Proves a partition log tells its listener of every change to its offsets, in order and with the offsets the
// log itself ends up at: appends (stamped), rolls, truncations (including a failed write undone), restarts,
// log-start moves and a clean close — the contract the producer-state snapshots rely on.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { FaultInjectingFs } from "../../src/storage/fault-injecting-fs.ts";
import type { LogListener } from "../../src/storage/log-listener.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { makeBatch } from "./batch-fixture.ts";
import { type Harness, makeHarness } from "./log-harness.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: { path: string; remove(): void };
let faults: FaultInjectingFs;
let harness: Harness;

beforeEach(() => {
  temp = makeTempDir();
  faults = new FaultInjectingFs(nodeStorageFs);
  harness = makeHarness(temp.path, { storageFs: faults });
});
afterEach(() => temp.remove());

function recorder(events: string[]): LogListener {
  return {
    onAppend: (bytes) => events.push(`append ${readBatchHeader(bytes).baseOffset}`),
    onRoll: (baseOffset) => events.push(`roll ${baseOffset}`),
    onTruncate: (endOffset) => events.push(`truncate ${endOffset}`),
    onRestart: (offset) => events.push(`restart ${offset}`),
    onStartAdvance: (logStartOffset) => events.push(`start ${logStartOffset}`),
    onClose: (endOffset) => events.push(`close ${endOffset}`),
  };
}

test("the listener hears every append, roll, truncation, restart, start move and the close", async () => {
  const log = harness.open({ segmentBytes: 300 });
  const events: string[] = [];
  log.setListener(recorder(events));
  for (let index = 0; index < 4; index++) {
    await log.append(makeBatch({ recordCount: 2, payloadBytes: 100 }), { leaderEpoch: 0 });
  }
  faults.failNextWrite = "EIO";
  // Small enough to share the active segment: the write itself fails, not a roll.
  await expect(log.append(makeBatch({ payloadBytes: 10 }), { leaderEpoch: 0 })).rejects.toThrow("EIO");
  log.truncate(6);
  log.highWatermark = log.logEndOffset;
  log.deleteRecords(4);
  log.restartAt(50);
  await log.append(makeBatch(), { leaderEpoch: 1 });
  expect(events).toEqual([
    "append 0",
    "roll 2",
    "append 2",
    "roll 4",
    "append 4",
    "roll 6",
    "append 6",
    "append 8",
    "truncate 8",
    "truncate 6",
    "start 4",
    "restart 50",
    "append 50",
  ]);
  await log.append(makeBatch(), { leaderEpoch: 1 });
  await log.close();
  expect(events.slice(13)).toEqual(["roll 51", "append 51", "close 52"]);
});
