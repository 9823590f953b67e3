// The hard state of one Raft group (term, vote, commit offset, committed membership) in a small JSON file,
// replaced atomically and durably (write a temporary, fsync, rename, fsync the directory). The body carries
// a CRC-32C so a damaged file is refused: silently starting over could forget a vote and elect two leaders.

import { crc32c } from "../../protocol/crc32c.ts";
import { readFileIfExists, writeFileAtomic } from "../../storage/atomic-file.ts";
import { nodeStorageFs, type StorageFs } from "../../storage/storage-fs.ts";
import type { HardState, MembershipConfig, NodeId } from "../core/index.ts";
import type { RaftHardStateStore } from "./storage-ports.ts";

const formatVersion = 1;

export interface FileHardStateStoreOptions {
  readonly path: string;
  /** What load() returns before anything was saved: term 0, no vote, commit -1, the bootstrap membership. */
  readonly initial: HardState;
  readonly storageFs?: StorageFs;
}

export class HardStateFileError extends Error {
  override name = "HardStateFileError";
}

export class FileHardStateStore implements RaftHardStateStore {
  readonly path: string;
  private readonly initial: HardState;
  private readonly storageFs: StorageFs;

  constructor(options: FileHardStateStoreOptions) {
    this.path = options.path;
    this.initial = options.initial;
    this.storageFs = options.storageFs ?? nodeStorageFs;
  }

  /** The saved state, or the initial one if the file does not exist; throws HardStateFileError if damaged. */
  load(): HardState {
    const text = readFileIfExists(this.storageFs, this.path);
    if (text === null) return this.initial;
    const decoded = decodeHardState(text);
    if (typeof decoded === "string") throw new HardStateFileError(`${this.path}: ${decoded}`);
    return decoded;
  }

  /**
   * The write is synchronous (writeFileAtomic fsyncs before returning), so the promise is already settled
   * when save returns; it is a promise so a store with asynchronous I/O can serve the same driver.
   */
  save(state: HardState): Promise<void> {
    try {
      writeFileAtomic(this.storageFs, this.path, encodeHardState(state));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

export function encodeHardState(state: HardState): string {
  const body = JSON.stringify({
    term: state.term,
    votedFor: state.votedFor,
    commitOffset: state.commitOffset,
    config: { voters: state.config.voters, learners: state.config.learners },
  });
  return `${JSON.stringify({ version: formatVersion, crc32c: crcOf(body), state: JSON.parse(body) })}\n`;
}

/** The state in text, or why it cannot be trusted. */
export function decodeHardState(text: string): HardState | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "hard state is not JSON";
  }
  if (!isRecord(parsed)) return "hard state is not an object";
  if (parsed.version !== formatVersion) return `hard state version ${String(parsed.version)}`;
  if (!isRecord(parsed.state)) return "hard state has no state";
  if (parsed.crc32c !== crcOf(JSON.stringify(parsed.state))) return "hard state CRC mismatch";
  return validState(parsed.state);
}

function validState(state: Record<string, unknown>): HardState | string {
  const { term, votedFor, commitOffset, config } = state;
  if (!isCount(term)) return "hard state term";
  if (votedFor !== null && !isCount(votedFor)) return "hard state votedFor";
  if (!Number.isSafeInteger(commitOffset) || (commitOffset as number) < -1) return "hard state commitOffset";
  if (!isRecord(config) || !isIdList(config.voters) || !isIdList(config.learners)) return "hard state config";
  const membership: MembershipConfig = { voters: config.voters, learners: config.learners };
  return { term, votedFor, commitOffset: commitOffset as number, config: membership };
}

function crcOf(body: string): number {
  return crc32c(new TextEncoder().encode(body));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isIdList(value: unknown): value is NodeId[] {
  return Array.isArray(value) && value.every(isCount);
}
