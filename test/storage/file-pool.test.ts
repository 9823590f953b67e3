// Proves the descriptor pool stays within its bound, reopens evicted files transparently, and never
// closes a descriptor that is pinned.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { FilePool } from "../../src/storage/file-pool.ts";
import { nodeStorageFs, type StorageFs } from "../../src/storage/storage-fs.ts";
import { makeTempDir } from "./temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.remove());

function countingFs(): StorageFs & { opened: number; closed: number } {
  const fs = { ...nodeStorageFs, opened: 0, closed: 0 };
  fs.openExisting = (path) => {
    fs.opened++;
    return nodeStorageFs.openExisting(path);
  };
  fs.create = (path) => {
    fs.opened++;
    return nodeStorageFs.create(path);
  };
  fs.close = (fd) => {
    fs.closed++;
    nodeStorageFs.close(fd);
  };
  return fs;
}

test("many files through a small pool: bounded, and data written before eviction reads back", () => {
  const fs = countingFs();
  const pool = new FilePool(fs, 4);
  const paths = Array.from({ length: 20 }, (_, i) => join(temp.path, `f${i}`));
  for (const [i, path] of paths.entries()) {
    pool.create(path);
    pool.use(path, (fd) => fs.writeAll(fd, new Uint8Array([i]), 0));
    expect(pool.openCount).toBeLessThanOrEqual(4);
  }
  for (const [i, path] of paths.entries()) {
    const byte = new Uint8Array(1);
    pool.use(path, (fd) => fs.read(fd, byte, 0));
    expect(byte[0]).toBe(i);
  }
  expect(fs.opened - fs.closed).toBe(pool.openCount);
  pool.closeAll();
  expect(fs.opened).toBe(fs.closed);
});

test("a pinned descriptor outlives eviction and forget, and closes at its release", () => {
  const fs = countingFs();
  const pool = new FilePool(fs, 1);
  const a = join(temp.path, "a");
  const b = join(temp.path, "b");
  pool.create(a);
  const lease = pool.acquire(a);
  pool.create(b);
  expect(pool.openCount).toBe(2);
  pool.forget(a);
  expect(fs.closed).toBe(0);
  fs.writeAll(lease.fd, new Uint8Array([7]), 0);
  lease.release();
  expect(fs.closed).toBe(1);
  expect(() => lease.release()).toThrow("released twice");
  pool.closeAll();
});
