// A StorageFs for tests of background file writes: it records the calls that block the event loop (creating
// a file, a synchronous fsync, a synced small file) and can hold the fdatasync of every temporary created on
// the thread pool until released, so a test can act while such a write is in flight.

import { nodeStorageFs, type StorageFs } from "../../src/storage/storage-fs.ts";

export function blockingCallsFs(options: { holdBackgroundSyncs?: boolean } = {}) {
  const blockingCalls: string[] = [];
  const backgroundTemporaries = new Set<number>();
  const held: (() => void)[] = [];
  const nameOf = (path: string) => path.split("/").at(-1);
  const spyFs: StorageFs = {
    ...nodeStorageFs,
    create(path) {
      blockingCalls.push(`create ${nameOf(path)}`);
      return nodeStorageFs.create(path);
    },
    async createAsync(path) {
      const fd = await nodeStorageFs.createAsync(path);
      if (path.endsWith(".tmp")) backgroundTemporaries.add(fd);
      return fd;
    },
    datasync(fd) {
      if (!options.holdBackgroundSyncs || !backgroundTemporaries.has(fd)) return nodeStorageFs.datasync(fd);
      return new Promise<void>((resolve) => held.push(resolve)).then(() => nodeStorageFs.datasync(fd));
    },
    datasyncSync(fd) {
      blockingCalls.push("datasyncSync");
      nodeStorageFs.datasyncSync(fd);
    },
    writeFileSynced(path, bytes) {
      blockingCalls.push(`writeFileSynced ${nameOf(path)}`);
      nodeStorageFs.writeFileSynced(path, bytes);
    },
    syncDir(path) {
      blockingCalls.push("syncDir");
      nodeStorageFs.syncDir(path);
    },
  };
  const release = () => {
    for (const resolve of held.splice(0)) resolve();
  };
  /** Waits (a little) until `count` background syncs are held: their temporaries are created off the loop. */
  const untilHeld = async (count: number) => {
    for (let i = 0; i < 100 && held.length < count; i++) await Bun.sleep(1);
    return held.length;
  };
  return { spyFs, blockingCalls, release, untilHeld };
}
