// The composition root: the only place that creates real clocks, files, sockets and servers.
// It serves HTTP (health, readiness, metrics, admin) at once, and the Kafka broker once its metadata is ready.

import { createLogger, type Logger } from "../base/logger.ts";
import { MetricsRegistry } from "../base/metrics.ts";
import { crc32cImplementation } from "../protocol/crc32c.ts";
import { type BrokerNode, startBrokerNode } from "./broker-node.ts";
import { startHttpServer } from "./http-server.ts";
import { logUnauthenticatedDoors } from "./open-doors.ts";
import type { ServerConfig } from "./server-config.ts";
import { systemClock } from "./system-time.ts";
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
  const startedAtMs = systemClock.monotonicMs();
  const metrics = new MetricsRegistry();
  const notReady = ["kafka broker (starting: electing, replaying metadata, opening partitions)"];
  let broker: BrokerNode | undefined;
  const http = startHttpServer(
    { host: config.httpBindHost, port: config.httpPort },
    {
      readiness: { notReady: () => notReady },
      registry: metrics,
      logger,
      node: () => broker?.admin,
      adminToken: config.adminToken,
      status: () => ({
        nodeId: config.nodeId,
        mode: config.mode,
        version: chronikVersion,
        notReady,
        uptimeMs: systemClock.monotonicMs() - startedAtMs,
        advertisedKafkaAddress: `${config.advertisedHost}:${config.advertisedPort}`,
        metadata: broker?.metadataStatus(),
        peers: broker?.cluster?.peerStatus() ?? [],
      }),
    },
  );
  // Which CRC-32C runs: the native addon, or the software fallback when it did not load (a compiled executable
  // embeds the addon; a missing one costs throughput, not correctness).
  logger.info("http listening", { port: http.port, version: chronikVersion, crc32c: crc32cImplementation });
  broker = await startBrokerNode(config, { logger, metrics });
  const started = broker;
  notReady.length = 0;
  for (const listener of config.listeners) {
    logger.info("kafka listening", {
      listener: listener.name,
      securityProtocol: listener.securityProtocol,
      port: listener.port,
      advertised: `${listener.advertisedHost}:${listener.advertisedPort}`,
    });
  }
  logUnauthenticatedDoors(config, logger);
  return {
    async stop() {
      await started.stop();
      await http.stop();
    },
  };
}
