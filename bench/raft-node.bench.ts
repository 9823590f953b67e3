// Raft driver throughput: produces committed per second through RaftGroup (standalone, over a log file that
// really fdatasyncs) and through three GroupManagers over the in-memory transport, with many produces in flight,
// and how many produces share one persist (group commit) and one transport call (per-peer batching).
// Run: node_modules/.bin/bun bench/raft-node.bench.ts
import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { systemScheduler } from "../src/app/system-time.ts";
import { silentLogger } from "../src/base/logger.ts";
import type { Entry, HardState, MembershipConfig, RaftConfig, Snapshot } from "../src/raft/core/index.ts";
import { MemoryLog, raftConfigDefaults } from "../src/raft/core/index.ts";
import { GroupManager } from "../src/raft/node/group-manager.ts";
import type { RaftGroup } from "../src/raft/node/raft-group.ts";
import type { RaftHardStateStore, RaftLogStore } from "../src/raft/node/storage-ports.ts";
import { InMemoryRaftNetwork } from "../src/raft/transport/in-memory.ts";

const fdatasyncAsync = promisify(fdatasync);
const secondsPerCase = 2;
const batchBytes = 1024;
const payload = new Uint8Array(batchBytes);

/**
 * The core's MemoryLog as the index, plus the payload bytes appended to a real file and fdatasynced: one sync
 * at a time, each covering every write made before it began (group commit, as the partition log does).
 */
class FileBackedStore implements RaftLogStore {
  readonly reader: MemoryLog;
  syncCalls = 0;
  private durableOffset: number;
  private syncs: Promise<void> = Promise.resolve();
  constructor(
    config: MembershipConfig,
    private readonly fd: number | undefined,
  ) {
    this.reader = new MemoryLog(config);
    this.durableOffset = this.reader.lastOffset();
  }
  get persistedOffset(): number {
    return this.durableOffset;
  }
  write(input: { snapshot: Snapshot | undefined; entries: readonly Entry[] }): Promise<void> {
    if (this.fd !== undefined) for (const entry of input.entries) writeSync(this.fd, entry.payload);
    if (input.snapshot !== undefined) this.reader.installSnapshot(input.snapshot);
    this.reader.append(input.entries);
    const lastOffset = this.reader.lastOffset();
    this.syncs = this.syncs.then(() => this.syncThrough(lastOffset));
    return this.syncs;
  }
  private async syncThrough(lastOffset: number): Promise<void> {
    if (this.durableOffset >= lastOffset) return;
    const upTo = this.reader.lastOffset();
    this.syncCalls += 1;
    if (this.fd !== undefined) await fdatasyncAsync(this.fd);
    this.durableOffset = upTo;
  }
}

class MemoryHardState implements RaftHardStateStore {
  constructor(private state: HardState) {}
  load(): HardState {
    return this.state;
  }
  async save(state: HardState): Promise<void> {
    this.state = state;
  }
}

function config(id: number): RaftConfig {
  let state = id * 7919;
  return {
    ...raftConfigDefaults,
    id,
    deliverCommittedEntries: false,
    randomInt: (bound) => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state % bound;
    },
  };
}

/** `inflight` producers each loop propose-then-wait for secondsPerCase; returns produces per second. */
async function drive(groups: () => RaftGroup[], inflight: number, acks: "1" | "-1"): Promise<number> {
  let done = 0;
  const endMs = performance.now() + secondsPerCase * 1000;
  const producer = async (index: number): Promise<void> => {
    while (performance.now() < endMs) {
      const candidates = groups();
      const group = candidates[index % candidates.length]!;
      const result = group.propose([{ recordCount: 1, byteSize: batchBytes, payload }]);
      if (!result.ok) {
        await Bun.sleep(1);
        continue;
      }
      if (acks === "1") await group.waitForPersisted(result.lastOffset);
      else await group.waitForCommit(result.lastOffset);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: inflight }, (_, index) => producer(index)));
  return done / secondsPerCase;
}

async function standalone(inflight: number, fd: number): Promise<string[]> {
  const membership = { voters: [1], learners: [] };
  const store = new FileBackedStore(membership, fd);
  const network = new InMemoryRaftNetwork();
  const manager = new GroupManager({
    nodeId: 1,
    transport: network.endpoint(1),
    tickIntervalMs: 100,
    scheduler: systemScheduler,
    logger: silentLogger,
  });
  manager.start();
  const group = manager.addGroup({
    groupId: "bench-0",
    config: config(1),
    store,
    hardState: new MemoryHardState({ term: 0, votedFor: null, commitOffset: -1, config: membership }),
  });
  while (group.role !== "leader") await Bun.sleep(1);
  const before = store.syncCalls;
  const perSecond = await drive(() => [group], inflight, "-1");
  const persists = store.syncCalls - before;
  manager.stop();
  return [
    `standalone, fdatasync, acks=-1`,
    `${inflight}`,
    fmt(perSecond),
    ((perSecond * secondsPerCase) / persists).toFixed(1),
    "-",
  ];
}

async function threeNodes(groupCount: number, inflight: number): Promise<string[]> {
  const ids = [1, 2, 3];
  const membership = { voters: ids, learners: [] };
  const network = new InMemoryRaftNetwork();
  const managers = ids.map(
    (id) =>
      new GroupManager({
        nodeId: id,
        transport: network.endpoint(id),
        tickIntervalMs: 20,
        scheduler: systemScheduler,
        logger: silentLogger,
      }),
  );
  const groupIds = Array.from({ length: groupCount }, (_, index) => `bench-${index}`);
  for (const [index, manager] of managers.entries()) {
    for (const groupId of groupIds) {
      manager.addGroup({
        groupId,
        config: config(ids[index]!),
        store: new FileBackedStore(membership, undefined),
        hardState: new MemoryHardState({ term: 0, votedFor: null, commitOffset: -1, config: membership }),
      });
    }
    manager.start();
  }
  const leaders = (): RaftGroup[] =>
    groupIds.flatMap((groupId) =>
      managers.map((manager) => manager.group(groupId)!).filter((group) => group.isLeader),
    );
  while (leaders().length < groupCount) await Bun.sleep(5);
  const callsBefore = network.calls.length;
  const messagesBefore = network.calls.reduce((sum, call) => sum + call.batch.length, 0);
  const perSecond = await drive(leaders, inflight, "-1");
  const calls = network.calls.length - callsBefore;
  const messages = network.calls.reduce((sum, call) => sum + call.batch.length, 0) - messagesBefore;
  for (const manager of managers) manager.stop();
  return [
    `3 nodes in memory, ${groupCount} groups, acks=-1`,
    `${inflight}`,
    fmt(perSecond),
    "-",
    (messages / calls).toFixed(1),
  ];
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

const dir = mkdtempSync(join(tmpdir(), "raft-node-bench-"));
const fd = openSync(join(dir, "log"), "a");
const rows: string[][] = [];
try {
  for (const inflight of [1, 64]) rows.push(await standalone(inflight, fd));
  for (const [groupCount, inflight] of [
    [1, 64],
    [16, 256],
  ] as const) {
    rows.push(await threeNodes(groupCount, inflight));
  }
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
const header = ["case", "in flight", "produces/s", "produces/persist", "messages/call"];
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map(() => "---").join("|")}|`);
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
