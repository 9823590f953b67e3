// The identity of one data directory: the node id it belongs to and an incarnation id drawn once, when the
// directory is first used (KRaft's directory id, KIP-853). A node restarted over a new, empty directory gets a
// new incarnation, which is how it and its peers know it may have lost what it had persisted
// (cluster/rejoin.ts). A directory of another node id is refused: the node would serve another's data.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readFileIfExists, writeFileAtomic } from "../storage/atomic-file.ts";
import { parsePartitionDirName } from "../storage/segment-name.ts";
import type { StorageFs } from "../storage/storage-fs.ts";
import { StartupRefusal } from "./startup-refusal.ts";

export const nodeIdentityFileName = "node-identity.json";

export interface NodeIdentity {
  readonly nodeId: number;
  readonly incarnationId: string;
  /**
   * The directory held nothing of a node before this start: no identity and no partition or Raft state. A
   * directory written before identities existed gets one now and is not new.
   */
  readonly fresh: boolean;
}

export function loadNodeIdentity(input: {
  readonly dataDir: string;
  readonly nodeId: number;
  readonly storageFs: StorageFs;
  readonly newIncarnationId: () => string;
}): NodeIdentity {
  const { dataDir, nodeId, storageFs } = input;
  storageFs.mkdirs(dataDir);
  const path = join(dataDir, nodeIdentityFileName);
  const text = readFileIfExists(storageFs, path);
  if (text !== null) {
    const stored = parseIdentity(path, text);
    if (stored.nodeId !== nodeId) {
      throw new StartupRefusal(
        `${dataDir} is the data directory of node ${stored.nodeId}, not of node ${nodeId}: start node ` +
          `${nodeId} over its own data directory (or an empty one)`,
      );
    }
    return { nodeId, incarnationId: stored.incarnationId, fresh: false };
  }
  const holdsState = readdirSync(dataDir).some((name) => parsePartitionDirName(name) !== null);
  const identity = { nodeId, incarnationId: input.newIncarnationId() };
  writeFileAtomic(storageFs, path, JSON.stringify({ version: 1, ...identity }));
  return { ...identity, fresh: !holdsState };
}

function parseIdentity(path: string, text: string): { nodeId: number; incarnationId: string } {
  let parsed: { version?: number; nodeId?: number; incarnationId?: string };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StartupRefusal(`${path} is damaged (not JSON): ${text.slice(0, 80)}`);
  }
  if (
    parsed.version !== 1 ||
    !Number.isSafeInteger(parsed.nodeId) ||
    typeof parsed.incarnationId !== "string"
  ) {
    throw new StartupRefusal(`${path} is not a node identity: ${text.slice(0, 80)}`);
  }
  return { nodeId: parsed.nodeId!, incarnationId: parsed.incarnationId };
}
