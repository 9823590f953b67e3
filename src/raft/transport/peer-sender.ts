// The sending side of the transport for one peer: a bounded queue and one call in flight.
//
// Calls to a peer stay in order because only one is in flight: batches queued meanwhile are merged into the
// next call, split only where a call would pass callMessagesMax or callBytesMax. The queue has two lanes
// (send-lanes.ts): live messages go first, and a follower's catch-up (snapshot chunks, appends of committed
// entries) fills what remains of a call, at least one message per call. The queue is bounded in messages and
// bytes; beyond either bound the oldest messages are dropped and counted, catch-up first (Raft resends them,
// and the newest heartbeats and appends are the ones worth keeping).
//
// A failed call reports the peer unreachable (its groups' leaders stop streaming appends to it and resend from
// the follower's match), puts its messages back at the head of the queue (votes and appends in it may still
// matter), and the next call waits for a backoff doubling from retryBackoffMsMin to retryBackoffMsMax. That
// next call is an empty probe: a dead peer costs one connection attempt per backoff, not the encoding of a
// full queue, and the queue (still bounded) is sent once the probe gets through. A call the peer refused
// (another cluster, unknown sender, malformed, too large) is dropped instead of put back: it would be refused
// again. The first failure of a streak and the recovery are logged, not every call.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { assert } from "../../base/assert.ts";
import type { Logger } from "../../base/logger.ts";
import type { DeliverRequest } from "../../gen/chronik/raft/v1/raft_pb.ts";
import { DeliverRequestSchema } from "../../gen/chronik/raft/v1/raft_pb.ts";
import type { NodeId } from "../core/index.ts";
import type { GroupMessage } from "../node/transport.ts";
import {
  deliverRequestBytes,
  encodeRaftBatch,
  messageBytesUpperBound,
  requestOverheadBytesMax,
} from "./codec.ts";
import type { RaftTransportLimits } from "./limits.ts";
import { SendLanes } from "./send-lanes.ts";

/** Counters and gauges of one peer, for /metrics; the transport updates them in place. */
export interface PeerStats {
  readonly peerNodeId: NodeId;
  /** Calls finished, succeeded or not (probes included). */
  calls: number;
  callFailures: number;
  /** Failed calls the peer answered with a refusal (another cluster, not a peer, malformed, too large). */
  callsRefused: number;
  /** Messages and request body bytes of calls that succeeded. */
  messagesSent: number;
  bytesSent: number;
  /** Messages dropped: queue full, larger than a call, or refused by the peer. */
  messagesDropped: number;
  /** 0 or 1. */
  inflightCalls: number;
  queuedMessages: number;
  /** Upper bound of the encoded bytes queued. */
  queuedBytes: number;
  /** Round trip of the last successful call, and the sum and maximum over all of them, in milliseconds. */
  latencyMsLast: number;
  latencyMsSum: number;
  latencyMsMax: number;
  /** False from a failed call until a call gets through. */
  reachable: boolean;
  failuresInARow: number;
}

export interface CallOutcome {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly messages: number;
  readonly bytes: number;
}

export interface PeerSenderOptions {
  readonly nodeId: NodeId;
  readonly peerNodeId: NodeId;
  readonly clusterId: () => string;
  readonly limits: RaftTransportLimits;
  readonly logger: Logger;
  /** Makes the call (a Connect client's deliver); rejects when it fails. */
  readonly call: (
    request: DeliverRequest,
    options: { signal: AbortSignal; timeoutMs: number },
  ) => Promise<unknown>;
  readonly onUnreachable: (peerNodeId: NodeId) => void;
  readonly onCallCompleted?: (peerNodeId: NodeId, outcome: CallOutcome) => void;
}

/** Connect codes with which a peer refuses a call it will refuse again: such a call is dropped, not retried. */
const refusalCodes: ReadonlySet<Code> = new Set([
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.InvalidArgument,
  Code.ResourceExhausted,
]);

export class PeerSender {
  readonly stats: PeerStats;
  private readonly options: PeerSenderOptions;
  private readonly logger: Logger;
  private readonly queue = new SendLanes();
  private inflight: AbortController | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(options: PeerSenderOptions) {
    this.options = options;
    this.logger = options.logger.with({ peer: options.peerNodeId });
    this.stats = {
      peerNodeId: options.peerNodeId,
      calls: 0,
      callFailures: 0,
      callsRefused: 0,
      messagesSent: 0,
      bytesSent: 0,
      messagesDropped: 0,
      inflightCalls: 0,
      queuedMessages: 0,
      queuedBytes: 0,
      latencyMsLast: 0,
      latencyMsSum: 0,
      latencyMsMax: 0,
      reachable: true,
      failuresInARow: 0,
    };
  }

  enqueue(batch: readonly GroupMessage[]): void {
    if (this.stopped) return;
    const budget = this.batchBytesBudget();
    for (const item of batch) {
      const bytes = messageBytesUpperBound(item);
      if (bytes > budget) {
        this.logger.warn("dropping a raft message larger than a call", {
          groupId: item.groupId,
          type: item.message.type,
          bytes,
          callBytesMax: this.options.limits.callBytesMax,
        });
        this.stats.messagesDropped += 1;
        continue;
      }
      this.queue.push(item, bytes);
    }
    this.countQueued();
    this.trimQueue();
    this.pump();
  }

  /** Abandons the call in flight and everything queued; later batches are ignored. */
  stop(): void {
    this.stopped = true;
    this.inflight?.abort();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue.clear();
    this.countQueued();
  }

  private countQueued(): void {
    this.stats.queuedMessages = this.queue.length;
    this.stats.queuedBytes = this.queue.bytes;
  }

  /** Bytes a call's RaftBatch may take: callBytesMax less the envelope (ids and cluster id). */
  private batchBytesBudget(): number {
    return this.options.limits.callBytesMax - requestOverheadBytesMax - 3 * this.options.clusterId().length;
  }

  /** Drops the oldest messages while the queue is beyond either bound. */
  private trimQueue(): void {
    const { peerQueueMessagesMax, peerQueueBytesMax } = this.options.limits;
    let dropped = 0;
    while (this.queue.length > peerQueueMessagesMax || this.queue.bytes > peerQueueBytesMax) {
      this.queue.dropOldest();
      dropped += 1;
    }
    this.countQueued();
    if (dropped === 0) return;
    this.stats.messagesDropped += dropped;
    this.logger.debug("raft peer queue full: dropped the oldest messages", { dropped });
  }

  /** Takes the next call's messages off the queue: at least one, within both call bounds, live ones first. */
  private take(): { messages: GroupMessage[]; liveCount: number } {
    const { callMessagesMax, callBytesTarget } = this.options.limits;
    const taken = this.queue.take({
      targetBytes: callBytesTarget,
      budgetBytes: this.batchBytesBudget(),
      messagesMax: callMessagesMax,
    });
    assert(taken.messages.length > 0, "a queued message fits in a call");
    this.countQueued();
    return taken;
  }

  /** Puts a failed call's messages back at the heads of their lanes, in their order, then re-applies the bounds. */
  private requeue(taken: readonly GroupMessage[], liveCount: number): void {
    if (taken.length === 0) return;
    this.queue.requeue(taken, liveCount, messageBytesUpperBound);
    this.trimQueue();
  }

  /** Starts the next call when none is in flight, no backoff runs and there is something to send. */
  private pump(): void {
    if (this.stopped || this.inflight !== undefined || this.retryTimer !== undefined) return;
    const probing = this.stats.failuresInARow > 0;
    if (!probing && this.queue.length === 0) return;
    const { messages: taken, liveCount } = probing ? { messages: [], liveCount: 0 } : this.take();
    const { nodeId, peerNodeId } = this.options;
    const batch = encodeRaftBatch(taken, nodeId, peerNodeId);
    const request = create(DeliverRequestSchema, {
      fromNodeId: nodeId,
      toNodeId: peerNodeId,
      clusterId: this.options.clusterId(),
      batch,
    });
    void this.run(request, taken, liveCount, deliverRequestBytes(request));
  }

  private async run(
    request: DeliverRequest,
    taken: readonly GroupMessage[],
    liveCount: number,
    bytes: number,
  ): Promise<void> {
    const controller = new AbortController();
    this.inflight = controller;
    this.stats.inflightCalls = 1;
    const started = performance.now();
    let failure: unknown;
    try {
      await this.options.call(request, {
        signal: controller.signal,
        timeoutMs: this.options.limits.callTimeoutMs,
      });
    } catch (error) {
      failure = error ?? new Error("call failed");
    }
    this.inflight = undefined;
    this.stats.inflightCalls = 0;
    if (this.stopped) return;
    const latencyMs = performance.now() - started;
    this.stats.calls += 1;
    this.options.onCallCompleted?.(this.options.peerNodeId, {
      ok: failure === undefined,
      latencyMs,
      messages: taken.length,
      bytes,
    });
    if (failure === undefined) this.succeeded(taken.length, bytes, latencyMs);
    else this.failed(taken, liveCount, failure);
    this.pump();
  }

  private succeeded(messages: number, bytes: number, latencyMs: number): void {
    const stats = this.stats;
    if (stats.failuresInARow > 0) {
      this.logger.info("raft peer reachable again", { failedCalls: stats.failuresInARow });
    }
    stats.failuresInARow = 0;
    stats.reachable = true;
    stats.messagesSent += messages;
    stats.bytesSent += bytes;
    stats.latencyMsLast = latencyMs;
    stats.latencyMsSum += latencyMs;
    stats.latencyMsMax = Math.max(stats.latencyMsMax, latencyMs);
  }

  private failed(taken: readonly GroupMessage[], liveCount: number, error: unknown): void {
    const stats = this.stats;
    const connectError = ConnectError.from(error);
    const refused = refusalCodes.has(connectError.code);
    stats.callFailures += 1;
    stats.failuresInARow += 1;
    stats.reachable = false;
    if (refused) {
      stats.callsRefused += 1;
      stats.messagesDropped += taken.length;
    } else {
      this.requeue(taken, liveCount);
    }
    if (stats.failuresInARow === 1) {
      const fields = { code: Code[connectError.code], error: connectError.rawMessage };
      if (refused) this.logger.error("raft peer refuses this node's calls", fields);
      else this.logger.warn("raft peer unreachable", fields);
    }
    const { retryBackoffMsMin, retryBackoffMsMax } = this.options.limits;
    const exponent = Math.min(stats.failuresInARow - 1, 30);
    const backoffMs = Math.min(retryBackoffMsMax, retryBackoffMsMin * 2 ** exponent);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, backoffMs);
    this.options.onUnreachable(this.options.peerNodeId);
  }
}
