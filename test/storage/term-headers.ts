// Test helper: turns a partition directory into what builds before log format 2 wrote — every batch header
// and the leader-epoch checkpoint holding Raft terms (the leader epoch + 1), and no log-format file — so
// tests can prove such a directory is read correctly after the upgrade. Everything else (offsets, CRCs,
// indexes, the Raft mark and hard state, which always held terms) was written the same way by those builds.

import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readInt32, writeInt32 } from "../../src/protocol/primitives/big-endian.ts";
import { batchOffsets, scanBatches } from "../../src/protocol/records/batch-header.ts";

/** Rewrites one partition directory with term headers; returns how many batch headers it raised. */
export function rewriteWithTermHeaders(dir: string): number {
  let raised = 0;
  for (const name of readdirSync(dir).filter((file) => file.endsWith(".log"))) {
    const path = join(dir, name);
    const bytes = new Uint8Array(readFileSync(path));
    // Zeros written ahead of the appends end the scan, as they end the log.
    for (const span of scanBatches(bytes, { verifyCrc: true }).spans) {
      const at = span.position + batchOffsets.partitionLeaderEpoch;
      writeInt32(bytes, at, readInt32(bytes, at) + 1);
      raised += 1;
    }
    writeFileSync(path, bytes);
  }
  const checkpoint = join(dir, "leader-epoch-checkpoint");
  if (existsSync(checkpoint)) {
    const [version, count, ...lines] = readFileSync(checkpoint, "utf8").trim().split("\n");
    const raisedLines = lines.map((line) => {
      const [epoch, startOffset] = line.split(" ");
      return `${Number(epoch) + 1} ${startOffset}`;
    });
    writeFileSync(checkpoint, `${[version, count, ...raisedLines].join("\n")}\n`);
  }
  rmSync(join(dir, "log-format"), { force: true });
  return raised;
}

/** rewriteWithTermHeaders for every partition directory of a broker's data directory. */
export function rewriteDataDirWithTermHeaders(dataDir: string): number {
  let raised = 0;
  for (const name of readdirSync(dataDir)) {
    const dir = join(dataDir, name);
    if (statSync(dir).isDirectory() && existsSync(join(dir, "log-format")))
      raised += rewriteWithTermHeaders(dir);
  }
  return raised;
}
