// The receiving end of the Raft transport: a Bun.serve on --raft-addr serving RaftService.Deliver over Connect
// (HTTP/1.1, unary), apart from the client-facing ports so replication never queues behind client calls.
//
// A call is checked before any of it is applied: the sender must be a configured peer (PERMISSION_DENIED),
// the call must be addressed to this node and, when both ends know their cluster id, name this cluster
// (FAILED_PRECONDITION), its body must be at most callBytesMax (RESOURCE_EXHAUSTED, unread) and every message
// in it well formed (INVALID_ARGUMENT). A refused peer is logged once until one of its calls is accepted
// again, not once per call.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { assert, isBug } from "../../base/assert.ts";
import type { Logger } from "../../base/logger.ts";
import type { DeliverRequest, DeliverResponse } from "../../gen/chronik/raft/v1/raft_pb.ts";
import { DeliverResponseSchema, RaftService } from "../../gen/chronik/raft/v1/raft_pb.ts";
import type { NodeId } from "../core/index.ts";
import type { GroupMessage } from "../node/transport.ts";
import { clusterSecretHeader, clusterSecretMatches, unauthenticatedResponse } from "./cluster-secret.ts";
import { decodeRaftBatch } from "./codec.ts";
import type { RaftTransportLimits } from "./limits.ts";
import { raftTransportLimitsDefaults } from "./limits.ts";

/** Refused calls are logged at most this often: a scanner cannot flood the log. */
const refusalLogIntervalMs = 10_000;

/** What the server needs from the node: who it is, whom it accepts, and where accepted messages go. */
export interface RaftReceiver {
  readonly nodeId: NodeId;
  /** This node's cluster id, "" while unknown. */
  clusterId(): string;
  isPeer(nodeId: NodeId): boolean;
  deliver(from: NodeId, batch: readonly GroupMessage[]): void;
}

export interface RaftServerOptions {
  /** The address to bind (--raft-addr's host; 0.0.0.0 for every interface). */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly receiver: RaftReceiver;
  readonly logger: Logger;
  readonly limits?: Partial<Pick<RaftTransportLimits, "callBytesMax" | "callMessagesMax">>;
  /**
   * Further Connect services the node's peers call on the same port (the cluster's own: metadata forwarding,
   * broker heartbeats, leader reports), each registering itself on a router bounded by callBytesMax.
   */
  readonly services?: ReadonlyArray<(router: ConnectRouter) => void>;
  /** When set, every call must carry it (cluster-secret.ts); others are refused UNAUTHENTICATED. */
  readonly clusterSecret?: string | null;
  /** A bug (a failed assertion) while stepping delivered messages: the node stops (src/app wires the exit). */
  readonly onBug?: (error: unknown) => void;
}

/** Calls the server answered, by outcome (for /metrics). */
export interface RaftServerStats {
  callsAccepted: number;
  callsRefused: number;
  messagesReceived: number;
  bytesReceived: number;
}

export interface RaftServer {
  readonly port: number;
  readonly stats: RaftServerStats;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/** Refused senders remembered for log-once; past it, refusals of further unknown node ids log nothing. */
const refusedPeersLoggedMax = 1024;

export function startRaftServer(options: RaftServerOptions): RaftServer {
  const callBytesMax = options.limits?.callBytesMax ?? raftTransportLimitsDefaults.callBytesMax;
  const callMessagesMax = options.limits?.callMessagesMax ?? raftTransportLimitsDefaults.callMessagesMax;
  assert(callBytesMax >= 1 && callMessagesMax >= 1, "raft server limits must be ≥ 1");
  const logger = options.logger.with({ component: "raft-server" });
  const stats: RaftServerStats = { callsAccepted: 0, callsRefused: 0, messagesReceived: 0, bytesReceived: 0 };
  const refusals = new RefusalLog(logger);
  const receiver = options.receiver;

  const refuse = (from: NodeId, code: Code, reason: string): never => {
    stats.callsRefused += 1;
    refusals.note(from, code, reason);
    throw new ConnectError(reason, code);
  };

  const deliver = (request: DeliverRequest): DeliverResponse => {
    const from = request.fromNodeId;
    if (!receiver.isPeer(from))
      refuse(from, Code.PermissionDenied, `node ${from} is not a peer of node ${receiver.nodeId}`);
    if (request.toNodeId !== receiver.nodeId) {
      refuse(
        from,
        Code.FailedPrecondition,
        `call for node ${request.toNodeId} reached node ${receiver.nodeId}`,
      );
    }
    const ours = receiver.clusterId();
    if (ours !== "" && request.clusterId !== "" && request.clusterId !== ours) {
      refuse(from, Code.FailedPrecondition, `call from cluster ${request.clusterId} reached cluster ${ours}`);
    }
    const decoded = decodeRaftBatch(request.batch, {
      from,
      to: receiver.nodeId,
      messagesMax: callMessagesMax,
    });
    if (!decoded.ok) return refuse(from, Code.InvalidArgument, `malformed raft batch: ${decoded.reason}`);
    refusals.accepted(from);
    stats.callsAccepted += 1;
    stats.messagesReceived += decoded.batch.length;
    stats.bytesReceived += request.batch.byteLength;
    if (decoded.batch.length > 0) deliverChecked(decoded.batch, from);
    return create(DeliverResponseSchema);
  };

  const deliverChecked = (batch: readonly GroupMessage[], from: NodeId): void => {
    try {
      receiver.deliver(from, batch);
    } catch (error) {
      // A bug below (a failed assertion): the Raft state may be corrupt, so the node stops when told how.
      if (isBug(error)) options.onBug?.(error);
      logger.error("raft receiver failed on a call", { from, error });
      throw new ConnectError("receiver failed", Code.Internal);
    }
  };

  const router = createConnectRouter({ readMaxBytes: callBytesMax, acceptCompression: [] });
  router.service(RaftService, { deliver });
  const [handler] = router.handlers;
  assert(handler !== undefined && router.handlers.length === 1, "RaftService has one method");
  const handlersByPath = new Map([
    [handler.requestPath, createFetchHandler(handler, { httpVersion: "1.1" })],
  ]);
  for (const register of options.services ?? []) {
    const serviceRouter = createConnectRouter({ readMaxBytes: callBytesMax });
    register(serviceRouter);
    for (const serviceHandler of serviceRouter.handlers) {
      handlersByPath.set(
        serviceHandler.requestPath,
        createFetchHandler(serviceHandler, { httpVersion: "1.1" }),
      );
    }
  }

  let lastRefusalLogMs = Number.NEGATIVE_INFINITY;
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // Connect refuses a body past callBytesMax with RESOURCE_EXHAUSTED; Bun's own limit, a little above, only
    // stops a body that lies about its length.
    maxRequestBodySize: callBytesMax + 64 * 1024,
    fetch(request, bunServer) {
      const secret = options.clusterSecret ?? null;
      if (secret !== null && !clusterSecretMatches(secret, request.headers.get(clusterSecretHeader))) {
        const nowMs = performance.now();
        if (nowMs - lastRefusalLogMs > refusalLogIntervalMs) {
          lastRefusalLogMs = nowMs;
          logger.warn("refused a peer call without the cluster secret", {
            remote: bunServer.requestIP(request)?.address,
            path: new URL(request.url).pathname,
          });
        }
        return unauthenticatedResponse();
      }
      const fetchHandler = handlersByPath.get(new URL(request.url).pathname);
      if (fetchHandler === undefined) return new Response("not found", { status: 404 });
      return fetchHandler(request);
    },
    error(error) {
      logger.error("raft server request failed", { error });
      return new Response("internal error", { status: 500 });
    },
  });
  const port = server.port;
  assert(port !== undefined, "the raft server listens on a port");
  logger.info("raft server listening", { host: options.host, port });
  return {
    port,
    stats,
    stop: async () => {
      await server.stop(true);
    },
  };
}

/** Logs a refused peer once, until one of its calls is accepted again. */
class RefusalLog {
  private readonly logged = new Map<NodeId, Code>();

  constructor(private readonly logger: Logger) {}

  note(from: NodeId, code: Code, reason: string): void {
    if (this.logged.get(from) === code) return;
    if (!this.logged.has(from) && this.logged.size >= refusedPeersLoggedMax) return;
    this.logged.set(from, code);
    this.logger.warn("refusing raft calls", { from, code: Code[code], reason });
  }

  accepted(from: NodeId): void {
    if (this.logged.size > 0) this.logged.delete(from);
  }
}
