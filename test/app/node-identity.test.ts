// Proves each data directory gets an incarnation id once: a new directory starts in the "new" phase, a reopened
// one keeps its id and the phase last saved (so a rejoin cut short resumes), a directory written before
// identities existed gets one and is settled, and a directory of another node id, or a damaged identity file,
// refuses the start with one line.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadNodeIdentity, nodeIdentityFileName } from "../../src/app/node-identity.ts";
import { StartupRefusal } from "../../src/app/startup-refusal.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { makeTempDir } from "../storage/temp-dir.ts";

let temp: ReturnType<typeof makeTempDir>;
let drawn = 0;
const load = (dataDir: string, nodeId = 1) =>
  loadNodeIdentity({ dataDir, nodeId, storageFs: nodeStorageFs, newIncarnationId: () => `id-${++drawn}` });

beforeEach(() => {
  temp = makeTempDir("chronik-identity-");
});
afterEach(() => temp.remove());

test("a new data directory keeps the incarnation it drew and the phase last saved", () => {
  const dataDir = join(temp.path, "data");
  const first = load(dataDir);
  expect(first).toMatchObject({ nodeId: 1, incarnationId: `id-${drawn}`, phase: "new" });
  // A crash before the node knew whether it replaces a lost incarnation: still new.
  expect(load(dataDir)).toMatchObject({ incarnationId: first.incarnationId, phase: "new" });
  first.save("rejoining");
  expect(load(dataDir)).toMatchObject({ incarnationId: first.incarnationId, phase: "rejoining" });
  first.save("settled");
  expect(load(dataDir).phase).toBe("settled");
});

test("a directory holding partitions but no identity gets one and is settled", () => {
  mkdirSync(join(temp.path, "__cluster_metadata-0"), { recursive: true });
  const identity = load(temp.path);
  expect(identity.phase).toBe("settled");
  expect(load(temp.path).incarnationId).toBe(identity.incarnationId);
});

test("another node's directory, or a damaged identity, refuses the start", () => {
  load(temp.path, 1);
  expect(() => load(temp.path, 2)).toThrow(StartupRefusal);
  expect(() => load(temp.path, 2)).toThrow("is the data directory of node 1, not of node 2");
  writeFileSync(join(temp.path, nodeIdentityFileName), "{not json");
  expect(() => load(temp.path, 1)).toThrow("is damaged");
});
