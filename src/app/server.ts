// The composition root: the only place that creates real clocks, files, sockets and servers.
// Today it serves HTTP (health, readiness, metrics, admin); the Kafka listener joins it as the broker lands.

import { createLogger, type Logger } from "../base/logger.ts";
import { MetricsRegistry } from "../base/metrics.ts";
import { startHttpServer } from "./http-server.ts";
import type { ServerConfig } from "./server-config.ts";
import { chronikVersion } from "./version.ts";

export interface RunningServer {
  stop(): Promise<void>;
}

export function createProcessLogger(config: Pick<ServerConfig, "logLevel" | "logFormat">): Logger {
  return createLogger({
    level: config.logLevel,
    format: config.logFormat,
    sink: (line) => process.stderr.write(`${line}\n`),
    now: () => new Date(),
  });
}

export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const startedAtMs = performance.now();
  const registry = new MetricsRegistry();
  const notReady = ["kafka-listener (the broker is not built yet)"];
  const http = startHttpServer(
    { host: config.httpBindHost, port: config.httpPort },
    {
      readiness: { notReady: () => notReady },
      registry,
      logger,
      status: () => ({
        nodeId: config.nodeId,
        mode: config.mode,
        version: chronikVersion,
        notReady,
        uptimeMs: performance.now() - startedAtMs,
        advertisedKafkaAddress: `${config.advertisedHost}:${config.advertisedPort}`,
      }),
    },
  );
  logger.info("http listening", { port: http.port, version: chronikVersion });
  logger.warn("the Kafka listener is not built yet: only /health, /ready, /metrics and the admin API serve");
  return {
    async stop() {
      await http.stop();
    },
  };
}
