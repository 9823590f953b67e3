// Proves the producer-snapshot file format: a table round-trips through its bytes, and every kind of damage — a
// flipped bit, a cut, a file named for another offset, an unknown version, impossible contents under a valid
// CRC — is a reason to skip the file, never an exception or a wrong table.

import { describe, expect, test } from "bun:test";
import { type ProducerSnapshotEntry, ProducerStateTable } from "../../src/cluster/producer-state.ts";
import { decodeProducerSnapshot, encodeProducerSnapshot } from "../../src/cluster/producer-state-snapshot.ts";
import {
  parseProducerSnapshotFileName,
  producerSnapshotFileName,
} from "../../src/cluster/producer-state-snapshot-files.ts";

function sampleTable(): ProducerStateTable {
  const table = new ProducerStateTable();
  let offset = 0;
  for (let batch = 0; batch < 7; batch++) {
    const producerId = BigInt(batch % 2) + 2n ** 40n;
    const baseSequence = 0x7fff_fff0 + batch * 2;
    table.record(
      { producerId, producerEpoch: 3, baseSequence, lastSequence: baseSequence + 1 },
      { baseOffset: offset, lastOffset: offset + 1, timestampMs: 1_700_000_000_000 + batch },
    );
    offset += 2;
  }
  return table;
}

describe("producer snapshot format", () => {
  test("a table round-trips through its bytes", () => {
    const entries = sampleTable().toSnapshot();
    const decoded = decodeProducerSnapshot(encodeProducerSnapshot(14, entries), 14);
    expect(decoded).toEqual(entries);
    const table = ProducerStateTable.fromSnapshot(decoded as ProducerSnapshotEntry[]);
    expect(table.toSnapshot()).toEqual(entries);
    expect(decodeProducerSnapshot(encodeProducerSnapshot(0, []), 0)).toEqual([]);
  });

  test("every flipped byte and every cut is refused", () => {
    const bytes = encodeProducerSnapshot(14, sampleTable().toSnapshot());
    for (let position = 0; position < bytes.length; position++) {
      const flipped = bytes.slice();
      flipped[position]! ^= 0x01;
      expect(typeof decodeProducerSnapshot(flipped, 14)).toBe("string");
    }
    for (let length = 0; length < bytes.length; length++) {
      expect(typeof decodeProducerSnapshot(bytes.subarray(0, length), 14)).toBe("string");
    }
  });

  test("a file named for another offset, or of another version, is refused", () => {
    const bytes = encodeProducerSnapshot(14, sampleTable().toSnapshot());
    expect(decodeProducerSnapshot(bytes, 15)).toBe("holds offset 14, named for 15");
    const future = bytes.slice();
    future[1] = 9;
    expect(decodeProducerSnapshot(future, 14)).toBe("unknown version 9");
  });

  test("contents the table could never hold are refused even under a valid CRC", () => {
    const batch = { baseSequence: 0, lastSequence: 0, baseOffset: 0, lastOffset: 0, timestampMs: 0 };
    const entry = { producerId: "5", producerEpoch: 0, lastTimestampMs: 0, batches: [batch] };
    const sixBatches = Array.from({ length: 6 }, (_, index) => ({
      ...batch,
      baseOffset: index,
      lastOffset: index,
    }));
    expect(decodeProducerSnapshot(encodeProducerSnapshot(10, [{ ...entry, batches: sixBatches }]), 10)).toBe(
      "producer 0: 6 batches",
    );
    const backwards = [
      { ...batch, baseOffset: 4, lastOffset: 4 },
      { ...batch, baseOffset: 2, lastOffset: 2 },
    ];
    expect(
      typeof decodeProducerSnapshot(encodeProducerSnapshot(10, [{ ...entry, batches: backwards }]), 10),
    ).toBe("string");
    // A batch at or past the snapshot's own offset cannot be below it in the log.
    expect(typeof decodeProducerSnapshot(encodeProducerSnapshot(0, [entry]), 0)).toBe("string");
  });

  test("file names carry the offset in 20 digits", () => {
    expect(producerSnapshotFileName(42)).toBe("00000000000000000042.snapshot");
    expect(parseProducerSnapshotFileName("00000000000000000042.snapshot")).toBe(42);
    expect(parseProducerSnapshotFileName("00000000000000000042.log")).toBeNull();
    expect(parseProducerSnapshotFileName("42.snapshot")).toBeNull();
    expect(parseProducerSnapshotFileName("00000000000000000042.snapshot.tmp")).toBeNull();
  });
});
