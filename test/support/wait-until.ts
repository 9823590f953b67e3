// Polls a condition that real processes, sockets or disks make true, failing with what it waited for once
// `timeoutMs` passes. For what a test's own clock decides, advance a ManualClock instead of polling.

export async function waitUntil(
  condition: () => boolean,
  what: string,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(options.pollMs ?? 2);
  }
}
