// Proves FileHardStateStore keeps a Raft group's hard state across reopen, starts a new member from its
// initial state, and refuses (never silently resets) a damaged or foreign file, naming its path.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardState } from "../../../src/raft/core/types.ts";
import { FileHardStateStore, HardStateFileError } from "../../../src/raft/node/file-hard-state.ts";
import { makeTempDir } from "../../storage/temp-dir.ts";

const initial: HardState = {
  term: 0,
  votedFor: null,
  commitOffset: -1,
  config: { voters: [1, 2, 3], learners: [] },
};

let temp: { path: string; remove(): void };
let path: string;

beforeEach(() => {
  temp = makeTempDir("chronik-hard-state-");
  path = join(temp.path, "raft-hard-state.json");
});

afterEach(() => temp.remove());

describe("FileHardStateStore", () => {
  test("a missing file loads as the initial state", () => {
    expect(new FileHardStateStore({ path, initial }).load()).toEqual(initial);
  });

  test("save then load round-trips, also in a new store over the same file", async () => {
    const store = new FileHardStateStore({ path, initial });
    const states: HardState[] = [
      { term: 3, votedFor: 2, commitOffset: 41, config: { voters: [1, 2, 3], learners: [4] } },
      { term: 4, votedFor: null, commitOffset: 41, config: { voters: [1, 2], learners: [] } },
    ];
    for (const state of states) {
      await store.save(state);
      expect(store.load()).toEqual(state);
      expect(new FileHardStateStore({ path, initial }).load()).toEqual(state);
    }
  });

  test("a damaged file is an error naming the path", async () => {
    const store = new FileHardStateStore({ path, initial });
    await store.save({ term: 7, votedFor: 1, commitOffset: 100, config: initial.config });
    const text = readFileSync(path, "utf8");
    // One digit changed: still valid JSON with valid fields, caught only by the CRC.
    writeFileSync(path, text.replace('"term":7', '"term":8'));
    expect(() => store.load()).toThrow(HardStateFileError);
    expect(() => store.load()).toThrow(`${path}: hard state CRC mismatch`);
    writeFileSync(path, text.slice(0, text.length / 2));
    expect(() => store.load()).toThrow(`${path}: hard state is not JSON`);
    writeFileSync(path, "");
    expect(() => store.load()).toThrow(path);
  });

  test("a file of another version or with invalid fields is refused", () => {
    const store = new FileHardStateStore({ path, initial });
    writeFileSync(path, JSON.stringify({ version: 2, crc32c: 0, state: {} }));
    expect(() => store.load()).toThrow("hard state version 2");
    writeFileSync(path, JSON.stringify([1, 2]));
    expect(() => store.load()).toThrow("not an object");
  });

  test("save fails with the file system's error rather than pretending", async () => {
    const store = new FileHardStateStore({ path: join(temp.path, "missing-dir", "state.json"), initial });
    await expect(store.save(initial)).rejects.toThrow();
  });
});
