// What MIMALLOC_PURGE_DELAY (how long Bun's allocator keeps freed memory before returning it to the kernel)
// does to the broker: the same 1 KiB acks=all produce run against a fresh chronik-server with Bun's default and
// with the 1000 ms that `npm start` and the Dockerfile set, alternating so both see the same disk. Reported per
// GB produced, so the disk's swings in throughput do not hide the CPU the broker spends.
//
//   node_modules/.bin/bun bench/allocator.bench.ts [--rounds 3] [--seconds 4]

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../test/support/server-process.ts";

const loadPath = join(import.meta.dir, "load", "produce_consume.py");
const clockTicksPerSecond = 100; // Linux USER_HZ, the unit of utime/stime in /proc/PID/stat
const argValue = (flag: string, fallback: number) => {
  const at = process.argv.indexOf(flag);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const rounds = argValue("--rounds", 3);
const seconds = argValue("--seconds", 4);
const settings = [
  { name: "Bun's default", purgeDelay: null },
  { name: "MIMALLOC_PURGE_DELAY=1000", purgeDelay: "1000" },
] as const;

/** User and system CPU seconds the process has used so far. */
function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / clockTicksPerSecond, system: Number(fields[12]) / clockTicksPerSecond };
}

async function load(args: string[]): Promise<Record<string, number>> {
  const proc = Bun.spawn(["/usr/bin/python3", loadPath, ...args], { stdout: "pipe", stderr: "pipe" });
  const [exitCode, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (exitCode !== 0) throw new Error(`load generator ${args[0]} exited ${exitCode}:\n${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
}

async function run(purgeDelay: string | null) {
  const env = { ...process.env };
  if (purgeDelay === null) delete env.MIMALLOC_PURGE_DELAY;
  else env.MIMALLOC_PURGE_DELAY = purgeDelay;
  const server = await startServer({ env });
  const bootstrap = `127.0.0.1:${server.kafkaPort}`;
  try {
    await load(["create", bootstrap, "allocator", "1"]);
    const before = cpuSeconds(server.pid);
    const result = await load(["produce", bootstrap, "allocator", "1024", "-1", String(seconds)]);
    const after = cpuSeconds(server.pid);
    const gigabytes = (result.value_bytes ?? 0) / 1e9;
    return {
      megabytesPerSecond: (gigabytes * 1000) / (result.seconds ?? 1),
      userPerGigabyte: (after.user - before.user) / gigabytes,
      systemPerGigabyte: (after.system - before.system) / gigabytes,
    };
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

console.log(
  `1 KiB values, acks=all, one partition, ${seconds} s per run, a fresh broker per run, settings alternating; ` +
    `CPU is the broker's own (user + system) per GB of payload.\n`,
);
console.log("| round | allocator setting | MB/s | user s/GB | system s/GB | total CPU s/GB |");
console.log("|---:|---|---:|---:|---:|---:|");
for (let round = 1; round <= rounds; round++) {
  for (const setting of settings) {
    const r = await run(setting.purgeDelay);
    const total = r.userPerGigabyte + r.systemPerGigabyte;
    console.log(
      `| ${round} | ${setting.name} | ${r.megabytesPerSecond.toFixed(0)} | ${r.userPerGigabyte.toFixed(2)} | ` +
        `${r.systemPerGigabyte.toFixed(2)} | ${total.toFixed(2)} |`,
    );
  }
}
