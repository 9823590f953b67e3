// The one test command (README, .ci/run): type-check, lint, then every bun test; ends with "N passed, N failed".
// Type-check and lint count as one check each, so a type error fails the run like a failing test does.

type StepResult = { passed: number; failed: number };

/** Per-test limit: integration tests start real processes and clients, but none may hang the suite. */
const testTimeoutMs = 60_000;

async function runCheck(name: string, command: string[]): Promise<StepResult> {
  const started = performance.now();
  const proc = Bun.spawn(command, { stdout: "inherit", stderr: "inherit" });
  const exitCode = await proc.exited;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`[test] ${name}: ${exitCode === 0 ? "ok" : `FAILED (exit ${exitCode})`} in ${seconds}s`);
  return exitCode === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
}

/** Runs `bun test`, echoing its output, and reads its closing " N pass" / " N fail" lines. */
async function runBunTest(extraArgs: string[]): Promise<StepResult> {
  const proc = Bun.spawn([process.execPath, "test", "--timeout", String(testTimeoutMs), ...extraArgs], {
    stdout: "inherit",
    stderr: "pipe",
  });
  let stderrText = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stderr) {
    const text = decoder.decode(chunk, { stream: true });
    stderrText += text;
    process.stderr.write(text);
  }
  const exitCode = await proc.exited;
  const passed = Number(/^\s*(\d+) pass$/m.exec(stderrText)?.[1] ?? 0);
  const failed = Number(/^\s*(\d+) fail$/m.exec(stderrText)?.[1] ?? 0);
  // A crash of the runner itself, or an exit code the counts do not explain, is one more failure.
  const unexplained = exitCode !== 0 && failed === 0 ? 1 : 0;
  return { passed, failed: failed + unexplained };
}

const args = process.argv.slice(2);
const skipStatic = args.includes("--no-static");
const testArgs = args.filter((arg) => arg !== "--no-static");
const results: StepResult[] = [];
if (!skipStatic) {
  results.push(await runCheck("typecheck", ["node_modules/.bin/tsc", "--noEmit", "-p", "."]));
  results.push(await runCheck("lint", ["node_modules/.bin/biome", "check", "."]));
}
results.push(await runBunTest(testArgs));
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
