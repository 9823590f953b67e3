// Proves producer state is rebuilt from a partition log: after reopening, a retry of a batch written before is a
// duplicate with its original offsets, and the next sequence is expected where the log left off.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manualTime } from "../../src/base/manual-clock.ts";
import { lastSequenceOf, ProducerStateTable } from "../../src/cluster/producer-state.ts";
import { rebuildProducerState } from "../../src/cluster/producer-state-rebuild.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { LogManager } from "../../src/storage/index.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function idempotentBatch(sequence: number, count: number, producerId = 42n) {
  const records = Array.from({ length: count }, (_, index) => ({
    key: null,
    value: new TextEncoder().encode(`v${sequence + index}`),
    timestamp: 5000,
  }));
  return buildBatch(records, { producerId, producerEpoch: 1, baseSequence: sequence });
}

test("a reopened log still knows each producer's last batches", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chronik-producers-"));
  dirs.push(dir);
  let logs = new LogManager({ ...manualTime(), dataDir: dir, log: () => {} });
  const log = logs.logOf("t", 0);
  await log.append(buildBatch([{ key: null, value: new TextEncoder().encode("plain"), timestamp: 1 }]), {
    leaderEpoch: 0,
  });
  await log.append(idempotentBatch(0, 3), { leaderEpoch: 0 });
  await log.append(idempotentBatch(3, 2), { leaderEpoch: 0 });
  await logs.close();

  logs = new LogManager({ ...manualTime(), dataDir: dir, log: () => {} });
  const table = new ProducerStateTable();
  const reopened = logs.logOf("t", 0);
  expect(rebuildProducerState(reopened, table, reopened.logStartOffset)).toBe(2);
  const retry = { producerId: 42n, producerEpoch: 1, baseSequence: 3, lastSequence: lastSequenceOf(3, 1) };
  expect(table.check(retry)).toEqual({
    kind: "duplicate",
    placement: { baseOffset: 4, lastOffset: 5, timestampMs: 5000 },
  });
  expect(table.check({ ...retry, baseSequence: 5, lastSequence: 5 })).toEqual({ kind: "append" });
  expect(table.check({ ...retry, baseSequence: 9, lastSequence: 9 }).kind).toBe("error");
  await logs.close();
});
