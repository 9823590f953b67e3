// Proves a partition snapshot installs crash-safely (persist, then swap): a follower's log begins again at the
// snapshot with the leader epoch of its first batch and the replica's producer state, the install file is gone
// once done, an install a crash interrupted is redone at the next open, and a leader builds one snapshot per
// mark so every chunk of a transfer comes from the same bytes.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { MembershipConfig, Snapshot } from "../../../src/raft/core/types.ts";
import { PartitionLogStore, snapshotInstallFileName } from "../../../src/raft/node/partition-log-store.ts";
import {
  decodePartitionSnapshot,
  encodePartitionSnapshot,
  type PartitionSnapshotState,
} from "../../../src/raft/node/partition-snapshot.ts";
import type { PartitionLog } from "../../../src/storage/partition-log.ts";
import { nodeStorageFs, type StorageFs } from "../../../src/storage/storage-fs.ts";
import { type Harness, makeHarness } from "../../storage/log-harness.ts";
import { makeTempDir } from "../../storage/temp-dir.ts";

const config: MembershipConfig = { voters: [1, 2, 3], learners: [] };

let temp: { path: string; remove(): void };
let harness: Harness;
const opened: PartitionLog[] = [];

beforeEach(() => {
  temp = makeTempDir("chronik-partition-snapshot-");
  harness = makeHarness(temp.path);
});

afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => {});
  temp.remove();
});

function openStore(storageFs: StorageFs = nodeStorageFs): { log: PartitionLog; store: PartitionLogStore } {
  const log = harness.open();
  opened.push(log);
  const store = new PartitionLogStore({
    log,
    nodeId: 2,
    membership: () => config,
    clock: harness.clock,
    storageFs,
    snapshotStateAttached: true,
  });
  return { log, store };
}

/** A replica's part that records what it is given. */
function recordingState(): PartitionSnapshotState & { installs: Array<[number, Uint8Array]> } {
  const installs: Array<[number, Uint8Array]> = [];
  return {
    installs,
    capture: () => new Uint8Array([9, 9, 9]),
    install: (firstOffset, producerState) => {
      installs.push([firstOffset, producerState]);
    },
  };
}

const producerState = new Uint8Array([1, 2, 3, 4, 5]);
const snapshot: Snapshot = {
  meta: { lastOffset: 99, lastEpoch: 4, config },
  data: encodePartitionSnapshot({ firstOffset: 100, logStartOffset: 100, leaderEpoch: 3, producerState }),
};

describe("a partition snapshot", () => {
  test("begins the log again with the leader's first epoch and producer state, then removes its file", async () => {
    const { log, store } = openStore();
    const state = recordingState();
    store.attachSnapshotState(state);
    await store.write({ snapshot, entries: [] });
    expect([log.logStartOffset, log.logEndOffset]).toEqual([100, 100]);
    expect(log.epochs.all()).toEqual([{ epoch: 3, startOffset: 100 }]);
    expect(state.installs).toEqual([[100, producerState]]);
    expect(store.reader.snapshotMeta()).toMatchObject({ lastOffset: 99, lastEpoch: 4 });
    expect(store.persistedOffset).toBe(99);
    expect(nodeStorageFs.exists(join(log.dir, snapshotInstallFileName))).toBe(false);
  });

  test("an install a crash interrupted after its file was written is redone at the next open", async () => {
    let failAfterInstallFile = true;
    const faulty: StorageFs = {
      ...nodeStorageFs,
      syncDir: (path) => {
        // The install file is durable; the crash comes before the log is touched.
        if (failAfterInstallFile && nodeStorageFs.exists(join(path, snapshotInstallFileName))) {
          failAfterInstallFile = false;
          throw new Error("crash");
        }
        nodeStorageFs.syncDir(path);
      },
    };
    const first = openStore(faulty);
    first.store.attachSnapshotState(recordingState());
    expect(() => first.store.write({ snapshot, entries: [] })).toThrow("crash");
    expect(first.log.logEndOffset).toBe(0);
    await first.log.close();
    opened.splice(opened.indexOf(first.log), 1);

    const { log, store } = openStore();
    // The log begins again at open; the producer state waits for the replica, and the file with it.
    expect([log.logStartOffset, log.logEndOffset]).toEqual([100, 100]);
    expect(log.epochs.all()).toEqual([{ epoch: 3, startOffset: 100 }]);
    expect(store.reader.snapshotMeta()).toMatchObject({ lastOffset: 99, lastEpoch: 4 });
    expect(nodeStorageFs.exists(join(log.dir, snapshotInstallFileName))).toBe(true);
    const state = recordingState();
    store.attachSnapshotState(state);
    expect(state.installs).toEqual([[100, producerState]]);
    expect(nodeStorageFs.exists(join(log.dir, snapshotInstallFileName))).toBe(false);
  });

  test("a leader builds one snapshot per mark, with its log start, first epoch and the replica's state", async () => {
    const { store } = openStore();
    let captures = 0;
    store.attachSnapshotState({
      capture: (firstOffset) => {
        captures += 1;
        return new Uint8Array([firstOffset]);
      },
      install: () => {},
    });
    const first = store.reader.snapshot();
    expect(store.reader.snapshot()).toBe(first);
    expect(captures).toBe(1);
    expect(decodePartitionSnapshot(first.data, 0)).toEqual({
      firstOffset: 0,
      logStartOffset: 0,
      leaderEpoch: -1,
      producerState: new Uint8Array([0]),
    });
  });

  test("bytes that fail a check are refused with a reason", () => {
    const damaged = snapshot.data.slice();
    damaged[damaged.length - 1]! ^= 1;
    expect(decodePartitionSnapshot(damaged, 100)).toBe("crc mismatch");
    expect(decodePartitionSnapshot(snapshot.data, 101)).toBe("snapshot for offset 100, not 101");
    // An older leader's empty snapshot: the log begins again with no producer state.
    expect(decodePartitionSnapshot(new Uint8Array(0), 7)).toMatchObject({ firstOffset: 7, leaderEpoch: -1 });
  });
});
