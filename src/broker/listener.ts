// The Kafka TCP listener: accepts connections on Bun.listen, gives each a Connection pipeline, enforces the
// connection count and idle limits, and stops gracefully (stop accepting, let dispatched requests finish and
// their responses flush, then close). Everything it needs comes in through ListenerOptions.

import { isBug } from "../base/assert.ts";
import type { Cancel, Clock, Scheduler } from "../base/clock.ts";
import type { BrokerLogger } from "./broker-logger.ts";
import { Connection, type OnBug } from "./connection.ts";
import type { ConnectionMetrics } from "./connection-metrics.ts";
import { noConnectionMetrics } from "./connection-metrics.ts";
import { anonymousPrincipal, type Dispatcher } from "./dispatcher.ts";
import type { ListenerLimits } from "./listener-limits.ts";
import { listenerLimits } from "./listener-limits.ts";

export interface ListenerOptions {
  hostname: string;
  /** 0 picks a free port; read the chosen one from `KafkaListener.port`. */
  port: number;
  dispatcher: Dispatcher;
  logger: BrokerLogger;
  limits?: Partial<ListenerLimits>;
  /** Hooks for connection and request metrics; they must not throw. */
  metrics?: ConnectionMetrics;
  /** Its monotonic half times idleness and latency. */
  clock: Clock;
  /** Runs the idle sweep and the stop's drain deadline. */
  scheduler: Scheduler;
  /** Told of a bug in a handler or the pipeline; the composition root stops the process. */
  onBug: OnBug;
}

export interface ListenerStats {
  connections: number;
  inflightRequests: number;
  pendingResponseBytes: number;
}

export interface KafkaListener {
  readonly hostname: string;
  readonly port: number;
  readonly limits: Readonly<ListenerLimits>;
  stats(): ListenerStats;
  /** Stops accepting, waits up to `drainMs` for dispatched requests to be answered and written, then
   * closes every connection. */
  stop(options?: { drainMs?: number }): Promise<void>;
}

export const stopDrainMsDefault = 5_000;

/** What the socket handlers share: the options resolved, and the set of open connections. */
interface ListenerContext {
  readonly dispatcher: Dispatcher;
  readonly limits: ListenerLimits;
  readonly logger: BrokerLogger;
  readonly metrics: ConnectionMetrics;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly onBug: OnBug;
  readonly connections: Set<Connection>;
  nextConnectionId: number;
  stopping: boolean;
}

type SocketData = { connection: Connection | null };

export function startListener(options: ListenerOptions): KafkaListener {
  const context: ListenerContext = {
    dispatcher: options.dispatcher,
    limits: listenerLimits(options.limits),
    logger: options.logger,
    metrics: options.metrics ?? noConnectionMetrics,
    clock: options.clock,
    scheduler: options.scheduler,
    onBug: options.onBug,
    connections: new Set(),
    nextConnectionId: 1,
    stopping: false,
  };
  const server = Bun.listen<SocketData>({
    hostname: options.hostname,
    port: options.port,
    data: { connection: null },
    socket: socketHandlers(context),
  });
  const { connections, limits } = context;
  const sweepIntervalMs = Math.min(Math.max(Math.floor(limits.connectionsMaxIdleMs / 4), 10), 1_000);
  const cancelIdleSweep = context.scheduler.setInterval(() => closeIdle(context), sweepIntervalMs);
  context.logger.info("kafka listener started", { hostname: server.hostname, port: server.port });

  let stopped: Promise<void> | null = null;
  return {
    hostname: server.hostname,
    port: server.port,
    limits,
    stats() {
      let inflightRequests = 0;
      let pendingResponseBytes = 0;
      for (const connection of connections) {
        inflightRequests += connection.inflightRequests;
        pendingResponseBytes += connection.pendingResponseBytes;
      }
      return { connections: connections.size, inflightRequests, pendingResponseBytes };
    },
    stop(stopOptions = {}) {
      context.stopping = true;
      cancelIdleSweep();
      stopped ??= stopGracefully(context, server, stopOptions.drainMs ?? stopDrainMsDefault);
      return stopped;
    },
  };
}

function socketHandlers(context: ListenerContext): Bun.SocketHandler<SocketData> {
  // binaryType "uint8array" hands `data` plain Uint8Arrays (bun-types still types them as Buffer).
  const { connections, logger, metrics } = context;
  return {
    binaryType: "uint8array",
    open(socket) {
      socket.data = { connection: null };
      const refusal = context.stopping
        ? "listener stopping"
        : connections.size >= context.limits.connectionsMax
          ? `connectionsMax ${context.limits.connectionsMax} reached`
          : null;
      if (refusal !== null) {
        logger.warn("refusing connection", {
          remote: `${socket.remoteAddress}:${socket.remotePort}`,
          reason: refusal,
        });
        metrics.connectionRefused();
        socket.end();
        return;
      }
      socket.setNoDelay(true);
      const peer = {
        id: context.nextConnectionId++,
        remoteAddress: socket.remoteAddress,
        remotePort: socket.remotePort,
        principal: anonymousPrincipal,
      };
      const { dispatcher, limits, clock, onBug } = context;
      const connection = new Connection({ peer, socket, dispatcher, limits, logger, metrics, clock, onBug });
      socket.data.connection = connection;
      connections.add(connection);
      metrics.connectionOpened();
      logger.debug("connection opened", {
        connectionId: peer.id,
        remote: `${peer.remoteAddress}:${peer.remotePort}`,
      });
    },
    data(socket, chunk) {
      socket.data.connection?.onData(chunk);
    },
    drain(socket) {
      socket.data.connection?.onDrain();
    },
    close(socket, error) {
      const connection = socket.data.connection;
      if (connection === null || !connections.delete(connection)) return;
      connection.onSocketClosed();
      metrics.connectionClosed();
      logger.debug("connection closed", { connectionId: connection.info.id, error });
    },
    error(socket, error) {
      // Reached when one of the handlers above throws: the pipeline itself failed. A bug stops the process;
      // anything else (the socket's own errors) is isolated to this connection.
      const connection = socket.data.connection;
      if (isBug(error)) context.onBug(error, { connectionId: connection?.info.id });
      logger.error("connection handler failed", { connectionId: connection?.info.id, error });
      if (connection !== null) connection.close("handler failed", { level: "error" });
      else socket.end();
    },
  };
}

async function stopGracefully(
  context: ListenerContext,
  server: Bun.TCPSocketListener<SocketData>,
  drainMs: number,
): Promise<void> {
  server.stop(false);
  const drained = Promise.all([...context.connections].map((connection) => connection.beginDrain()));
  let cancelTimeout: Cancel = () => {};
  const timedOut = new Promise<"timeout">((resolve) => {
    cancelTimeout = context.scheduler.setTimeout(() => resolve("timeout"), drainMs);
  });
  const outcome = await Promise.race([drained.then(() => "drained" as const), timedOut]);
  cancelTimeout();
  const remaining = [...context.connections];
  for (const connection of remaining) {
    connection.close("listener stopped", { level: outcome === "drained" ? "debug" : "warn" });
  }
  server.stop(true);
  context.logger.info("kafka listener stopped", {
    port: server.port,
    outcome,
    closedConnections: remaining.length,
  });
}

function closeIdle(context: ListenerContext): void {
  const nowMs = context.clock.monotonicMs();
  for (const connection of [...context.connections]) {
    const idleSinceMs = connection.idleSinceMs();
    if (idleSinceMs !== null && nowMs - idleSinceMs > context.limits.connectionsMaxIdleMs) {
      connection.close("idle", { level: "info", fields: { idleMs: Math.round(nowMs - idleSinceMs) } });
    }
  }
}
