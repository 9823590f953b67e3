// Test entry, run as its own process: the real Kafka listener and dispatcher with src/app's exit-on-bug wiring,
// serving ApiVersions and a Metadata handler whose invariant check fails — how a broker whose state broke
// meets its next request, with no back door in src/. It writes "listening <port>" on stdout once it serves.
// Usage: bun test/support/asserting-broker.ts

import { exitOnBug } from "../../src/app/exit-on-bug.ts";
import { createProcessLogger } from "../../src/app/server.ts";
import { systemClock, systemScheduler } from "../../src/app/system-time.ts";
import { assert } from "../../src/base/assert.ts";
import { MetricsRegistry } from "../../src/base/metrics.ts";
import { defineHandler } from "../../src/broker/api-handler.ts";
import { handlerRegistry } from "../../src/broker/handlers/index.ts";
import { startListener } from "../../src/broker/listener.ts";
import { RequestDispatcher } from "../../src/broker/request-dispatcher.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";

/** The message of the assertion the Metadata handler fails. */
export const brokenInvariant = "metadata image out of step with its log";

function main(): void {
  const logger = createProcessLogger({ logLevel: "info", logFormat: "text" });
  const brokenMetadata = defineHandler({
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    handle() {
      assert(false, brokenInvariant);
    },
  });
  const registry = handlerRegistry([brokenMetadata]);
  const listener = startListener({
    hostname: "127.0.0.1",
    port: 0,
    dispatcher: new RequestDispatcher({
      registry,
      logger,
      metrics: new MetricsRegistry(),
      clock: systemClock,
    }),
    logger,
    clock: systemClock,
    scheduler: systemScheduler,
    onBug: exitOnBug(logger),
  });
  process.stdout.write(`listening ${listener.port}\n`);
}

if (import.meta.main) main();
