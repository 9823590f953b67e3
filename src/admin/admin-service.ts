// The Connect-RPC admin service (proto/chronik/admin/v1/admin.proto), mounted as fetch handlers in hono so
// it shares the HTTP port with /health and /metrics. Connect over HTTP/1.1: unary and server-streaming only.
// Every call but GetNodeStatus needs the broker node, which exists once start-up is done (UNAVAILABLE until
// then). Server-streaming calls also answer plain JSON requests, as newline-delimited JSON (ndjson-stream.ts), so
// curl and fetch need no Connect framing. With a token configured, every call needs `Authorization: Bearer <token>` (UNAUTHENTICATED otherwise);
// /health, /ready and /metrics are other apps and stay open.

import { createHash, timingSafeEqual } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, type Interceptor } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { Hono } from "hono";
import type { Logger } from "../base/logger.ts";
import { AdminService, GetNodeStatusResponseSchema } from "../gen/chronik/admin/v1/admin_pb.ts";
import { describeCluster } from "./admin-cluster.ts";
import { unavailable } from "./admin-errors.ts";
import { deleteGroup, describeGroup, listGroups, resetGroupOffsets } from "./admin-groups.ts";
import type { AdminNode } from "./admin-node.ts";
import { consume, deleteRecords, produce } from "./admin-records.ts";
import {
  addPartitions,
  alterConfigs,
  createTopic,
  deleteTopic,
  describeConfigs,
  describeTopic,
  listTopics,
} from "./admin-topics.ts";
import { isUnaryJson, streamAsNdjson } from "./ndjson-stream.ts";

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

export interface AdminServiceDeps {
  status: () => NodeStatus;
  /** The running broker node; undefined while it starts. */
  node?: () => AdminNode | undefined;
  /** When set, every admin call must carry it as a bearer token. */
  adminToken?: string | null;
  logger: Logger;
}

/** Admin requests are small (a produce of a few records at most); anything larger is refused before it is read. */
export const adminRequestBytesMax = 4 * 1024 * 1024;

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Refuses calls without the token; compares digests in constant time, so timing says nothing of the token. */
function bearerTokenInterceptor(token: string): Interceptor {
  const expected = digest(token);
  return (next) => async (request) => {
    const header = request.header.get("authorization") ?? "";
    const given = /^Bearer (.+)$/i.exec(header)?.[1];
    if (given === undefined)
      throw new ConnectError("missing bearer token (Authorization: Bearer <token>)", Code.Unauthenticated);
    if (!timingSafeEqual(digest(given), expected))
      throw new ConnectError("wrong admin token", Code.Unauthenticated);
    return next(request);
  };
}

/** Refusals are Connect errors and reach the client as they are; anything else is a bug, logged here. */
function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      if (!(error instanceof ConnectError))
        logger.error("admin call failed", { method: request.method.name, error });
      throw error;
    }
  };
}

export function createAdminServiceApp(deps: AdminServiceDeps): Hono {
  const interceptors = [loggingInterceptor(deps.logger)];
  if (deps.adminToken) interceptors.unshift(bearerTokenInterceptor(deps.adminToken));
  // Every field in JSON answers, zeros too: a curl user reading {"partition":0,"offset":"0"} needs no proto3 rules.
  const router = createConnectRouter({
    readMaxBytes: adminRequestBytesMax,
    interceptors,
    jsonOptions: { alwaysEmitImplicit: true },
  });
  const node = (): AdminNode => {
    const running = deps.node?.();
    if (running === undefined)
      throw unavailable("the broker is still starting; retry once /ready answers 200");
    return running;
  };
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
    describeCluster: () => describeCluster(node()),
    listTopics: (request) => listTopics(node(), request),
    describeTopic: (request) => describeTopic(node(), request),
    createTopic: (request) => createTopic(node(), request),
    deleteTopic: (request) => deleteTopic(node(), request),
    addPartitions: (request) => addPartitions(node(), request),
    describeTopicConfigs: (request) => describeConfigs(node(), request),
    alterTopicConfigs: (request) => alterConfigs(node(), request),
    listGroups: (request) => listGroups(node(), request),
    describeGroup: (request) => describeGroup(node(), request),
    resetGroupOffsets: (request) => resetGroupOffsets(node(), request),
    deleteGroup: (request) => deleteGroup(node(), request),
    produce: (request) => produce(node(), request),
    consume: (request, context) => consume(node(), request, context.signal),
    deleteRecords: (request) => deleteRecords(node(), request),
  });
  const app = new Hono();
  for (const handler of router.handlers) {
    const fetchHandler = createFetchHandler(handler, { httpVersion: "1.1" });
    const streaming = handler.method.methodKind === "server_streaming";
    app.on(handler.allowedMethods as string[], handler.requestPath, (c) =>
      streaming && isUnaryJson(c.req.raw)
        ? streamAsNdjson(c.req.raw, fetchHandler, adminRequestBytesMax)
        : fetchHandler(c.req.raw),
    );
  }
  return app;
}
