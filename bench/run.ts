// Runs every benchmark in bench/ one after another (never in parallel: they would measure each other) and
// echoes their tables. `npm run bench -- storage codec` runs only those whose file names contain a word given.

import { readdirSync } from "node:fs";
import { join } from "node:path";

const benchDir = import.meta.dir;
const filters = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => filters.length === 0 || filters.some((word) => name.includes(word)))
  .sort();

console.log(
  `# Chronik benchmarks — ${new Date().toISOString()}, Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores`,
);
let failures = 0;
for (const name of files) {
  console.log(`\n## ${name}\n`);
  const proc = Bun.spawn([process.execPath, join(benchDir, name)], { stdout: "inherit", stderr: "inherit" });
  const exitCode = await proc.exited;
  if (exitCode !== 0) {
    failures++;
    console.log(`(${name} exited with ${exitCode})`);
  }
}
process.exit(failures === 0 ? 0 : 1);
