// Proves Fetch's control-batch filter keeps data batches and transaction markers byte for byte, drops other
// control batches, copies only when it must, and reports the offset after the last batch so a fetch can move
// past control-only reads.

import { expect, test } from "bun:test";
import { withoutControlBatches } from "../../src/broker/control-batch-filter.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { stampBatch } from "../../src/protocol/records/batch-header.ts";
import {
  buildControlBatch,
  buildLeaderChangeBatch,
  ControlRecordType,
  encodeEndTxnMarker,
} from "../../src/protocol/records/control-record.ts";

const text = new TextEncoder();

function dataBatch(baseOffset: number, count: number): Uint8Array {
  const bytes = buildBatch(
    Array.from({ length: count }, (_, index) => ({
      key: null,
      value: text.encode(`v${index}`),
      timestamp: 1,
    })),
  );
  stampBatch(bytes, 0, BigInt(baseOffset), 1);
  return bytes;
}

function controlBatch(offset: number): Uint8Array {
  const message = {
    version: 0,
    leaderId: 1,
    voters: [{ voterId: 1, voterDirectoryId: "AAAAAAAAAAAAAAAAAAAAAA", unknownTaggedFields: [] }],
    grantingVoters: [],
    unknownTaggedFields: [],
  };
  return buildLeaderChangeBatch(message, { baseOffset: BigInt(offset), leaderEpoch: 1, timestamp: 1 });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

test("data batches pass untouched, without a copy", () => {
  const records = concat(dataBatch(1, 2), dataBatch(3, 1));
  const filtered = withoutControlBatches(records);
  expect(filtered.records).toBe(records);
  expect(filtered.nextOffset).toBe(4);
});

test("control batches are dropped wherever they stand", () => {
  const first = dataBatch(1, 2);
  const last = dataBatch(4, 3);
  const filtered = withoutControlBatches(concat(controlBatch(0), first, controlBatch(3), last));
  expect(filtered.records).toEqual(concat(first, last));
  expect(filtered.nextOffset).toBe(7);
});

test("a read of control batches only is empty and says where to read next", () => {
  expect(withoutControlBatches(controlBatch(5))).toEqual({ records: new Uint8Array(0), nextOffset: 6 });
});

test("transaction markers stay: read_committed consumers end aborted transactions at them", () => {
  const abort = buildControlBatch(
    { type: ControlRecordType.Abort, value: encodeEndTxnMarker(0), timestamp: 1 },
    { baseOffset: 3n, producerId: 9n, producerEpoch: 0, transactional: true },
  );
  const records = concat(dataBatch(1, 2), abort, controlBatch(4));
  expect(withoutControlBatches(records).records).toEqual(concat(dataBatch(1, 2), abort));
});
