// What the disk alone allows, measured in the same run as the broker's figures so the two can stand side by
// side: nothing that acknowledges only after fdatasync can produce faster or answer sooner than these loops,
// which do nothing but write and sync. The virtual disks this runs on vary by 2x from minute to minute, so a
// ceiling taken an hour earlier says little about a run now.

import * as fs from "node:fs";
import { join } from "node:path";
import { zeroAheadBytes, zeroAheadDrainBytesMax } from "../src/storage/limits.ts";

const megabyte = 1_000_000;

/**
 * Sequential writes of `chunkBytes`, each followed by fdatasync, for `seconds`: the throughput ceiling of a
 * log that syncs before it acknowledges. The broker's group commit syncs a few MB at a time under load.
 */
export function syncedWriteCeiling(directory: string, seconds: number, chunkBytes: number) {
  const path = join(directory, "ceiling-writes");
  const fd = fs.openSync(path, "w");
  const chunk = new Uint8Array(chunkBytes).fill(120);
  let written = 0;
  const startedMs = performance.now();
  try {
    while (performance.now() - startedMs < seconds * 1000) {
      fs.writeSync(fd, chunk, 0, chunk.length, written);
      fs.fdatasyncSync(fd);
      written += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(path);
  }
  const elapsedSeconds = (performance.now() - startedMs) / 1000;
  return { megabytesPerSecond: written / elapsedSeconds / megabyte, chunkBytes };
}

const zeros = new Uint8Array(zeroAheadBytes);

/**
 * What a busy segment does after each write (src/storage/segment.ts): after a small write, zeros are kept written
 * up to zeroAheadBytes past it, topped up once fewer than half are left. A ceiling loop calls this so that it
 * syncs into the same kind of file region as the log it bounds.
 */
export function keepZerosAhead(
  fd: number,
  file: { endBytes: number; zeroedTo: number },
  writtenBytes: number,
) {
  if (writtenBytes > zeroAheadDrainBytesMax || file.zeroedTo - file.endBytes >= zeroAheadBytes / 2) return;
  const from = Math.max(file.zeroedTo, file.endBytes);
  fs.writeSync(fd, zeros, 0, file.endBytes + zeroAheadBytes - from, from);
  file.zeroedTo = file.endBytes + zeroAheadBytes;
}

export type LatencyQuantiles = { p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number };

/**
 * An ideal group commit at a steady rate: messages of `messageBytes` arrive every millisecond in equal slices;
 * whatever arrived while a sync ran is written in one write and covered by the next single fdatasync (on the
 * thread pool, as the broker does), with zeros kept written ahead of the writes as a segment keeps them
 * (limits.ts zeroAheadBytes); a message's latency runs from its arrival to the end of the sync covering it.
 * No network, no parsing, no Raft: the floor under an acks=all produce latency on this disk.
 */
export async function groupCommitCeiling(
  directory: string,
  options: { messagesPerSecond: number; seconds: number; messageBytes: number },
): Promise<LatencyQuantiles> {
  const path = join(directory, "ceiling-group-commit");
  const fd = fs.openSync(path, "w");
  const total = Math.round(options.messagesPerSecond * options.seconds);
  const file = { endBytes: 0, zeroedTo: 0 };
  const latenciesMs: number[] = [];
  let arrivedAtMs: number[] = [];
  let syncing = false;
  const startedMs = performance.now();
  let arrived = 0;
  const { promise: finished, resolve: finish } = Promise.withResolvers<void>();

  const commit = () => {
    if (syncing || arrivedAtMs.length === 0) return;
    const batch = arrivedAtMs;
    arrivedAtMs = [];
    const bytes = new Uint8Array(batch.length * options.messageBytes).fill(120);
    fs.writeSync(fd, bytes, 0, bytes.length, file.endBytes);
    file.endBytes += bytes.length;
    keepZerosAhead(fd, file, bytes.length);
    syncing = true;
    fs.fdatasync(fd, (error) => {
      if (error) throw error;
      const nowMs = performance.now();
      for (const arrivedMs of batch) latenciesMs.push(nowMs - arrivedMs);
      syncing = false;
      if (latenciesMs.length === total) finish();
      else commit();
    });
  };
  const arrive = () => {
    const nowMs = performance.now();
    const due = Math.min(total, Math.floor(((nowMs - startedMs) * options.messagesPerSecond) / 1000) + 1);
    for (; arrived < due; arrived++) arrivedAtMs.push(nowMs);
    setImmediate(commit);
    if (arrived < total) setTimeout(arrive, 1);
  };
  arrive();
  await finished;
  fs.closeSync(fd);
  fs.unlinkSync(path);
  latenciesMs.sort((a, b) => a - b);
  const at = (quantile: number) =>
    latenciesMs[Math.min(total - 1, Math.floor(quantile * total))] ?? Number.NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: latenciesMs.at(-1) ?? Number.NaN };
}
