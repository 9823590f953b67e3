// Raft hard state — {term, votedFor, commit} — stored atomically and durably (write a temporary, fsync,
// rename, fsync the directory), with a CRC so a damaged file is refused rather than trusted.

import { join } from "node:path";
import { crc32c } from "../protocol/crc32c.ts";
import { readFileIfExists, writeFileAtomic } from "./atomic-file.ts";
import { hardStateFileName } from "./segment-name.ts";
import { CorruptLogError } from "./storage-error.ts";
import type { StorageFs } from "./storage-fs.ts";

export interface HardState {
  term: number;
  /** Node id voted for in `term`, or -1 for none. */
  votedFor: number;
  commit: number;
}

export const hardStateEmpty: HardState = { term: 0, votedFor: -1, commit: 0 };

const formatVersion = 1;

export function encodeHardState(state: HardState): string {
  const body = `${formatVersion} ${state.term} ${state.votedFor} ${state.commit}`;
  return `${body} ${crc32c(new TextEncoder().encode(body))}\n`;
}

export function decodeHardState(text: string): HardState | string {
  const parts = text.trim().split(" ");
  if (parts.length !== 5) return "hard state has the wrong number of fields";
  const body = parts.slice(0, 4).join(" ");
  if (String(crc32c(new TextEncoder().encode(body))) !== parts[4]) return "hard state CRC mismatch";
  if (parts[0] !== String(formatVersion)) return `hard state version ${parts[0]}`;
  const [term, votedFor, commit] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isSafeInteger(term) || term < 0) return "hard state term";
  if (!Number.isSafeInteger(votedFor) || votedFor < -1) return "hard state votedFor";
  if (!Number.isSafeInteger(commit) || commit < 0) return "hard state commit";
  return { term, votedFor, commit };
}

/** Reads and writes the hard state file of one Raft group in its directory. */
export class HardStateStore {
  private readonly path: string;

  constructor(
    private readonly storageFs: StorageFs,
    dir: string,
  ) {
    this.path = join(dir, hardStateFileName);
  }

  /** The stored state, the empty state if none was ever saved; throws CorruptLogError if damaged. */
  load(): HardState {
    const text = readFileIfExists(this.storageFs, this.path);
    if (text === null) return { ...hardStateEmpty };
    const decoded = decodeHardState(text);
    if (typeof decoded === "string") throw new CorruptLogError(`${this.path}: ${decoded}`);
    return decoded;
  }

  /** Returns once the state is durable; a crash leaves the old or the new state, never a mix. */
  save(state: HardState): void {
    writeFileAtomic(this.storageFs, this.path, encodeHardState(state));
  }
}
