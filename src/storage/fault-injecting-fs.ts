// A StorageFs that fails on demand, for tests and the simulator: a full disk (ENOSPC after a byte budget,
// possibly mid-write) or an I/O error on write or fdatasync. Everything else passes through.

import { concatChunks, type StorageFs } from "./storage-fs.ts";

function errnoError(code: string, operation: string): Error {
  return Object.assign(new Error(`${code}: injected fault on ${operation}`), { code });
}

export class FaultInjectingFs implements StorageFs {
  /** Bytes writes may still put down before failing with ENOSPC; null means unlimited. */
  writeBytesLeft: number | null = null;
  /** Makes the next write or sync fail with this code (once each). */
  failNextWrite: string | null = null;
  failNextSync: string | null = null;
  /** Makes every create() and createAsync() fail with this code while set. */
  failCreate: string | null = null;

  constructor(private readonly inner: StorageFs) {}

  openExisting(path: string): number {
    return this.inner.openExisting(path);
  }
  create(path: string): number {
    if (this.failCreate) throw errnoError(this.failCreate, "create");
    return this.inner.create(path);
  }
  createAsync(path: string): Promise<number> {
    if (this.failCreate) return Promise.reject(errnoError(this.failCreate, "create"));
    return this.inner.createAsync(path);
  }
  close(fd: number): void {
    this.inner.close(fd);
  }
  writeAll(fd: number, bytes: Uint8Array, position: number): void {
    if (this.failNextWrite) {
      const code = this.failNextWrite;
      this.failNextWrite = null;
      throw errnoError(code, "write");
    }
    if (this.writeBytesLeft !== null && bytes.length > this.writeBytesLeft) {
      // A full disk takes what fits, then refuses the rest: the caller sees a partial write.
      const fits = this.writeBytesLeft;
      this.inner.writeAll(fd, bytes.subarray(0, fits), position);
      this.writeBytesLeft = 0;
      throw errnoError("ENOSPC", "write");
    }
    if (this.writeBytesLeft !== null) this.writeBytesLeft -= bytes.length;
    this.inner.writeAll(fd, bytes, position);
  }
  writeAllv(fd: number, chunks: readonly Uint8Array[], position: number): void {
    this.writeAll(fd, concatChunks(chunks), position);
  }
  read(fd: number, into: Uint8Array, position: number): number {
    return this.inner.read(fd, into, position);
  }
  datasync(fd: number): Promise<void> {
    if (this.failNextSync) {
      const code = this.failNextSync;
      this.failNextSync = null;
      return Promise.reject(errnoError(code, "fdatasync"));
    }
    return this.inner.datasync(fd);
  }
  datasyncSync(fd: number): void {
    if (this.failNextSync) {
      const code = this.failNextSync;
      this.failNextSync = null;
      throw errnoError(code, "fdatasync");
    }
    this.inner.datasyncSync(fd);
  }
  truncate(fd: number, sizeBytes: number): void {
    this.inner.truncate(fd, sizeBytes);
  }
  sizeOf(fd: number): number {
    return this.inner.sizeOf(fd);
  }
  exists(path: string): boolean {
    return this.inner.exists(path);
  }
  readText(path: string): string {
    return this.inner.readText(path);
  }
  writeFileSynced(path: string, bytes: Uint8Array): void {
    if (this.writeBytesLeft !== null && bytes.length > this.writeBytesLeft) {
      throw errnoError("ENOSPC", "writeFile");
    }
    this.inner.writeFileSynced(path, bytes);
  }
  rename(from: string, to: string): void {
    this.inner.rename(from, to);
  }
  removeTree(path: string): void {
    this.inner.removeTree(path);
  }

  unlink(path: string): void {
    this.inner.unlink(path);
  }
  mkdirs(path: string): void {
    this.inner.mkdirs(path);
  }
  readdir(path: string): string[] {
    return this.inner.readdir(path);
  }
  syncDir(path: string): void {
    this.inner.syncDir(path);
  }
  syncDirAsync(path: string): Promise<void> {
    return this.inner.syncDirAsync(path);
  }
}
