// Small files replaced atomically and durably: write a temporary, fsync it, rename over the old name, fsync
// the directory. A crash leaves either the old or the new content, never a mix.

import { dirname } from "node:path";
import { temporaryFileSuffix } from "./segment-name.ts";
import type { StorageFs } from "./storage-fs.ts";

export function writeFileAtomic(storageFs: StorageFs, path: string, content: string | Uint8Array): void {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const temporary = path + temporaryFileSuffix;
  storageFs.writeFileSynced(temporary, bytes);
  storageFs.rename(temporary, path);
  storageFs.syncDir(dirname(path));
}

/** The file's text, or null if it does not exist. */
export function readFileIfExists(storageFs: StorageFs, path: string): string | null {
  return storageFs.exists(path) ? storageFs.readText(path) : null;
}
