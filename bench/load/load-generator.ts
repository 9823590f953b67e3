// What the broker benches share: running the librdkafka load generator (produce_consume.py) as its own process,
// and reading how much CPU a process has used from /proc.

import { readFileSync } from "node:fs";
import { join } from "node:path";

const loadPath = join(import.meta.dir, "produce_consume.py");
const python = "/usr/bin/python3";
const clockTicksPerSecond = 100; // Linux USER_HZ, the unit of utime/stime in /proc/PID/stat

export type LoadResult = Record<string, number>;

/** Runs one produce_consume.py mode to its end; its last stdout line is the JSON result. */
export async function runLoadGenerator(args: string[]): Promise<LoadResult> {
  const proc = Bun.spawn([python, loadPath, ...args], { stdout: "pipe", stderr: "pipe" });
  const [exitCode, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (exitCode !== 0) throw new Error(`load generator ${args.join(" ")} exited ${exitCode}:\n${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
}

/** User and system CPU seconds the process has used so far. */
export function cpuSecondsOf(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name start at field 3 (state); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / clockTicksPerSecond, system: Number(fields[12]) / clockTicksPerSecond };
}
