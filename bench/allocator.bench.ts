// What MIMALLOC_PURGE_DELAY (how long Bun's allocator keeps freed memory before returning it to the kernel)
// does to the broker: the same 1 KiB acks=all produce run against a fresh chronik-server with Bun's default and
// with the 1000 ms that `npm start` and the Dockerfile set, alternating so both see the same disk. Reported per
// GB produced, so the disk's swings in throughput do not hide the CPU the broker spends.
//
//   node_modules/.bin/bun bench/allocator.bench.ts [--rounds 3] [--seconds 4]

import { rmSync } from "node:fs";
import { startServer } from "../test/support/server-process.ts";
import { cpuSecondsOf, runLoadGenerator } from "./load/load-generator.ts";

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

async function run(purgeDelay: string | null) {
  const env = { ...process.env };
  if (purgeDelay === null) delete env.MIMALLOC_PURGE_DELAY;
  else env.MIMALLOC_PURGE_DELAY = purgeDelay;
  const server = await startServer({ env });
  const bootstrap = `127.0.0.1:${server.kafkaPort}`;
  try {
    await runLoadGenerator(["create", bootstrap, "allocator", "1"]);
    const before = cpuSecondsOf(server.pid);
    const result = await runLoadGenerator(["produce", bootstrap, "allocator", "1024", "-1", String(seconds)]);
    const after = cpuSecondsOf(server.pid);
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
