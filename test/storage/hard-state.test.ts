// Proves Raft hard state is stored atomically and read back, an absent file reads as empty, and a damaged
// file is refused rather than trusted.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  decodeHardState,
  encodeHardState,
  HardStateStore,
  hardStateEmpty,
} from "../../src/storage/hard-state.ts";
import { CorruptLogError } from "../../src/storage/storage-error.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.remove());

test("save then load returns the state; no temporary file is left", () => {
  const store = new HardStateStore(nodeStorageFs, temp.path);
  expect(store.load()).toEqual(hardStateEmpty);
  store.save({ term: 7, votedFor: 2, commit: 1234 });
  store.save({ term: 8, votedFor: -1, commit: 1300 });
  expect(new HardStateStore(nodeStorageFs, temp.path).load()).toEqual({
    term: 8,
    votedFor: -1,
    commit: 1300,
  });
  expect(readdirSync(temp.path)).toEqual(["raft-hard-state"]);
});

test("a damaged file is refused with a clear error", () => {
  const store = new HardStateStore(nodeStorageFs, temp.path);
  store.save({ term: 3, votedFor: 1, commit: 9 });
  writeFileSync(
    join(temp.path, "raft-hard-state"),
    encodeHardState({ term: 3, votedFor: 1, commit: 9 }).replace("3", "4"),
  );
  expect(() => store.load()).toThrow(CorruptLogError);
  expect(existsSync(join(temp.path, "raft-hard-state"))).toBe(true);
});

test("decode rejects wrong shapes", () => {
  expect(decodeHardState("1 2 3")).toContain("fields");
  expect(decodeHardState(encodeHardState({ term: 1, votedFor: -1, commit: 0 }))).toEqual({
    term: 1,
    votedFor: -1,
    commit: 0,
  });
});
