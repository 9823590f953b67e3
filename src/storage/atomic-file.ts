// Small files replaced atomically and durably: write a temporary, fsync it, rename over the old name, fsync
// the directory. A crash leaves either the old or the new content, never a mix.

import { dirname } from "node:path";
import { temporaryFileSuffix } from "./segment-name.ts";
import type { StorageFs } from "./storage-fs.ts";

/** Written synchronously: on return the new content is durable under `path`. */
export function writeFileAtomic(storageFs: StorageFs, path: string, content: string | Uint8Array): void {
  const temporary = path + temporaryFileSuffix;
  storageFs.writeFileSynced(temporary, bytesOf(content));
  storageFs.rename(temporary, path);
  storageFs.syncDir(dirname(path));
}

/**
 * writeFileAtomic with the temporary's creation and both fsyncs on the thread pool, so the event loop never
 * waits for the disk. Such writes may overlap each other and synchronous ones; each has a temporary name of
 * its own (`tag`), and `isCurrent`, asked just before the rename, lets the caller drop one that a newer write
 * has overtaken, so an older content never lands over a newer one. Resolves true once the content is durable
 * under `path`, false if it was dropped.
 */
export async function writeFileAtomicInBackground(
  storageFs: StorageFs,
  path: string,
  content: string | Uint8Array,
  options: { tag: string; isCurrent: () => boolean },
): Promise<boolean> {
  const temporary = `${path}.${options.tag}${temporaryFileSuffix}`;
  const fd = await storageFs.createAsync(temporary);
  try {
    storageFs.writeAll(fd, bytesOf(content), 0);
    await storageFs.datasync(fd);
  } catch (error) {
    // A full disk fails every minute: leave no temporary behind each time (the next open would remove it).
    storageFs.close(fd);
    unlinkQuietly(storageFs, temporary);
    throw error;
  }
  storageFs.close(fd);
  // The check and the rename run in one turn of the event loop: no write can slip in between.
  if (!options.isCurrent()) {
    storageFs.unlink(temporary);
    return false;
  }
  storageFs.rename(temporary, path);
  await storageFs.syncDirAsync(dirname(path));
  return true;
}

function bytesOf(content: string | Uint8Array): Uint8Array {
  return typeof content === "string" ? new TextEncoder().encode(content) : content;
}

function unlinkQuietly(storageFs: StorageFs, path: string): void {
  try {
    storageFs.unlink(path);
  } catch {
    // Already gone, or the directory is: nothing is left to clean.
  }
}

/** The file's text, or null if it does not exist. */
export function readFileIfExists(storageFs: StorageFs, path: string): string | null {
  return storageFs.exists(path) ? storageFs.readText(path) : null;
}
