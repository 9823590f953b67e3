// npm run build:bin: compiles chronik-server and chronik into single executables in dist/ with
// `bun build --compile`. They run without node_modules: the native addons (lz4-napi, snappy, @node-rs/crc32)
// are required by static paths, so Bun embeds their .node files and loads them from a temporary copy at start.
// --bytecode is not used: it fails on entry points with top-level await (DESIGN.md, Packaging).

import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const root = join(import.meta.dir, "..");
/** dist/ by default; a test builds into a directory of its own. */
const outDir = resolve(root, process.argv[2] ?? "dist");
const binaries = [
  { entry: "src/main.ts", name: "chronik-server" },
  { entry: "src/chronik.ts", name: "chronik" },
];

mkdirSync(outDir, { recursive: true });
for (const { entry, name } of binaries) {
  const outfile = join(outDir, name);
  const build = Bun.spawnSync(
    [process.execPath, "build", "--compile", join(root, entry), "--outfile", outfile],
    { cwd: root, stdout: "inherit", stderr: "inherit" },
  );
  if (build.exitCode !== 0) {
    console.error(`build:bin: compiling ${entry} failed (exit ${build.exitCode})`);
    process.exit(1);
  }
  console.log(`build:bin: ${outfile}`);
}
