// Proves the node's hard-state journal: every group's save in one event-loop turn shares one write and one
// fdatasync on the thread pool (none on the event loop), each resolving only once it is durable, and saves made
// during a sync form the next batch; a reopen answers each group's newest state (a deleted group's initial one,
// an unjournaled group's old file); a torn last batch is cut off while damage before the last is refused; and
// compaction keeps every group's newest state in a smaller file.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardState } from "../../../src/raft/core/index.ts";
import { FileHardStateStore, HardStateFileError } from "../../../src/raft/node/file-hard-state.ts";
import { HardStateJournal, hardStateJournalFileName } from "../../../src/raft/node/hard-state-journal.ts";
import { nodeStorageFs, type StorageFs } from "../../../src/storage/storage-fs.ts";
import { makeTempDir } from "../../storage/temp-dir.ts";

const config = { voters: [1, 2, 3], learners: [] };
const initial: HardState = { term: 0, votedFor: null, commitOffset: -1, config };
const state = (term: number, votedFor: number | null = 1): HardState => ({
  term,
  votedFor,
  commitOffset: term * 10,
  config,
});

let temp: ReturnType<typeof makeTempDir>;
const journals: HardStateJournal[] = [];

beforeEach(() => {
  temp = makeTempDir("chronik-journal-");
});
afterEach(async () => {
  for (const journal of journals.splice(0)) await journal.close().catch(() => {});
  temp.remove();
});

/** A StorageFs that counts fdatasyncs, can hold them, and records any blocking sync on the event loop. */
function countingFs() {
  const held: Array<() => void> = [];
  const counts = { datasync: 0, blocking: 0 };
  let hold = false;
  const fs: StorageFs = {
    ...nodeStorageFs,
    async datasync(fd) {
      counts.datasync += 1;
      if (hold) await new Promise<void>((resolve) => held.push(resolve));
      return nodeStorageFs.datasync(fd);
    },
    datasyncSync(fd) {
      counts.blocking += 1;
      nodeStorageFs.datasyncSync(fd);
    },
    writeFileSynced(path, bytes) {
      counts.blocking += 1;
      nodeStorageFs.writeFileSynced(path, bytes);
    },
  };
  return {
    fs,
    counts,
    holdSyncs: (on: boolean) => {
      hold = on;
    },
    release: () => {
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

function open(storageFs: StorageFs = nodeStorageFs, compactBytesMin?: number): HardStateJournal {
  const journal = HardStateJournal.open({ dir: temp.path, storageFs, compactBytesMin, logLine: () => {} });
  journals.push(journal);
  return journal;
}

async function reopen(journal: HardStateJournal, storageFs?: StorageFs, compactBytesMin?: number) {
  await journal.close();
  journals.splice(journals.indexOf(journal), 1);
  return open(storageFs, compactBytesMin);
}

test("one turn's saves of many groups share one write and one fdatasync, off the event loop", async () => {
  const spy = countingFs();
  const journal = open(spy.fs);
  spy.holdSyncs(true);
  let resolved = 0;
  const saves = Array.from({ length: 200 }, (_, index) =>
    journal
      .store(`t-${index}`, { initial })
      .save(state(index + 1))
      .then(() => {
        resolved += 1;
      }),
  );
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(spy.counts.datasync).toBe(1);
  expect(resolved).toBe(0); // not durable yet: nothing may be sent on its word
  // Saves made while that sync is in flight wait for it, then share the next one.
  const later = [
    journal.store("t-0", { initial }).save(state(500)),
    journal.store("x", { initial }).save(state(7)),
  ];
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(spy.counts.datasync).toBe(1);
  spy.release();
  await Promise.all(saves);
  spy.release();
  for (let turn = 0; turn < 5 && spy.counts.datasync < 2; turn++) await new Promise((r) => setImmediate(r));
  spy.release();
  await Promise.all(later);
  expect(spy.counts.datasync).toBe(2);
  expect(spy.counts.blocking).toBe(0);
});

test("a reopen answers each group's newest state; a forgotten group and an unknown one their initial state", async () => {
  let journal = open();
  await journal.store("a", { initial }).save(state(1));
  await journal.store("a", { initial }).save(state(3, 2));
  await journal.store("b", { initial }).save(state(2));
  await journal.forget("b");
  journal = await reopen(journal);
  expect(journal.store("a", { initial }).load()).toEqual(state(3, 2));
  expect(journal.store("b", { initial }).load()).toEqual(initial);
  // A group saved before the journal existed loads from its own file until the journal has a record of it.
  const oldPath = join(temp.path, "old-raft-hard-state.json");
  await new FileHardStateStore({ path: oldPath, initial }).save(state(9));
  const fallback = new FileHardStateStore({ path: oldPath, initial });
  expect(journal.store("c", { initial, fallback }).load()).toEqual(state(9));
  await journal.store("c", { initial, fallback }).save(state(10));
  expect(journal.store("c", { initial, fallback }).load()).toEqual(state(10));
});

test("a torn last batch is cut off; a damaged batch before good ones is refused", async () => {
  let journal = open();
  await journal.store("a", { initial }).save(state(1));
  await journal.store("a", { initial }).save(state(2));
  const path = join(temp.path, hardStateJournalFileName);
  const goodBytes = statSync(path).size;
  await journal.close();
  journals.length = 0;
  // A crash during the next batch's write: part of it reached the disk.
  const whole = readFileSync(path);
  appendFileSync(path, whole.subarray(whole.length - 20));
  journal = open();
  expect(journal.store("a", { initial }).load()).toEqual(state(2));
  expect(journal.fileBytes).toBe(goodBytes);
  await journal.store("a", { initial }).save(state(4));
  journal = await reopen(journal);
  expect(journal.store("a", { initial }).load()).toEqual(state(4));
  await journal.close();
  journals.length = 0;
  // A bit flipped in the first batch, which later batches follow: refused, never silently forgotten.
  const damaged = readFileSync(path);
  damaged[20] = damaged[20]! ^ 0xff;
  writeFileSync(path, damaged);
  expect(() => open()).toThrow(HardStateFileError);
});

test("compaction keeps every group's newest state in a smaller file", async () => {
  let journal = open(nodeStorageFs, 4096);
  for (let round = 1; round <= 40; round++) {
    await Promise.all(
      ["a", "b", "c"].map((groupId) => journal.store(groupId, { initial }).save(state(round))),
    );
  }
  expect(journal.fileBytes).toBeLessThan(3 * 4096);
  await journal.forget("c");
  journal = await reopen(journal, nodeStorageFs, 4096);
  expect(journal.store("a", { initial }).load()).toEqual(state(40));
  expect(journal.store("b", { initial }).load()).toEqual(state(40));
  expect(journal.store("c", { initial }).load()).toEqual(initial);
});

test("a failover that re-elects 100 groups costs their new leaders' node a few fdatasyncs, not one per vote", async () => {
  const { GroupManager } = await import("../../../src/raft/node/group-manager.ts");
  const { MemoryLogStore } = await import("../../../src/raft/node/memory-log-store.ts");
  const { InMemoryRaftNetwork } = await import("../../../src/raft/transport/in-memory.ts");
  const { ManualClock } = await import("../../../src/base/manual-clock.ts");
  const { silentLogger } = await import("../../../src/base/logger.ts");
  const { testRaftConfig } = await import("./fakes.ts");
  const groupIds = Array.from({ length: 100 }, (_, index) => `g-${index}`);
  const network = new InMemoryRaftNetwork();
  const nodes = [1, 2, 3].map((id) => {
    const spy = countingFs();
    const dir = join(temp.path, `node-${id}`);
    const journal = HardStateJournal.open({ dir, storageFs: spy.fs, logLine: () => {} });
    journals.push(journal);
    const manager = new GroupManager({
      nodeId: id,
      transport: network.endpoint(id),
      tickIntervalMs: 0,
      scheduler: new ManualClock(),
      logger: silentLogger,
    });
    for (const [index, groupId] of groupIds.entries()) {
      manager.addGroup({
        groupId,
        config: testRaftConfig(id, id * 1000 + index),
        store: new MemoryLogStore({ config }),
        hardState: journal.store(groupId, { initial }),
      });
    }
    return { id, manager, spy };
  });
  const led = (live: typeof nodes) =>
    groupIds.filter((groupId) => live.some((node) => node.manager.group(groupId)?.isLeader)).length;
  const tickUntil = async (live: typeof nodes, done: () => boolean) => {
    for (let tick = 0; tick < 300 && !done(); tick++) {
      for (const node of live) node.manager.tickAll();
      await Bun.sleep(1);
      for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(done()).toBe(true);
  };
  // Node 1 campaigns first in every group, as a preferred leader would, and leads them all.
  for (const groupId of groupIds) nodes[0]!.manager.group(groupId)!.campaign();
  await tickUntil(nodes, () => groupIds.every((groupId) => nodes[0]!.manager.group(groupId)!.isLeader));
  nodes[0]!.manager.stop();
  network.isolate(1);
  const survivors = nodes.slice(1);
  const syncsBefore = survivors.map((node) => node.spy.counts.datasync);
  await tickUntil(survivors, () => led(survivors) === groupIds.length);
  // Every group voted (term and vote durable before the answers left), yet each node synced a handful of times.
  const syncs = survivors.map((node, index) => node.spy.counts.datasync - syncsBefore[index]!);
  for (const count of syncs) expect(count).toBeLessThan(groupIds.length / 4);
  for (const node of survivors) expect(node.spy.counts.blocking).toBe(0);
  for (const node of nodes) node.manager.stop();
});
