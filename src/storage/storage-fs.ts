// The small file interface all storage I/O goes through, so tests can inject a full disk or an I/O error.
// The real implementation uses node:fs descriptors with explicit positions: on Bun only node:fs can
// fdatasync, and Bun's own writers misbehave on append-mode files (DESIGN.md). Everything is synchronous
// except fdatasync (and, for files written in the background, their creation and a directory's fsync), which
// run on the thread pool so appends keep being written while a sync is in flight.

import * as fs from "node:fs";

export interface StorageFs {
  /** Opens an existing file for reading and writing; throws ENOENT if it is missing. */
  openExisting(path: string): number;
  /** Creates a file (truncating any old one) for reading and writing. */
  create(path: string): number;
  /** create() on the thread pool: making a file costs ~0.1 ms of the filesystem's metadata work here. */
  createAsync(path: string): Promise<number>;
  close(fd: number): void;
  /** Writes all of `bytes` at `position` (pwrite); may throw after writing part of them. */
  writeAll(fd: number, bytes: Uint8Array, position: number): void;
  /** Writes all the chunks, in order, from `position` (pwritev); may throw after writing part of them. */
  writeAllv(fd: number, chunks: readonly Uint8Array[], position: number): void;
  /** Reads up to `into.length` bytes at `position` (pread); returns how many it read. */
  read(fd: number, into: Uint8Array, position: number): number;
  datasync(fd: number): Promise<void>;
  datasyncSync(fd: number): void;
  truncate(fd: number, sizeBytes: number): void;
  sizeOf(fd: number): number;
  exists(path: string): boolean;
  readText(path: string): string;
  /** Writes a whole small file and fsyncs it (used for checkpoints before their rename). */
  writeFileSynced(path: string, bytes: Uint8Array): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Removes a directory and everything in it (a deleted partition); absent is fine. */
  removeTree(path: string): void;
  mkdirs(path: string): void;
  readdir(path: string): string[];
  /** fsyncs a directory so created, renamed and deleted names in it survive a crash. */
  syncDir(path: string): void;
  /** syncDir with the fsync on the thread pool. */
  syncDirAsync(path: string): Promise<void>;
}

const removeTreeAttempts = 3;

export const nodeStorageFs: StorageFs = {
  openExisting: (path) => fs.openSync(path, "r+"),
  create: (path) => fs.openSync(path, "w+"),
  createAsync: (path) =>
    new Promise<number>((resolve, reject) =>
      fs.open(path, "w+", (error, fd) => (error ? reject(error) : resolve(fd))),
    ),
  close: (fd) => fs.closeSync(fd),
  writeAll(fd, bytes, position) {
    let written = 0;
    while (written < bytes.length) {
      written += fs.writeSync(fd, bytes, written, bytes.length - written, position + written);
    }
  },
  writeAllv(fd, chunks, position) {
    if (chunks.length === 1) return nodeStorageFs.writeAll(fd, chunks[0]!, position);
    const written = fs.writevSync(fd, chunks as Uint8Array[], position);
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (written < total)
      nodeStorageFs.writeAll(fd, concatChunks(chunks).subarray(written), position + written);
  },
  read: (fd, into, position) => fs.readSync(fd, into, 0, into.length, position),
  datasync: (fd) =>
    new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
  datasyncSync: (fd) => fs.fdatasyncSync(fd),
  truncate: (fd, sizeBytes) => fs.ftruncateSync(fd, sizeBytes),
  sizeOf: (fd) => fs.fstatSync(fd).size,
  exists: (path) => fs.existsSync(path),
  readText: (path) => fs.readFileSync(path, "utf8"),
  writeFileSynced(path, bytes) {
    const fd = fs.openSync(path, "w");
    try {
      nodeStorageFs.writeAll(fd, bytes, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  removeTree(path) {
    // A background write's temporary created on the thread pool while the tree is being removed makes the
    // final rmdir fail with ENOTEMPTY (the write then fails quietly, its directory gone): another pass takes it.
    for (let attempt = 1; ; attempt++) {
      try {
        fs.rmSync(path, { recursive: true, force: true });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOTEMPTY" || attempt === removeTreeAttempts)
          throw error;
      }
    }
  },
  mkdirs: (path) => {
    fs.mkdirSync(path, { recursive: true });
  },
  readdir: (path) => fs.readdirSync(path),
  syncDir(path) {
    const fd = fs.openSync(path, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  async syncDirAsync(path) {
    const fd = fs.openSync(path, "r");
    try {
      await new Promise<void>((resolve, reject) =>
        fs.fsync(fd, (error) => (error ? reject(error) : resolve())),
      );
    } finally {
      fs.closeSync(fd);
    }
  },
};

/** Reads until `into` is full or the file ends; returns the bytes read. */
export function readFully(storageFs: StorageFs, fd: number, into: Uint8Array, position: number): number {
  let total = 0;
  while (total < into.length) {
    const count = storageFs.read(fd, into.subarray(total), position + total);
    if (count === 0) break;
    total += count;
  }
  return total;
}

export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const whole = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  return whole;
}
