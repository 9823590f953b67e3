// An in-memory disk for the whole-node simulator that forgets what a real one may forget on power loss. Every
// file has the bytes the running process sees and the bytes a crash leaves: fdatasync makes the first the
// second, some time later on the simulated clock; a crash keeps the durable bytes plus, at random, a prefix of
// what was appended since (a torn tail). Names follow the strictest POSIX reading: a created, renamed or
// unlinked name survives a crash only once its directory has been fsynced. Directories themselves are durable
// as soon as made (the broker makes them once, at first start, and fsyncs their parents).
//
// Each process incarnation gets its own view (StorageFs); a crash kills the views handed out before it, so
// what a dead process still has in flight — a sync, a write from a pending callback — neither completes nor
// touches the disk the next incarnation opens.

import type { Prng } from "../../../src/base/prng.ts";
import type { StorageFs } from "../../../src/storage/index.ts";

interface Inode {
  /** What the running process reads; its length is the file size. */
  bytes: Uint8Array;
  /** What survives a crash. */
  durable: Uint8Array;
  /** Bumped by every change to `bytes`; a sync records the version it captured. */
  version: number;
  durableVersion: number;
}

/** When an asynchronous operation completes: the simulator's clock and a delay it draws. */
export interface DiskTiming {
  readonly setTimeout: (run: () => void, delayMs: number) => void;
  /** Milliseconds an fdatasync (or an fsync of a directory) takes. */
  readonly syncDelayMs: () => number;
}

export interface DiskStats {
  syncs: number;
  tornTails: number;
  lostNames: number;
  failedSyncs: number;
  fullDiskWrites: number;
}

function errnoError(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

export class SimDisk {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private readonly dirs = new Set<string>(["/"]);
  private incarnation = 0;
  /** Bytes writes may still add before ENOSPC; null is unlimited. */
  bytesFree: number | null = null;
  /** The next fdatasync fails with EIO, and what it covered is not made durable. */
  failNextSync = false;
  readonly stats: DiskStats = { syncs: 0, tornTails: 0, lostNames: 0, failedSyncs: 0, fullDiskWrites: 0 };

  /**
   * Power loss: the process's view becomes what was durable, each file possibly with a prefix of its unsynced
   * appended tail (writes reach the platter in order, so a prefix is what a crash may leave).
   */
  crash(rng: Prng, tornTailChance: number): void {
    this.incarnation += 1;
    const survivors = new Set(this.durableNames.values());
    for (const name of this.names.keys()) if (!this.durableNames.has(name)) this.stats.lostNames += 1;
    for (const inode of survivors) {
      let kept = inode.durable;
      const appendedOnly =
        inode.bytes.length > inode.durable.length &&
        inode.durable.every((byte, index) => inode.bytes[index] === byte);
      if (appendedOnly && rng.chance(tornTailChance)) {
        const extra = 1 + rng.int(inode.bytes.length - inode.durable.length);
        kept = inode.bytes.slice(0, inode.durable.length + extra);
        this.stats.tornTails += 1;
      }
      inode.bytes = kept.slice();
      inode.durable = kept.slice();
      inode.version += 1;
      inode.durableVersion = inode.version;
    }
    this.names = new Map(this.durableNames);
  }

  /** A StorageFs for the process incarnation starting now; it stops working at the next crash. */
  view(timing: DiskTiming): StorageFs {
    return new SimDiskView(this, this.incarnation, timing);
  }

  // ---- what the views call --------------------------------------------------------------------------------

  /** @internal */
  checkAlive(incarnation: number, operation: string): void {
    if (incarnation !== this.incarnation) throw errnoError("EIO", `${operation} by a crashed process`);
  }

  /** @internal */
  isAlive(incarnation: number): boolean {
    return incarnation === this.incarnation;
  }

  /** @internal */
  lookup(path: string): Inode | undefined {
    return this.names.get(path);
  }

  /** @internal */
  create(path: string): Inode {
    if (!this.dirs.has(parentOf(path))) throw errnoError("ENOENT", `no directory for ${path}`);
    const inode: Inode = {
      bytes: new Uint8Array(0),
      durable: new Uint8Array(0),
      version: 0,
      durableVersion: 0,
    };
    this.names.set(path, inode);
    return inode;
  }

  /** @internal Writes at position, growing the file; a full disk takes what fits, then refuses the rest. */
  write(inode: Inode, data: Uint8Array, position: number): void {
    const oldLength = inode.bytes.length;
    const growth = Math.max(0, position + data.length - oldLength);
    let fitting = data;
    if (this.bytesFree !== null && growth > this.bytesFree) {
      fitting = data.subarray(0, Math.max(0, data.length - (growth - this.bytesFree)));
    }
    const end = position + fitting.length;
    if (end > oldLength) {
      const grown = new Uint8Array(end);
      grown.set(inode.bytes);
      inode.bytes = grown;
    }
    inode.bytes.set(fitting, position);
    inode.version += 1;
    if (this.bytesFree !== null) this.bytesFree -= Math.max(0, end - oldLength);
    if (fitting.length < data.length) {
      this.stats.fullDiskWrites += 1;
      throw errnoError("ENOSPC", "no space left on the simulated disk");
    }
  }

  /** @internal */
  truncate(inode: Inode, size: number): void {
    if (size < inode.bytes.length) inode.bytes = inode.bytes.slice(0, size);
    else if (size > inode.bytes.length) {
      const grown = new Uint8Array(size);
      grown.set(inode.bytes);
      inode.bytes = grown;
    }
    inode.version += 1;
  }

  /** @internal What a sync started now will make durable when it completes; null if this one fails. */
  captureSync(inode: Inode): (() => void) | null {
    this.stats.syncs += 1;
    if (this.failNextSync) {
      this.failNextSync = false;
      this.stats.failedSyncs += 1;
      return null;
    }
    const bytes = inode.bytes.slice();
    const version = inode.version;
    return () => {
      if (version <= inode.durableVersion) return;
      inode.durable = bytes;
      inode.durableVersion = version;
    };
  }

  /** @internal */
  rename(from: string, to: string): void {
    const inode = this.names.get(from);
    if (inode === undefined) throw errnoError("ENOENT", `rename of ${from}`);
    this.names.delete(from);
    this.names.set(to, inode);
  }

  /** @internal */
  unlink(path: string): void {
    if (!this.names.delete(path)) throw errnoError("ENOENT", `unlink of ${path}`);
  }

  /** @internal */
  removeTree(path: string): void {
    for (const name of [...this.names.keys()]) if (name.startsWith(`${path}/`)) this.names.delete(name);
    for (const dir of [...this.dirs]) if (dir === path || dir.startsWith(`${path}/`)) this.dirs.delete(dir);
    // Removing a tree is as durable as the fsync of its parent the broker does next; modelled as at once.
    for (const name of [...this.durableNames.keys()])
      if (name.startsWith(`${path}/`)) this.durableNames.delete(name);
  }

  /** @internal */
  mkdirs(path: string): void {
    let dir = path;
    while (dir !== "/" && dir !== "" && !this.dirs.has(dir)) {
      this.dirs.add(dir);
      dir = parentOf(dir);
    }
  }

  /** @internal */
  readdir(path: string): string[] {
    if (!this.dirs.has(path)) throw errnoError("ENOENT", `readdir of ${path}`);
    const entries = new Set<string>();
    const prefix = `${path}/`;
    for (const name of [...this.names.keys(), ...this.dirs]) {
      if (!name.startsWith(prefix)) continue;
      entries.add(name.slice(prefix.length).split("/")[0]!);
    }
    return [...entries].sort();
  }

  /** @internal What an fsync of `dir` started now will make durable: the names in it as they are now. */
  captureDirSync(dir: string): () => void {
    this.stats.syncs += 1;
    const inDir = (name: string) => parentOf(name) === dir;
    const now = [...this.names].filter(([name]) => inDir(name));
    return () => {
      for (const name of [...this.durableNames.keys()]) if (inDir(name)) this.durableNames.delete(name);
      for (const [name, inode] of now) this.durableNames.set(name, inode);
    };
  }

  /** @internal */
  hasDir(path: string): boolean {
    return this.dirs.has(path);
  }
}

/** One process incarnation's file descriptors over a SimDisk. */
class SimDiskView implements StorageFs {
  private readonly fds = new Map<number, Inode>();
  private nextFd = 3;

  constructor(
    private readonly disk: SimDisk,
    private readonly incarnation: number,
    private readonly timing: DiskTiming,
  ) {}

  private inode(fd: number, operation: string): Inode {
    this.disk.checkAlive(this.incarnation, operation);
    const inode = this.fds.get(fd);
    if (inode === undefined) throw errnoError("EBADF", `${operation} on fd ${fd}`);
    return inode;
  }

  private open(inode: Inode): number {
    const fd = this.nextFd++;
    this.fds.set(fd, inode);
    return fd;
  }

  /** Runs `complete` after a sync's delay, unless the process died meanwhile (then never settles). */
  private later<T>(complete: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.timing.setTimeout(() => {
        if (!this.disk.isAlive(this.incarnation)) return;
        try {
          resolve(complete());
        } catch (error) {
          reject(error);
        }
      }, this.timing.syncDelayMs());
    });
  }

  openExisting(path: string): number {
    this.disk.checkAlive(this.incarnation, "open");
    const inode = this.disk.lookup(path);
    if (inode === undefined) throw errnoError("ENOENT", `open of ${path}`);
    return this.open(inode);
  }
  create(path: string): number {
    this.disk.checkAlive(this.incarnation, "create");
    return this.open(this.disk.create(path));
  }
  createAsync(path: string): Promise<number> {
    return this.later(() => this.create(path));
  }
  close(fd: number): void {
    this.inode(fd, "close");
    this.fds.delete(fd);
  }
  writeAll(fd: number, bytes: Uint8Array, position: number): void {
    this.disk.write(this.inode(fd, "write"), bytes, position);
  }
  writeAllv(fd: number, chunks: readonly Uint8Array[], position: number): void {
    let at = position;
    for (const chunk of chunks) {
      this.writeAll(fd, chunk, at);
      at += chunk.length;
    }
  }
  read(fd: number, into: Uint8Array, position: number): number {
    const inode = this.inode(fd, "read");
    const available = Math.max(0, Math.min(into.length, inode.bytes.length - position));
    into.set(inode.bytes.subarray(position, position + available));
    return available;
  }
  datasync(fd: number): Promise<void> {
    const inode = this.inode(fd, "fdatasync");
    const complete = this.disk.captureSync(inode);
    return this.later(() => {
      if (complete === null) throw errnoError("EIO", "fdatasync failed on the simulated disk");
      complete();
    });
  }
  datasyncSync(fd: number): void {
    const complete = this.disk.captureSync(this.inode(fd, "fdatasync"));
    if (complete === null) throw errnoError("EIO", "fdatasync failed on the simulated disk");
    complete();
  }
  truncate(fd: number, sizeBytes: number): void {
    this.disk.truncate(this.inode(fd, "truncate"), sizeBytes);
  }
  sizeOf(fd: number): number {
    return this.inode(fd, "fstat").bytes.length;
  }
  exists(path: string): boolean {
    this.disk.checkAlive(this.incarnation, "stat");
    return this.disk.lookup(path) !== undefined || this.disk.hasDir(path);
  }
  readText(path: string): string {
    this.disk.checkAlive(this.incarnation, "read");
    const inode = this.disk.lookup(path);
    if (inode === undefined) throw errnoError("ENOENT", `read of ${path}`);
    return new TextDecoder().decode(inode.bytes);
  }
  writeFileSynced(path: string, bytes: Uint8Array): void {
    const fd = this.create(path);
    try {
      this.writeAll(fd, bytes, 0);
      this.datasyncSync(fd);
    } finally {
      this.close(fd);
    }
  }
  rename(from: string, to: string): void {
    this.disk.checkAlive(this.incarnation, "rename");
    this.disk.rename(from, to);
  }
  unlink(path: string): void {
    this.disk.checkAlive(this.incarnation, "unlink");
    this.disk.unlink(path);
  }
  removeTree(path: string): void {
    this.disk.checkAlive(this.incarnation, "rm");
    this.disk.removeTree(path);
  }
  mkdirs(path: string): void {
    this.disk.checkAlive(this.incarnation, "mkdir");
    this.disk.mkdirs(path);
  }
  readdir(path: string): string[] {
    this.disk.checkAlive(this.incarnation, "readdir");
    return this.disk.readdir(path);
  }
  syncDir(path: string): void {
    this.disk.checkAlive(this.incarnation, "fsync");
    this.disk.captureDirSync(path)();
  }
  syncDirAsync(path: string): Promise<void> {
    this.disk.checkAlive(this.incarnation, "fsync");
    const complete = this.disk.captureDirSync(path);
    return this.later(complete);
  }
}
