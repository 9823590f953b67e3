// Proves MemoryLogStore holds exactly what it was given: entries as handed in (suffixes replaced from the
// first entry's base offset), readable once written, snapshots restarting the log, and persistedOffset
// tracking the last entry once the write resolves.

import { expect, test } from "bun:test";
import type { Entry, MembershipConfig } from "../../../src/raft/core/types.ts";
import { MemoryLogStore } from "../../../src/raft/node/memory-log-store.ts";

const config: MembershipConfig = { voters: [1], learners: [] };

function entry(baseOffset: number, lastOffset: number, epoch: number): Entry {
  const payload = new Uint8Array([baseOffset, epoch]);
  return { baseOffset, lastOffset, epoch, kind: "data", byteSize: payload.length, payload };
}

test("write mirrors entries and snapshots, and resolves only after yielding", async () => {
  let held = 0;
  const store = new MemoryLogStore({
    config,
    beforePersist: async () => {
      held += 1;
    },
  });
  expect(store.persistedOffset).toBe(-1);
  const first = [entry(0, 1, 1), entry(2, 4, 1), entry(5, 5, 2)];
  const pending = store.write({ snapshot: undefined, entries: first });
  expect(store.reader.lastOffset()).toBe(5);
  expect(store.persistedOffset).toBe(-1);
  await pending;
  expect(held).toBe(1);
  expect(store.persistedOffset).toBe(5);
  expect(store.reader.entries(0, 1_000)).toEqual(first);
  await store.write({ snapshot: undefined, entries: [entry(2, 3, 3)] });
  expect(store.log.allEntries()).toEqual([first[0]!, entry(2, 3, 3)]);
  expect(store.reader.lastEpoch()).toBe(3);
  const snapshot = { meta: { lastOffset: 9, lastEpoch: 3, config }, data: new Uint8Array([7]) };
  await store.write({ snapshot, entries: [entry(10, 10, 4)] });
  expect(store.reader.snapshot()).toBe(snapshot);
  expect(store.log.allEntries()).toEqual([entry(10, 10, 4)]);
  expect(store.persistedOffset).toBe(10);
  expect(store.persistCount).toBe(3);
});
