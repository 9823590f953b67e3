// The composition root: the only place that creates real clocks, files, sockets and servers.
// Today it serves HTTP (health, readiness, metrics, admin) and the Kafka listener with ApiVersions; the other
// Kafka APIs join the handler list as the broker lands.

import { createLogger, type Logger } from "../base/logger.ts";
import { MetricsRegistry } from "../base/metrics.ts";
import { HandlerRegistry } from "../broker/handler-registry.ts";
import { apiVersionsHandler } from "../broker/handlers/api-versions.ts";
import { startListener } from "../broker/listener.ts";
import { RequestDispatcher } from "../broker/request-dispatcher.ts";
import { createConnectionMetrics } from "./connection-metrics.ts";
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
  const metrics = new MetricsRegistry();
  const notReady = ["kafka-apis (only ApiVersions is served yet)"];
  const nowMs = () => performance.now();
  const handlers: HandlerRegistry = new HandlerRegistry([apiVersionsHandler(() => handlers.servedApis())]);
  const kafka = startListener({
    hostname: config.kafkaBindHost,
    port: config.kafkaPort,
    dispatcher: new RequestDispatcher({ registry: handlers, logger, metrics, nowMs }),
    logger: logger.with({ component: "kafka" }),
    metrics: createConnectionMetrics(metrics),
    nowMs,
  });
  logger.info("kafka listening", {
    port: kafka.port,
    advertised: `${config.advertisedHost}:${config.advertisedPort}`,
  });
  const http = startHttpServer(
    { host: config.httpBindHost, port: config.httpPort },
    {
      readiness: { notReady: () => notReady },
      registry: metrics,
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
  logger.warn("only ApiVersions is served on the Kafka port yet; other Kafka APIs close the connection");
  return {
    async stop() {
      await kafka.stop();
      await http.stop();
    },
  };
}
