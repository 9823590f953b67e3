// Proves the partition log serves as a Raft log: entries persisted through PartitionLogStore are stamped,
// synced and read back through the core's LogReader (also after a reopen), divergent suffixes are cut,
// snapshots restart the log, and a single-voter RaftNode commits over it and re-elects itself after a
// restart; headers carry leader epochs (term − 1) while the reader answers terms, also over a directory
// written when headers held terms.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { batchOffsets, readBatchHeader } from "../../../src/protocol/records/batch-header.ts";
import { ControlRecordType, readControlBatch } from "../../../src/protocol/records/control-record.ts";
import { raftConfigDefaults } from "../../../src/raft/core/config.ts";
import { MemoryLog } from "../../../src/raft/core/memory-log.ts";
import { RaftNode } from "../../../src/raft/core/raft-node.ts";
import type { Entry, HardState, MembershipConfig, Ready } from "../../../src/raft/core/types.ts";
import { FileHardStateStore } from "../../../src/raft/node/file-hard-state.ts";
import { PartitionLogStore, raftLogMarkFileName } from "../../../src/raft/node/partition-log-store.ts";
import { decodePartitionSnapshot } from "../../../src/raft/node/partition-snapshot.ts";
import type { LogConfig } from "../../../src/storage/log-config.ts";
import type { PartitionLog } from "../../../src/storage/partition-log.ts";
import { makeBatch, prng } from "../../storage/batch-fixture.ts";
import { type Harness, makeHarness } from "../../storage/log-harness.ts";
import { makeTempDir } from "../../storage/temp-dir.ts";
import { rewriteWithTermHeaders } from "../../storage/term-headers.ts";

const config: MembershipConfig = { voters: [1], learners: [] };

let temp: { path: string; remove(): void };
let harness: Harness;
const opened: PartitionLog[] = [];

beforeEach(() => {
  temp = makeTempDir("chronik-raft-node-");
  harness = makeHarness(temp.path);
});

afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => {});
  temp.remove();
});

function openStore(
  overrides: Partial<LogConfig> = {},
  options: { recentCountMax?: number; recentBytesMax?: number } = {},
): { log: PartitionLog; store: PartitionLogStore } {
  const log = harness.open(overrides);
  opened.push(log);
  const store = new PartitionLogStore({
    log,
    nodeId: 1,
    membership: () => config,
    clock: harness.clock,
    ...options,
  });
  return { log, store };
}

async function reopen(log: PartitionLog, options: { recentCountMax?: number } = {}) {
  await log.close();
  opened.splice(opened.indexOf(log), 1);
  return openStore({}, options);
}

/** A data entry over a fresh valid batch (its header still says offset 0, epoch -1). */
function dataEntry(baseOffset: number, recordCount: number, epoch: number, seed = baseOffset): Entry {
  const payload = makeBatch({ recordCount, payloadBytes: 40 + (seed % 7) * 10, seed });
  return {
    baseOffset,
    lastOffset: baseOffset + recordCount - 1,
    epoch,
    kind: "data",
    byteSize: payload.length,
    payload,
  };
}

function controlEntry(offset: number, epoch: number): Entry {
  return {
    baseOffset: offset,
    lastOffset: offset,
    epoch,
    kind: "control",
    byteSize: 80,
    payload: new Uint8Array(0),
  };
}

/** Entries [0..2] epoch 1, [3..3] epoch 1, [4..8] epoch 2, [9..9] epoch 3. */
function sampleEntries(): Entry[] {
  return [dataEntry(0, 3, 1), dataEntry(3, 1, 1), dataEntry(4, 5, 2), dataEntry(9, 1, 3)];
}

function allEntries(store: PartitionLogStore): Entry[] {
  const reader = store.reader;
  const out: Entry[] = [];
  let from = reader.snapshotMeta().lastOffset + 1;
  while (from <= reader.lastOffset()) {
    const got = reader.entries(from, 1);
    out.push(...got);
    from = got[got.length - 1]!.lastOffset + 1;
  }
  return out;
}

function expectSampleLog(store: PartitionLogStore): void {
  const reader = store.reader;
  expect(reader.snapshotMeta()).toEqual({ lastOffset: -1, lastEpoch: 0, config });
  expect(reader.lastOffset()).toBe(9);
  expect(reader.lastEpoch()).toBe(3);
  expect(reader.batchAt(5)).toMatchObject({ baseOffset: 4, lastOffset: 8, epoch: 2 });
  expect(reader.batchAt(0)).toMatchObject({ baseOffset: 0, lastOffset: 2, epoch: 1 });
  expect(reader.batchAt(10)).toBeUndefined();
  expect(reader.firstOffsetOfEpoch(1)).toBe(0);
  expect(reader.firstOffsetOfEpoch(2)).toBe(4);
  expect(reader.firstOffsetOfEpoch(3)).toBe(9);
  expect(reader.firstOffsetOfEpoch(4)).toBeUndefined();
  const entries = allEntries(store);
  expect(entries.map((entry) => [entry.baseOffset, entry.lastOffset, entry.epoch, entry.kind])).toEqual([
    [0, 2, 1, "data"],
    [3, 3, 1, "data"],
    [4, 8, 2, "data"],
    [9, 9, 3, "data"],
  ]);
  for (const entry of entries) {
    const header = readBatchHeader(entry.payload);
    expect(Number(header.baseOffset)).toBe(entry.baseOffset);
    // Headers carry the leader epoch clients see: the entry's term − 1.
    expect(header.partitionLeaderEpoch).toBe(entry.epoch - 1);
    expect(entry.byteSize).toBe(entry.payload.length);
  }
}

describe("PartitionLogStore", () => {
  test("a fresh log reads as an empty Raft log at (-1, 0)", () => {
    const { store } = openStore();
    expect(store.reader.snapshotMeta()).toEqual({ lastOffset: -1, lastEpoch: 0, config });
    expect(store.reader.lastOffset()).toBe(-1);
    expect(store.reader.lastEpoch()).toBe(0);
    expect(store.reader.entries(0, 1000)).toEqual([]);
    expect(store.persistedOffset).toBe(-1);
  });

  test("persisted entries are stamped, synced in one append, and read back from cache and from disk", async () => {
    const { log, store } = openStore();
    const syncsBefore = log.syncCount;
    await store.write({ snapshot: undefined, entries: sampleEntries() });
    expect(store.persistedOffset).toBe(9);
    expect(log.flushedOffset).toBe(10);
    expect(log.syncCount - syncsBefore).toBe(1);
    expectSampleLog(store);
    // The storage engine's leader-epoch cache (and its checkpoint) holds leader epochs, as Kafka's does.
    expect(log.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 4 },
      { epoch: 2, startOffset: 9 },
    ]);
    const reopened = await reopen(log, { recentCountMax: 1 });
    expect(reopened.store.persistedOffset).toBe(9);
    expectSampleLog(reopened.store);
    expect(reopened.log.epochs.all().map((line) => line.epoch)).toEqual([0, 1, 2]);
  });

  test("a directory written when headers held terms reads back the same Raft log after the upgrade", async () => {
    const { log, store } = openStore({ segmentBytes: 200 });
    await store.write({ snapshot: undefined, entries: sampleEntries() });
    await log.close();
    opened.splice(opened.indexOf(log), 1);
    rewriteWithTermHeaders(harness.dir);
    const reopened = openStore();
    expect(reopened.log.epochs.all().map((line) => line.epoch)).toEqual([0, 1, 2]);
    expectSampleLog(reopened.store);
    await reopened.store.write({ snapshot: undefined, entries: [dataEntry(10, 1, 4)] });
    expect(readBatchHeader(reopened.store.reader.entries(10, 1)[0]!.payload).partitionLeaderEpoch).toBe(3);
    expect(reopened.store.reader.firstOffsetOfEpoch(4)).toBe(10);
  });

  test("an entry of term 0 (before any election) never reaches a header", () => {
    const { store } = openStore();
    expect(() => store.write({ snapshot: undefined, entries: [dataEntry(0, 1, 0)] })).toThrow(
      /term 0 has no leader epoch/,
    );
    expect(() => store.write({ snapshot: undefined, entries: [controlEntry(0, 0)] })).toThrow(
      /term 0 has no leader epoch/,
    );
    expect(store.reader.lastOffset()).toBe(-1);
  });

  test("a view into a larger buffer is copied for the cache, unless only the last batch is kept", async () => {
    // A produce request's batch arrives as a view into its socket chunk: a cache of many entries must not
    // pin a chunk per entry; a cache of one (a sole voter's data partition) pins one at most, uncopied.
    // Bun's socket chunks are Buffers, whose slice() is a view: the copy must not rely on it.
    const viewEntries = () =>
      sampleEntries().map((entry) => {
        const chunk = Buffer.alloc(entry.payload.length * 4);
        chunk.set(entry.payload, 8);
        return { ...entry, payload: chunk.subarray(8, 8 + entry.payload.length) };
      });
    const cached = openStore();
    const given = viewEntries();
    await cached.store.write({ snapshot: undefined, entries: given });
    const last = cached.store.reader.entries(9, 1_000_000)[0]!;
    expect(last.payload.buffer).not.toBe(given[3]!.payload.buffer);

    await cached.log.close();
    opened.splice(opened.indexOf(cached.log), 1);
    temp.remove();
    temp = makeTempDir("chronik-raft-node-");
    harness = makeHarness(temp.path);
    const lastOnly = openStore({}, { recentCountMax: 1, recentBytesMax: 0 });
    const views = viewEntries();
    await lastOnly.store.write({ snapshot: undefined, entries: views });
    expect(lastOnly.store.reader.entries(9, 1_000_000)[0]!.payload.buffer).toBe(views[3]!.payload.buffer);
    // Older batches come back from the log, whole and in order.
    expectSampleLog(lastOnly.store);
  });

  test("entries respect the byte limit but always return one whole batch", async () => {
    const { log, store } = openStore();
    const entries = sampleEntries();
    await store.write({ snapshot: undefined, entries });
    const sizes = entries.map((entry) => entry.payload.length);
    const check = (reader: PartitionLogStore["reader"]) => {
      expect(reader.entries(0, 1).length).toBe(1);
      expect(reader.entries(0, sizes[0]! + sizes[1]!).length).toBe(2);
      expect(reader.entries(0, sizes[0]! + sizes[1]! + sizes[2]! - 1).length).toBe(2);
      expect(reader.entries(3, 1_000_000).map((entry) => entry.baseOffset)).toEqual([3, 4, 9]);
      expect(reader.entries(10, 1_000_000)).toEqual([]);
      expect(() => reader.entries(5, 1000)).toThrow(/batch boundary/);
    };
    check(store.reader);
    check((await reopen(log, { recentCountMax: 1 })).store.reader);
  });

  test("a flush policy other than every still syncs before persist resolves", async () => {
    const { log, store } = openStore({ flushPolicy: "never" });
    await store.write({ snapshot: undefined, entries: sampleEntries() });
    expect(log.flushedOffset).toBe(10);
    expect(store.persistedOffset).toBe(9);
  });

  test("a divergent suffix is truncated before the new entries are written", async () => {
    const { log, store } = openStore();
    await store.write({ snapshot: undefined, entries: sampleEntries() });
    const replacement = [dataEntry(4, 2, 4, 100), dataEntry(6, 1, 4, 101)];
    await store.write({ snapshot: undefined, entries: replacement });
    const check = (reopened: PartitionLogStore) => {
      const reader = reopened.reader;
      expect(reader.lastOffset()).toBe(6);
      expect(reader.lastEpoch()).toBe(4);
      expect(reader.batchAt(5)).toMatchObject({ baseOffset: 4, lastOffset: 5, epoch: 4 });
      expect(reader.firstOffsetOfEpoch(2)).toBeUndefined();
      expect(reader.firstOffsetOfEpoch(3)).toBeUndefined();
      expect(reader.firstOffsetOfEpoch(4)).toBe(4);
      expect(allEntries(reopened).map((entry) => [entry.baseOffset, entry.epoch])).toEqual([
        [0, 1],
        [3, 1],
        [4, 4],
        [6, 4],
      ]);
    };
    check(store);
    expect(store.persistedOffset).toBe(6);
    check((await reopen(log)).store);
  });

  test("truncating every batch keeps the mark and its epoch", async () => {
    const { log, store } = openStore();
    await store.write({
      snapshot: { meta: { lastOffset: 19, lastEpoch: 5, config }, data: new Uint8Array(0) },
      entries: [dataEntry(20, 2, 6)],
    });
    await store.write({ snapshot: undefined, entries: [dataEntry(20, 1, 7)] });
    expect(store.reader.snapshotMeta()).toEqual({ lastOffset: 19, lastEpoch: 5, config });
    expect(store.reader.batchAt(20)).toMatchObject({ baseOffset: 20, lastOffset: 20, epoch: 7 });
    const reopened = (await reopen(log)).store;
    expect(reopened.reader.snapshotMeta()).toEqual({ lastOffset: 19, lastEpoch: 5, config });
    expect(reopened.reader.lastEpoch()).toBe(7);
  });

  test("a snapshot restarts the log after its mark, and the mark's epoch survives a reopen", async () => {
    const { log, store } = openStore();
    await store.write({ snapshot: undefined, entries: sampleEntries() });
    const snapshot = { meta: { lastOffset: 99, lastEpoch: 6, config }, data: new Uint8Array(0) };
    await store.write({ snapshot, entries: [] });
    expect(log.logStartOffset).toBe(100);
    expect(store.persistedOffset).toBe(99);
    const checkEmpty = (reopened: PartitionLogStore) => {
      expect(reopened.reader.snapshotMeta()).toEqual({ lastOffset: 99, lastEpoch: 6, config });
      // What it would send a follower: the log start and no producer state (no replica attached).
      expect(decodePartitionSnapshot(reopened.reader.snapshot().data, 100)).toMatchObject({
        logStartOffset: 100,
        producerState: new Uint8Array(0),
      });
      expect(reopened.reader.lastOffset()).toBe(99);
      expect(reopened.reader.lastEpoch()).toBe(6);
      expect(reopened.reader.batchAt(5)).toBeUndefined();
      expect(reopened.reader.firstOffsetOfEpoch(1)).toBeUndefined();
    };
    checkEmpty(store);
    const second = await reopen(log);
    checkEmpty(second.store);
    await second.store.write({ snapshot: undefined, entries: [dataEntry(100, 2, 7)] });
    expect(second.store.reader.lastOffset()).toBe(101);
    expect(second.store.reader.firstOffsetOfEpoch(7)).toBe(100);
    expect(second.store.reader.entries(100, 1)[0]!.epoch).toBe(7);
  });

  test("a bare control entry becomes a LeaderChange control batch naming this node", async () => {
    const { log, store } = openStore();
    const bare = controlEntry(2, 2);
    await store.write({ snapshot: undefined, entries: [dataEntry(0, 2, 1), bare] });
    // The core's own entry object now carries the batch, so append messages sent after persist carry it too.
    expect(bare.payload).toEqual(store.reader.entries(2, 1000)[0]!.payload);
    const check = (reopened: PartitionLogStore) => {
      const control = reopened.reader.entries(2, 1000)[0]!;
      expect(control).toMatchObject({ baseOffset: 2, lastOffset: 2, epoch: 2, kind: "control" });
      const records = readControlBatch(control.payload, { decompressedBytesMax: 1 << 20 });
      expect(records.length).toBe(1);
      const record = records[0]!;
      expect(record.type).toBe(ControlRecordType.LeaderChange);
      if (!("leaderChange" in record)) throw new Error("not a LeaderChange record");
      expect(record.leaderChange.leaderId).toBe(1);
      expect(record.leaderChange.voters.map((voter) => voter.voterId)).toEqual([1]);
      // Term 2's leader epoch.
      const view = new DataView(control.payload.buffer, control.payload.byteOffset);
      expect(view.getInt32(batchOffsets.partitionLeaderEpoch)).toBe(1);
    };
    check(store);
    check((await reopen(log)).store);
  });

  test("a config entry is refused: partition logs do not store membership", async () => {
    const { store } = openStore();
    const entry: Entry = { ...controlEntry(0, 1), kind: "config", config };
    expect(() => store.write({ snapshot: undefined, entries: [entry] })).toThrow(/config entries/);
  });

  test("retention past the first batches moves the mark to the first batch still held", async () => {
    const { log, store } = openStore({ segmentBytes: 200 });
    for (const entry of sampleEntries()) await store.write({ snapshot: undefined, entries: [entry] });
    expect(log.segmentCount).toBeGreaterThan(1);
    log.highWatermark = 10;
    const start = log.deleteRecords(5);
    expect(start).toBe(5);
    const mark = store.reader.snapshotMeta();
    // The log start sits inside the batch [4..8], which is still stored whole: the Raft log starts there.
    expect(mark.lastOffset).toBe(3);
    expect(mark.lastEpoch).toBe(1);
    expect(store.reader.batchAt(3)).toBeUndefined();
    expect(store.reader.entries(4, 1)[0]!.baseOffset).toBe(4);
    expect(store.reader.firstOffsetOfEpoch(2)).toBe(4);
    // Reopened, nothing remembers the epoch of offset 3 (its segment is gone): 0, never too high.
    const reopened = (await reopen(log, { recentCountMax: 1 })).store;
    expect(reopened.reader.snapshotMeta()).toEqual({ lastOffset: 3, lastEpoch: 0, config });
    expect(reopened.reader.entries(4, 1)[0]!.baseOffset).toBe(4);
    expect(reopened.reader.batchAt(8)).toMatchObject({ baseOffset: 4, lastOffset: 8, epoch: 2 });
  });
});

// ---- a single-voter RaftNode over the real log ----------------------------------------------------------

function makeNode(store: PartitionLogStore, hardState: HardState): RaftNode {
  return new RaftNode({
    config: {
      ...raftConfigDefaults,
      id: 1,
      electionTimeoutTicks: 3,
      heartbeatIntervalTicks: 1,
      deliverCommittedEntries: false,
      randomInt: () => 0,
    },
    storage: store.reader,
    hardState,
  });
}

async function runReadyLoop(
  node: RaftNode,
  store: PartitionLogStore,
  hard: FileHardStateStore,
): Promise<number> {
  let cycles = 0;
  while (node.hasReady()) {
    const ready: Ready = node.ready();
    await store.write({ snapshot: ready.snapshotToPersist, entries: ready.entriesToPersist });
    if (ready.hardState !== undefined) await hard.save(ready.hardState);
    expect(ready.messages).toEqual([]);
    node.advance(ready);
    cycles += 1;
    expect(cycles).toBeLessThan(20);
  }
  return cycles;
}

describe("a single-voter RaftNode over PartitionLogStore", () => {
  test("commits proposals, and after a restart re-elects itself and keeps its log", async () => {
    const initial: HardState = { term: 0, votedFor: null, commitOffset: -1, config };
    const hard = new FileHardStateStore({ path: join(temp.path, "raft-hard-state.json"), initial });
    const { log, store } = openStore();
    const node = makeNode(store, hard.load());
    node.campaign();
    expect(node.role).toBe("leader");
    await runReadyLoop(node, store, hard);
    expect(node.commitOffset).toBe(-1); // an empty log: no control batch, the first record takes offset 0
    for (let round = 0; round < 3; round++) {
      const payloads = [
        makeBatch({ recordCount: 2, seed: round }),
        makeBatch({ recordCount: 3, seed: 10 + round }),
      ];
      const result = node.propose(
        payloads.map((payload, index) => ({ recordCount: 2 + index, byteSize: payload.length, payload })),
      );
      expect(result.ok).toBe(true);
      await runReadyLoop(node, store, hard);
      expect(node.commitOffset).toBe(5 * (round + 1) - 1);
    }
    expect(store.persistedOffset).toBe(14);
    expect(hard.load()).toMatchObject({ term: 1, votedFor: 1, commitOffset: 14 });
    const stored = allEntries(store).map((entry) => [
      entry.baseOffset,
      entry.lastOffset,
      entry.epoch,
      entry.kind,
    ]);
    expect(stored.slice(0, 2)).toEqual([[0, 1, 1, "data"] as const, [2, 4, 1, "data"] as const]);
    expect(stored.length).toBe(6);

    const again = await reopen(log);
    const restarted = makeNode(again.store, hard.load());
    expect(restarted.commitOffset).toBe(14);
    expect(restarted.log.lastOffset()).toBe(14);
    for (let tick = 0; tick < 10 && restarted.role !== "leader"; tick++) {
      restarted.tick();
      await runReadyLoop(restarted, again.store, hard);
    }
    expect(restarted.role).toBe("leader");
    expect(restarted.term).toBe(2);
    await runReadyLoop(restarted, again.store, hard);
    // Now the log holds an earlier epoch's entries: the new leader appends and commits its control batch.
    expect(restarted.commitOffset).toBe(15);
    expect(again.store.reader.batchAt(15)).toMatchObject({ baseOffset: 15, lastOffset: 15, epoch: 2 });
    expect(again.store.reader.firstOffsetOfEpoch(2)).toBe(15);
    expect(
      allEntries(again.store)
        .slice(0, 6)
        .map((entry) => [entry.baseOffset, entry.epoch]),
    ).toEqual(stored.map((row) => [row[0] as number, row[2] as number]));
    expect(hard.load()).toMatchObject({ term: 2, votedFor: 1, commitOffset: 15 });
  });
});

test("the mark file lives beside the segments", async () => {
  const { store } = openStore();
  await store.write({
    snapshot: { meta: { lastOffset: 4, lastEpoch: 2, config }, data: new Uint8Array(0) },
    entries: [],
  });
  expect(await Bun.file(join(harness.dir, raftLogMarkFileName)).json()).toEqual({
    version: 1,
    lastOffset: 4,
    lastEpoch: 2,
  });
});

// ---- the reader agrees with the core's MemoryLog over random histories -----------------------------------

function metaRows(entries: readonly Entry[]): number[][] {
  return entries.map((entry) => [entry.baseOffset, entry.lastOffset, entry.epoch, entry.byteSize]);
}

function expectSameAnswers(store: PartitionLogStore, model: MemoryLog, random: () => number): void {
  const reader = store.reader;
  expect(reader.snapshotMeta()).toEqual(model.snapshotMeta());
  expect(reader.lastOffset()).toBe(model.lastOffset());
  expect(reader.lastEpoch()).toBe(model.lastEpoch());
  expect(store.persistedOffset).toBe(model.lastOffset());
  const mark = model.snapshotMeta().lastOffset;
  for (let offset = Math.max(-1, mark - 1); offset <= model.lastOffset() + 1; offset++) {
    const expected = model.batchAt(offset);
    const actual = reader.batchAt(offset);
    expect(actual === undefined ? undefined : [actual.baseOffset, actual.lastOffset, actual.epoch]).toEqual(
      expected === undefined ? undefined : [expected.baseOffset, expected.lastOffset, expected.epoch],
    );
  }
  for (let epoch = 0; epoch <= model.lastEpoch() + 1; epoch++) {
    expect(reader.firstOffsetOfEpoch(epoch)).toBe(model.firstOffsetOfEpoch(epoch));
  }
  for (const entry of model.allEntries()) {
    const bytesMax = 1 + (random() % 400);
    expect(metaRows(reader.entries(entry.baseOffset, bytesMax))).toEqual(
      metaRows(model.entries(entry.baseOffset, bytesMax)),
    );
  }
}

// Seeds 18, 20, 24, 26 and 27 once found the recovery bug tested below; they stay in the set.
for (const seed of [1, 2, 3, 7, 18, 20, 24, 26, 27]) {
  test(`over random appends, truncations, snapshots and reopens the reader answers as MemoryLog does (seed ${seed})`, () =>
    randomHistory(seed));
}

// Reopening a log whose older segment's index is rebuilt (here after a truncation and a multi-batch append that
// rolled) must keep the leader-epoch entries of the later, trusted segments. loadLog used to truncate the cache
// at the rebuilt segment's base, and firstOffsetOfEpoch then missed epoch 3 (found by the random history, seed 26).
test("epochs of trusted segments survive a reopen that rebuilds an older segment's index", async () => {
  let { log, store } = openStore({ segmentBytes: 600 });
  const snapshot = { meta: { lastOffset: 3, lastEpoch: 1, config }, data: new Uint8Array(0) };
  await store.write({ snapshot, entries: [dataEntry(4, 2, 2), dataEntry(6, 4, 2), dataEntry(10, 1, 2)] });
  await store.write({
    snapshot: undefined,
    entries: [dataEntry(10, 4, 3), dataEntry(14, 4, 3), dataEntry(18, 4, 3)],
  });
  await store.write({ snapshot: undefined, entries: [dataEntry(22, 1, 3)] });
  expect(store.reader.firstOffsetOfEpoch(3)).toBe(10);
  ({ log, store } = await reopenWith(log, { segmentBytes: 600 }, {}));
  expect(store.reader.firstOffsetOfEpoch(3)).toBe(10);
});

async function randomHistory(seedValue: number): Promise<void> {
  const random = prng(seedValue);
  const model = new MemoryLog(config);
  let { log, store } = openStore({ segmentBytes: 600 }, { recentCountMax: 2 });
  let epoch = 1;
  let seed = 1000;
  for (let step = 0; step < 60; step++) {
    const choice = random() % 10;
    if (choice === 0) {
      const lastOffset = model.lastOffset() + 1 + (random() % 5);
      const snapshot = { meta: { lastOffset, lastEpoch: epoch, config }, data: new Uint8Array(0) };
      await store.write({ snapshot, entries: [] });
      model.installSnapshot(snapshot);
    } else if (choice === 1) {
      ({ log, store } = await reopenWith(log, { segmentBytes: 600 }, { recentCountMax: 2 }));
    } else {
      const held = model.allEntries();
      // A third of the writes replace a suffix, as a follower overwriting a divergent tail does.
      const cut =
        choice < 5 && held.length > 0 ? held[random() % held.length]!.baseOffset : model.lastOffset() + 1;
      if (random() % 3 === 0) epoch += 1;
      const entries: Entry[] = [];
      let next = cut;
      for (let count = 1 + (random() % 3); count > 0; count--) {
        const entry = dataEntry(next, 1 + (random() % 4), epoch, seed++);
        entries.push(entry);
        next = entry.lastOffset + 1;
      }
      await store.write({ snapshot: undefined, entries });
      model.append(entries);
    }
    expectSameAnswers(store, model, random);
  }
}

async function reopenWith(
  log: PartitionLog,
  overrides: Partial<LogConfig>,
  options: { recentCountMax?: number },
): Promise<{ log: PartitionLog; store: PartitionLogStore }> {
  await log.close();
  opened.splice(opened.indexOf(log), 1);
  return openStore(overrides, options);
}

test("a damaged mark file is an error naming it, not a silent epoch 0", async () => {
  const { log, store } = openStore();
  await store.write({
    snapshot: { meta: { lastOffset: 4, lastEpoch: 2, config }, data: new Uint8Array(0) },
    entries: [],
  });
  await log.close();
  opened.splice(opened.indexOf(log), 1);
  await Bun.write(join(harness.dir, raftLogMarkFileName), '{"version":1,"lastOff');
  expect(() => openStore()).toThrow(raftLogMarkFileName);
});
