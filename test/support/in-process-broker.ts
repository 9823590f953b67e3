// A broker in the test's own process: the real listener, dispatcher and handlers on a free loopback port, over
// the in-memory metadata and replicas. Real clients then run as child processes (runClient) — never with a
// blocking spawn, since the broker shares this process's event loop.

import { systemClock, systemScheduler } from "../../src/app/system-time.ts";
import type { Clock, Scheduler } from "../../src/base/clock.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { MetricsRegistry } from "../../src/base/metrics.ts";
import type { AnyApiHandler } from "../../src/broker/api-handler.ts";
import { handlerRegistry } from "../../src/broker/handlers/index.ts";
import { startListener } from "../../src/broker/listener.ts";
import { RequestDispatcher } from "../../src/broker/request-dispatcher.ts";
import { singleNodeContext } from "./in-memory-metadata.ts";
import { freePort } from "./server-process.ts";

export type TestContext = ReturnType<typeof singleNodeContext>;

/** The clock and timers a broker's parts share. */
export interface BrokerTime {
  clock: Clock;
  scheduler: Scheduler;
}

/** Real time, for brokers that real clients talk to: their long polls and timeouts must pass as the clients' do. */
export const realTime: BrokerTime = { clock: systemClock, scheduler: systemScheduler };

export interface InProcessBroker {
  /** "127.0.0.1:port", for clients' bootstrap servers. */
  address: string;
  port: number;
  context: TestContext;
  stop(): Promise<void>;
}

/** Starts a broker serving ApiVersions plus the handlers `build` returns for its context and time. */
export async function startInProcessBroker(
  build: (context: TestContext, port: number, time: BrokerTime) => readonly AnyApiHandler[],
  time: BrokerTime = realTime,
): Promise<InProcessBroker> {
  const port = await freePort();
  const context = singleNodeContext({ port });
  const handlers = handlerRegistry(build(context, port, time));
  const dispatcher = new RequestDispatcher({
    registry: handlers,
    logger: silentLogger,
    metrics: new MetricsRegistry(),
    clock: time.clock,
  });
  // A bug would stop a real broker: here it fails the test at stop().
  const bugs: unknown[] = [];
  const listener = startListener({
    hostname: "127.0.0.1",
    port,
    dispatcher,
    logger: silentLogger,
    ...time,
    onBug: (error) => bugs.push(error),
  });
  return {
    address: `127.0.0.1:${port}`,
    port,
    context,
    async stop() {
      await listener.stop({ drainMs: 1000 });
      if (bugs.length > 0) throw new AggregateError(bugs, `${bugs.length} bug(s) met while serving`);
    },
  };
}

/** Runs a client to completion and returns its stdout; a non-zero exit fails with its stderr. */
export async function runClient(command: string[], input?: string): Promise<string> {
  const proc = Bun.spawn(command, {
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (exitCode !== 0) throw new Error(`${command[0]} exited ${exitCode}: ${stderr}`);
  return stdout;
}
