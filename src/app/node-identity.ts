// The identity of one data directory: the node id it belongs to and an incarnation id drawn once, when the
// directory is first used (KRaft's directory id, KIP-853). A node restarted over a new, empty directory gets a
// new incarnation, which is how it and its peers know it may have lost what it had persisted
// (cluster/rejoin.ts). The file also keeps where the directory is in that story — new (not yet known whether it
// replaces a lost one), rejoining, or settled — so a crash in the middle of a rejoin never lets the next start
// vote as if it remembered. A directory of another node id is refused: the node would serve another's data.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readFileIfExists, writeFileAtomic } from "../storage/atomic-file.ts";
import { parsePartitionDirName } from "../storage/segment-name.ts";
import type { StorageFs } from "../storage/storage-fs.ts";
import { StartupRefusal } from "./startup-refusal.ts";

export const nodeIdentityFileName = "node-identity.json";

/**
 * new: created with nothing of a node in it, and not yet known to replace a lost incarnation; rejoining: it does,
 * and has not caught up everywhere yet; settled: it votes as its own memory says. A directory written before
 * identities existed is settled.
 */
export type IdentityPhase = "new" | "rejoining" | "settled";

export interface NodeIdentity {
  readonly nodeId: number;
  readonly incarnationId: string;
  /** The phase the directory was in when this process started. */
  readonly phase: IdentityPhase;
  /** Records a later phase durably. */
  save(phase: IdentityPhase): void;
}

const phases: readonly IdentityPhase[] = ["new", "rejoining", "settled"];

export function loadNodeIdentity(input: {
  readonly dataDir: string;
  readonly nodeId: number;
  readonly storageFs: StorageFs;
  readonly newIncarnationId: () => string;
}): NodeIdentity {
  const { dataDir, nodeId, storageFs } = input;
  storageFs.mkdirs(dataDir);
  const path = join(dataDir, nodeIdentityFileName);
  const saver = (incarnationId: string) => (phase: IdentityPhase) =>
    writeFileAtomic(storageFs, path, JSON.stringify({ version: 1, nodeId, incarnationId, phase }));
  const text = readFileIfExists(storageFs, path);
  if (text !== null) {
    const stored = parseIdentity(path, text);
    if (stored.nodeId !== nodeId) {
      throw new StartupRefusal(
        `${dataDir} is the data directory of node ${stored.nodeId}, not of node ${nodeId}: start node ` +
          `${nodeId} over its own data directory (or an empty one)`,
      );
    }
    const { incarnationId, phase } = stored;
    return { nodeId, incarnationId, phase, save: saver(incarnationId) };
  }
  const holdsState = readdirSync(dataDir).some((name) => parsePartitionDirName(name) !== null);
  const incarnationId = input.newIncarnationId();
  const phase: IdentityPhase = holdsState ? "settled" : "new";
  const save = saver(incarnationId);
  save(phase);
  return { nodeId, incarnationId, phase, save };
}

function parseIdentity(
  path: string,
  text: string,
): { nodeId: number; incarnationId: string; phase: IdentityPhase } {
  let parsed: { version?: number; nodeId?: number; incarnationId?: string; phase?: IdentityPhase };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StartupRefusal(`${path} is damaged (not JSON): ${text.slice(0, 80)}`);
  }
  if (
    parsed.version !== 1 ||
    !Number.isSafeInteger(parsed.nodeId) ||
    typeof parsed.incarnationId !== "string" ||
    !phases.includes(parsed.phase as IdentityPhase)
  ) {
    throw new StartupRefusal(`${path} is not a node identity: ${text.slice(0, 80)}`);
  }
  return { nodeId: parsed.nodeId!, incarnationId: parsed.incarnationId, phase: parsed.phase! };
}
