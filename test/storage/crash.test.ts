// Proves durability across SIGKILL with real processes: every batch a child acknowledged (after its
// fdatasync) is there byte for byte after reopening, and nothing past a torn tail — including garbage left
// at the end of the last segment — is ever served.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { batchOffsets, scanBatches } from "../../src/protocol/records/batch-header.ts";
import { FilePool } from "../../src/storage/file-pool.ts";
import { logConfigOf } from "../../src/storage/log-config.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { nodeStorageFs } from "../../src/storage/storage-fs.ts";
import { baseOffsetOf, makeNumberedBatch, numberOfBatch, prng, randomInt } from "./batch-fixture.ts";
import { makeTempDir } from "./temp-dir.ts";

const rounds = 12;
const childPath = join(import.meta.dir, "crash-child.ts");

interface Ack {
  n: number;
  base: number;
  last: number;
  epoch: number;
}

let temp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  temp = makeTempDir("chronik-crash-");
});
afterAll(() => temp.remove());

/** Runs the child until a random moment after its first acknowledgement, SIGKILLs it, returns its acks. */
async function runAndKill(dir: string, firstN: number, killAfterMs: number): Promise<Ack[]> {
  const child = Bun.spawn([process.execPath, childPath, dir, String(firstN), "8"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  let text = "";
  const reader = child.stdout.getReader();
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (killTimer === undefined && text.includes("\nack ")) {
      killTimer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    }
  }
  await child.exited;
  if (child.signalCode !== "SIGKILL") console.error(await new Response(child.stderr).text());
  expect(child.signalCode).toBe("SIGKILL");
  return text
    .split("\n")
    .filter((line) => line.startsWith("ack "))
    .map((line) => {
      const [, n, base, last, epoch] = line.split(" ").map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      return { n, base, last, epoch };
    });
}

function openLog(dir: string, lines: string[]): PartitionLog {
  return PartitionLog.open({
    dir,
    config: logConfigOf({ segmentBytes: 48 * 1024, indexIntervalBytes: 1024 }),
    pool: new FilePool(nodeStorageFs, 16),
    clock: new ManualClock(),
    log: (line) => lines.push(line),
  });
}

/** Every batch served is a whole, CRC-valid numbered batch, in offset order with no gap. */
function checkWholeLog(log: PartitionLog): Map<number, { n: number; bytes: Uint8Array }> {
  const byOffset = new Map<number, { n: number; bytes: Uint8Array }>();
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: 256 * 1024 });
    const scanned = scanBatches(read.bytes, { verifyCrc: true });
    expect(scanned.problem).toBeNull();
    for (const span of scanned.spans) {
      const bytes = read.bytes.subarray(span.position, span.position + span.size);
      expect(baseOffsetOf(bytes)).toBe(offset);
      const n = numberOfBatch(bytes);
      expect(bytes.subarray(batchOffsets.crc)).toEqual(makeNumberedBatch(n).subarray(batchOffsets.crc));
      byOffset.set(offset, { n, bytes });
      offset += 1 + (n % 4);
    }
    expect(read.nextOffset).toBe(offset);
  }
  return byOffset;
}

test("every acknowledged batch survives SIGKILL at random moments; torn tails are dropped", async () => {
  const dir = join(temp.path, "crash-0");
  const random = prng(42);
  const acked: Ack[] = [];
  for (let round = 0; round < rounds; round++) {
    const acks = await runAndKill(dir, round * 1_000_000, randomInt(random, 20, 250));
    acked.push(...acks);
    if (round % 2 === 1) {
      // A write the OS tore: a partial batch left after the last acknowledged one.
      const last = readdirSync(dir)
        .filter((name) => name.endsWith(".log"))
        .sort()
        .pop()!;
      appendFileSync(join(dir, last), makeNumberedBatch(999_999).subarray(0, randomInt(random, 1, 200)));
    }
    const lines: string[] = [];
    const log = openLog(dir, lines);
    if (round % 2 === 1) expect(lines.some((line) => line.includes("dropping"))).toBe(true);
    const served = checkWholeLog(log);
    for (const ack of acked) {
      const batch = served.get(ack.base);
      expect(batch?.n).toBe(ack.n);
      expect(
        new DataView(batch!.bytes.buffer, batch!.bytes.byteOffset).getInt32(
          batchOffsets.partitionLeaderEpoch,
        ),
      ).toBe(ack.epoch);
    }
    await log.close();
  }
  expect(acked.length).toBeGreaterThanOrEqual(rounds);
}, 60_000);
