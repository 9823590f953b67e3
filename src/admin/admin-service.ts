// The Connect-RPC admin service (proto/chronik/admin/v1/admin.proto), mounted as fetch handlers in hono so
// it shares the HTTP port with /health and /metrics. Connect over HTTP/1.1: unary and server-streaming only.

import { create } from "@bufbuild/protobuf";
import { createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { Hono } from "hono";
import { AdminService, GetNodeStatusResponseSchema } from "../gen/chronik/admin/v1/admin_pb.ts";

export interface NodeStatus {
  nodeId: number;
  mode: string;
  version: string;
  notReady: string[];
  uptimeMs: number;
  advertisedKafkaAddress: string;
  /** The metadata group as this node sees it; absent while the broker is starting. */
  metadata?: { role: string; term: number; controllerId: number };
  /** The other voters (raft-cluster) and whether this node reaches them. */
  peers: Array<{ nodeId: number; address: string; reachable: boolean }>;
}

/** Admin requests are small; anything larger is refused before it is read. */
const adminRequestBytesMax = 1024 * 1024;

export function createAdminServiceApp(deps: { status: () => NodeStatus }): Hono {
  const router = createConnectRouter({ readMaxBytes: adminRequestBytesMax });
  router.service(AdminService, {
    getNodeStatus() {
      const status = deps.status();
      const { metadata, ...rest } = status;
      return create(GetNodeStatusResponseSchema, {
        ...rest,
        uptimeMs: BigInt(Math.round(status.uptimeMs)),
        role: metadata?.role ?? "",
        term: BigInt(metadata?.term ?? 0),
        controllerId: metadata?.controllerId ?? -1,
      });
    },
  });
  const app = new Hono();
  for (const handler of router.handlers) {
    const fetchHandler = createFetchHandler(handler, { httpVersion: "1.1" });
    app.on(handler.allowedMethods as string[], handler.requestPath, (c) => fetchHandler(c.req.raw));
  }
  return app;
}
