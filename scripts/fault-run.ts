// A long fault run with real processes, by hand: three chronik-server nodes behind fault proxies, idempotent
// producers and a committing consumer group, and a seeded controller killing, pausing, cutting and delaying for
// the given duration; then it heals, reads everything back and prints faults injected, messages acknowledged,
// lost and duplicated. Exits 1 if anything acknowledged was lost or duplicated, or an invariant broke. Usage:
//   bun scripts/fault-run.ts [--seed 1] [--minutes 5] [--dump DIR]   (DIR: every client's lines, to study a run)
import { runFaults } from "../test/support/fault-run.ts";

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const seed = argument("seed", 1);
const minutes = argument("minutes", 5);
const report = await runFaults({
  seed,
  workloadMs: minutes * 60_000,
  faultMs: [1_000, 8_000],
  gapMs: [1_000, 4_000],
  log: (line) => console.log(line),
  dumpDir: process.argv.includes("--dump") ? process.argv[process.argv.indexOf("--dump") + 1] : undefined,
});
const problems = [
  ...report.lost.map((value) => `lost ${value}`),
  ...report.duplicated.map((value) => `duplicated ${value}`),
  ...report.offsetDisorders,
  ...report.rewrittenReads,
  ...report.commitsAhead,
];
console.log(
  [
    `seed ${report.seed}, ${(report.elapsedMs / 1000).toFixed(0)} s`,
    `faults injected: ${report.faults.length} (${Object.entries(report.faultCounts)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(", ")})`,
    `messages acknowledged: ${report.acknowledged}, failed (never acknowledged): ${report.failed}`,
    `lost: ${report.lost.length}, duplicated: ${report.duplicated.length}`,
    `offsets out of order: ${report.offsetDisorders.length}, consumer reads rewritten: ${report.rewrittenReads.length}, committed offsets ahead of reads: ${report.commitsAhead.length}`,
    `records in the log: ${report.recordsInLog}, consumer reads: ${report.consumerReads}, commits: ${report.consumerCommits}`,
    ...problems.slice(0, 20),
  ].join("\n"),
);
process.exit(problems.length > 0 ? 1 : 0);
