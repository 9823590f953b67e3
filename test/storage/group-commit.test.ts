// Proves group commit's bookkeeping with a controllable sync: one sync in flight, waiters that arrive
// meanwhile share the next, a truncation voids an in-flight sync's range, and a failure rejects waiters.

import { expect, test } from "bun:test";
import { GroupCommit } from "../../src/storage/group-commit.ts";

/** Lets the event loop finish a turn (and the microtasks in which group commit starts its syncs). */
async function turn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

function controlled(written: { end: number }) {
  const syncs: Array<{ upTo: number; finish: () => void; fail: (error: Error) => void }> = [];
  const commit = new GroupCommit(
    0,
    () => {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      syncs.push({ upTo: written.end, finish: resolve, fail: reject });
      return { upTo: written.end, done: promise };
    },
    (error) => (error instanceof Error ? error : new Error(String(error))),
  );
  return { commit, syncs };
}

test("waiters of one turn share a sync; those arriving during it share the next", async () => {
  const written = { end: 1 };
  const { commit, syncs } = controlled(written);
  const resolved: number[] = [];
  written.end = 3;
  commit.waitFor(1).then(() => resolved.push(1));
  commit.waitFor(2).then(() => resolved.push(2));
  commit.waitFor(3).then(() => resolved.push(3));
  expect(syncs.length).toBe(0);
  await turn();
  expect(syncs.length).toBe(1);
  written.end = 4;
  commit.waitFor(4).then(() => resolved.push(4));
  syncs[0]!.finish();
  await turn();
  expect(resolved).toEqual([1, 2, 3]);
  expect(syncs.length).toBe(2);
  expect(syncs[1]!.upTo).toBe(4);
  syncs[1]!.finish();
  await turn();
  expect(resolved).toEqual([1, 2, 3, 4]);
  expect(commit.flushedOffset).toBe(4);
  expect(commit.syncCount).toBe(2);
});

test("appenders resuming after one write share a sync that starts before the event loop turns", async () => {
  const written = { end: 0 };
  const { commit, syncs } = controlled(written);
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  // As in PartitionLog: each appender awaits the turn's write, then waits for the sync covering its batch.
  const write = Promise.withResolvers<void>();
  const appenders = [1, 2, 3].map(async (offset) => {
    await write.promise;
    await commit.waitFor(offset);
  });
  written.end = 3;
  write.resolve();
  for (let i = 0; i < 4; i++) await Promise.resolve();
  expect(syncs.map((sync) => sync.upTo)).toEqual([3]);
  expect(turned).toBe(false);
  syncs[0]!.finish();
  await Promise.all(appenders);
  expect(commit.syncCount).toBe(1);
});

test("a truncation rejects waiters beyond it and voids the in-flight sync's claim", async () => {
  const written = { end: 5 };
  const { commit, syncs } = controlled(written);
  const outcome = commit.waitFor(5).then(
    () => "resolved",
    (error: Error) => error.message,
  );
  await turn();
  commit.truncated(2, "log truncated to 2");
  expect(await outcome).toContain("log truncated to 2");
  syncs[0]!.finish();
  await turn();
  expect(commit.flushedOffset).toBe(2);
});

test("a failed sync rejects every waiter", async () => {
  const written = { end: 2 };
  const { commit, syncs } = controlled(written);
  const first = commit.waitFor(1).catch((error: Error) => error.message);
  const second = commit.waitFor(2).catch((error: Error) => error.message);
  await turn();
  syncs[0]!.fail(new Error("EIO"));
  expect(await first).toBe("EIO");
  expect(await second).toBe("EIO");
});
