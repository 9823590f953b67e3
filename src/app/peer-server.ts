// The server peers call on --raft-addr: Connect services over HTTP/1.1 on Bun.serve, apart from the
// client-facing ports so replication never queues behind client or admin traffic (DESIGN.md, "The cluster").
// Each service registers itself on one Connect router; a request body above the limit is refused unread.

import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";

export interface PeerServer {
  readonly port: number;
  stop(): Promise<void>;
}

export interface PeerServerOptions {
  readonly host: string;
  readonly port: number;
  /** The largest request body a peer may send, in bytes (the Raft transport's batches are the largest). */
  readonly requestBytesMax: number;
  /** Each adds its service to the router. */
  readonly services: ReadonlyArray<(router: ConnectRouter) => void>;
}

export function startPeerServer(options: PeerServerOptions): PeerServer {
  const router = createConnectRouter({ readMaxBytes: options.requestBytesMax });
  for (const register of options.services) register(router);
  const handlers = new Map<string, (request: Request) => Promise<Response>>();
  for (const handler of router.handlers) {
    handlers.set(handler.requestPath, createFetchHandler(handler, { httpVersion: "1.1" }));
  }
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // A batch of appends can be large: Bun's own limit must not cut below the router's.
    maxRequestBodySize: options.requestBytesMax + 1024 * 1024,
    fetch(request) {
      const handler = handlers.get(new URL(request.url).pathname);
      return handler === undefined ? new Response("not found", { status: 404 }) : handler(request);
    },
  });
  return {
    port: server.port ?? options.port,
    async stop() {
      await server.stop(true);
    },
  };
}
