// Proves the per-peer sending discipline over a scripted call function: one call in flight, batches queued
// meanwhile merged into the next call in order, calls split at their bounds, the queue bounded by dropping the
// oldest, and a failed call reported unreachable, retried after a doubling backoff behind an empty probe.
import { describe, expect, test } from "bun:test";
import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { silentLogger } from "../../../src/base/logger.ts";
import type { DeliverRequest } from "../../../src/gen/chronik/raft/v1/raft_pb.ts";
import { DeliverRequestSchema } from "../../../src/gen/chronik/raft/v1/raft_pb.ts";
import type { GroupMessage } from "../../../src/raft/node/transport.ts";
import { decodeRaftBatch, messageBytesUpperBound } from "../../../src/raft/transport/codec.ts";
import type { RaftTransportLimits } from "../../../src/raft/transport/limits.ts";
import { raftTransportLimitsDefaults } from "../../../src/raft/transport/limits.ts";
import { PeerSender } from "../../../src/raft/transport/peer-sender.ts";

interface PendingCall {
  readonly request: DeliverRequest;
  readonly signal: AbortSignal;
  readonly at: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** Heartbeats numbered by their commit offset, so a call's content reads as a list of numbers. */
function heartbeats(first: number, count: number, groupId = "g-0"): GroupMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    groupId,
    message: { type: "heartbeat", from: 1, to: 2, term: 1, commitOffset: first + index, readRequestId: -1 },
  }));
}

function numbers(request: DeliverRequest): number[] {
  const decoded = decodeRaftBatch(request.batch, { from: 1, to: 2, messagesMax: 1_000_000 });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.batch.map(({ message }) => (message.type === "heartbeat" ? message.commitOffset : -100));
}

function harness(limits: Partial<RaftTransportLimits> = {}) {
  const calls: PendingCall[] = [];
  const unreachable: number[] = [];
  const sender = new PeerSender({
    nodeId: 1,
    peerNodeId: 2,
    clusterId: () => "cluster-a",
    limits: { ...raftTransportLimitsDefaults, retryBackoffMsMin: 10, retryBackoffMsMax: 40, ...limits },
    logger: silentLogger,
    call: (request, options) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ request, signal: options.signal, at: performance.now(), resolve, reject });
      }),
    onUnreachable: (peer) => unreachable.push(peer),
  });
  return { sender, calls, unreachable };
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("ordering and batching", () => {
  test("one call in flight; batches queued meanwhile leave merged, in order, in the next call", async () => {
    const { sender, calls } = harness();
    sender.enqueue(heartbeats(0, 2));
    sender.enqueue(heartbeats(2, 3));
    sender.enqueue(heartbeats(5, 1));
    expect(calls.length).toBe(1);
    expect(numbers(calls[0]!.request)).toEqual([0, 1]);
    expect(sender.stats.inflightCalls).toBe(1);
    expect(sender.stats.queuedMessages).toBe(4);
    calls[0]!.resolve();
    await settle();
    expect(calls.length).toBe(2);
    expect(numbers(calls[1]!.request)).toEqual([2, 3, 4, 5]);
    calls[1]!.resolve();
    await settle();
    expect(calls.length).toBe(2);
    expect(sender.stats).toMatchObject({ calls: 2, messagesSent: 6, inflightCalls: 0, queuedMessages: 0 });
    expect(sender.stats.bytesSent).toBe(
      calls.reduce((sum, call) => sum + toBinary(DeliverRequestSchema, call.request).byteLength, 0),
    );
    expect(calls[0]!.request).toMatchObject({ fromNodeId: 1, toNodeId: 2, clusterId: "cluster-a" });
  });

  test("a call holds at most callMessagesMax messages and callBytesMax bytes; the rest follows", async () => {
    const { sender, calls } = harness({ callMessagesMax: 3 });
    sender.enqueue(heartbeats(0, 1));
    sender.enqueue(heartbeats(1, 7));
    calls[0]!.resolve();
    await settle();
    expect(numbers(calls[1]!.request)).toEqual([1, 2, 3]);
    calls[1]!.resolve();
    await settle();
    expect(numbers(calls[2]!.request)).toEqual([4, 5, 6]);

    const one = messageBytesUpperBound(heartbeats(0, 1)[0]!);
    const bytesBound = harness({ callBytesMax: 64 + 3 * "cluster-a".length + 2 * one });
    bytesBound.sender.enqueue(heartbeats(0, 5));
    expect(numbers(bytesBound.calls[0]!.request)).toEqual([0, 1]);
  });

  test("a message larger than a call is dropped and counted", () => {
    const { sender, calls } = harness({ callBytesMax: 1000 });
    const big: GroupMessage = {
      groupId: "g-0",
      message: {
        type: "append",
        from: 1,
        to: 2,
        term: 1,
        prevOffset: -1,
        prevEpoch: 0,
        entries: [
          {
            baseOffset: 0,
            lastOffset: 0,
            epoch: 1,
            kind: "data",
            byteSize: 2000,
            payload: new Uint8Array(2000),
          },
        ],
        commitOffset: -1,
      },
    };
    sender.enqueue([big, ...heartbeats(7, 1)]);
    expect(sender.stats.messagesDropped).toBe(1);
    expect(numbers(calls[0]!.request)).toEqual([7]);
  });

  test("beyond the queue bounds the oldest queued messages are dropped and counted", async () => {
    const { sender, calls } = harness({ peerQueueMessagesMax: 5 });
    sender.enqueue(heartbeats(0, 1)); // in flight
    sender.enqueue(heartbeats(1, 4));
    sender.enqueue(heartbeats(5, 4));
    expect(sender.stats).toMatchObject({ queuedMessages: 5, messagesDropped: 3 });
    calls[0]!.resolve();
    await settle();
    expect(numbers(calls[1]!.request)).toEqual([4, 5, 6, 7, 8]);

    const one = messageBytesUpperBound(heartbeats(0, 1)[0]!);
    const byBytes = harness({ peerQueueBytesMax: 3 * one, callBytesMax: 3 * one });
    byBytes.sender.enqueue(heartbeats(0, 1));
    byBytes.sender.enqueue(heartbeats(1, 5));
    expect(byBytes.sender.stats).toMatchObject({
      queuedMessages: 3,
      queuedBytes: 3 * one,
      messagesDropped: 2,
    });
  });
});

describe("failures", () => {
  test("a failed call reports the peer, backs off doubling, probes empty, then resends its messages in order", async () => {
    const { sender, calls, unreachable } = harness();
    sender.enqueue(heartbeats(0, 2));
    sender.enqueue(heartbeats(2, 1));
    const failedAt = performance.now();
    calls[0]!.reject(new ConnectError("connect ECONNREFUSED", Code.Unavailable));
    await settle();
    expect(unreachable).toEqual([2]);
    expect(sender.stats).toMatchObject({
      reachable: false,
      failuresInARow: 1,
      callFailures: 1,
      queuedMessages: 3,
    });
    expect(calls.length).toBe(1);
    sender.enqueue(heartbeats(3, 1));
    await Bun.sleep(30);
    expect(calls.length).toBe(2);
    expect(calls[1]!.at - failedAt).toBeGreaterThanOrEqual(9);
    expect(calls[1]!.request.batch.byteLength).toBe(0); // the probe
    calls[1]!.reject(new ConnectError("connect ECONNREFUSED", Code.Unavailable));
    await settle();
    expect(unreachable).toEqual([2, 2]);
    const secondFailureAt = performance.now();
    await Bun.sleep(35);
    expect(calls.length).toBe(3);
    expect(calls[2]!.at - secondFailureAt).toBeGreaterThanOrEqual(18); // 2 × 10 ms
    calls[2]!.resolve();
    await settle();
    expect(sender.stats).toMatchObject({ reachable: true, failuresInARow: 0 });
    expect(numbers(calls[3]!.request)).toEqual([0, 1, 2, 3]);
  });

  test("the backoff stops doubling at retryBackoffMsMax", async () => {
    const { sender, calls } = harness({ retryBackoffMsMin: 1, retryBackoffMsMax: 4 });
    sender.enqueue(heartbeats(0, 1));
    for (let failure = 0; failure < 8; failure++) {
      while (calls.length <= failure) await Bun.sleep(1);
      calls[failure]!.reject(new Error("socket hang up"));
    }
    const last = performance.now();
    while (calls.length <= 8) await Bun.sleep(1);
    expect(calls[8]!.at - last).toBeLessThan(50);
    expect(sender.stats.failuresInARow).toBe(8);
  });

  test("a call the peer refuses is dropped, not retried", async () => {
    const { sender, calls, unreachable } = harness();
    sender.enqueue(heartbeats(0, 2));
    calls[0]!.reject(new ConnectError("not a peer", Code.PermissionDenied));
    await settle();
    expect(sender.stats).toMatchObject({ callsRefused: 1, messagesDropped: 2, queuedMessages: 0 });
    expect(unreachable).toEqual([2]);
    sender.enqueue(heartbeats(2, 1));
    await Bun.sleep(20);
    calls[1]!.resolve(); // the probe
    await settle();
    expect(numbers(calls[2]!.request)).toEqual([2]);
  });

  test("stop abandons the call in flight and the queue", async () => {
    const { sender, calls } = harness();
    sender.enqueue(heartbeats(0, 1));
    sender.enqueue(heartbeats(1, 1));
    sender.stop();
    expect(calls[0]!.signal.aborted).toBe(true);
    calls[0]!.reject(new Error("aborted"));
    sender.enqueue(heartbeats(2, 1));
    await settle();
    expect(calls.length).toBe(1);
    expect(sender.stats.queuedMessages).toBe(0);
  });
});

/** An append of one entry of `bytes` payload at `offset`; catch-up when the entry is at or below the commit. */
function append(groupId: string, offset: number, bytes: number, commitOffset: number): GroupMessage {
  return {
    groupId,
    message: {
      type: "append",
      from: 1,
      to: 2,
      term: 1,
      prevOffset: offset - 1,
      prevEpoch: 1,
      entries: [
        {
          baseOffset: offset,
          lastOffset: offset,
          epoch: 1,
          kind: "data",
          byteSize: bytes,
          payload: new Uint8Array(bytes),
        },
      ],
      commitOffset,
    },
  };
}

/** A call's messages as "h<commit>" for heartbeats and "<group>@<offset>" for appends. */
function labels(request: DeliverRequest): string[] {
  const decoded = decodeRaftBatch(request.batch, { from: 1, to: 2, messagesMax: 1_000_000 });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.batch.map(({ groupId, message }) =>
    message.type === "heartbeat"
      ? `h${message.commitOffset}`
      : message.type === "append"
        ? `${groupId}@${message.entries[0]!.baseOffset}`
        : message.type,
  );
}

describe("catch-up beside live replication", () => {
  const mib = 1024 * 1024;

  test("live messages go first; a follower's catch-up fills what remains of a call, bounded by its target", async () => {
    const { sender, calls } = harness({ callBytesTarget: 4 * mib });
    sender.enqueue(heartbeats(0, 1)); // in flight
    // A follower far behind: eight appends of 1 MiB of committed entries.
    sender.enqueue(Array.from({ length: 8 }, (_, index) => append("behind-0", index, mib, 100)));
    // Then live traffic of another partition: an append a commit waits for, and a heartbeat.
    sender.enqueue([append("live-0", 50, 1000, 49), ...heartbeats(1, 1)]);
    calls[0]!.resolve();
    await settle();
    expect(labels(calls[1]!.request)).toEqual(["live-0@50", "h1", "behind-0@0", "behind-0@1", "behind-0@2"]);
    calls[1]!.resolve();
    await settle();
    expect(labels(calls[2]!.request)).toEqual(["behind-0@3", "behind-0@4", "behind-0@5"]);
  });

  test("live traffic filling every call still leaves one catch-up message per call", async () => {
    const { sender, calls } = harness({ callBytesTarget: 4 * mib });
    sender.enqueue(heartbeats(0, 1)); // in flight
    sender.enqueue(Array.from({ length: 3 }, (_, index) => append("behind-0", index, mib / 2, 100)));
    sender.enqueue(Array.from({ length: 8 }, (_, index) => append("live-0", 50 + index, mib - 1024, 49)));
    calls[0]!.resolve();
    await settle();
    expect(labels(calls[1]!.request)).toEqual([
      "live-0@50",
      "live-0@51",
      "live-0@52",
      "live-0@53",
      "behind-0@0",
    ]);
    calls[1]!.resolve();
    await settle();
    expect(labels(calls[2]!.request)).toEqual([
      "live-0@54",
      "live-0@55",
      "live-0@56",
      "live-0@57",
      "behind-0@1",
    ]);
  });

  test("a group's appends stay behind its queued catch-up, even ones a commit waits for", async () => {
    const { sender, calls } = harness();
    sender.enqueue(heartbeats(0, 1)); // in flight
    sender.enqueue([append("g-0", 0, 100, 5), append("g-0", 1, 100, 5)]);
    // The follower has caught up to the commit: the next append is live, but must not overtake the two.
    sender.enqueue([append("g-0", 6, 100, 5), ...heartbeats(1, 1)]);
    calls[0]!.resolve();
    await settle();
    expect(labels(calls[1]!.request)).toEqual(["h1", "g-0@0", "g-0@1", "g-0@6"]);
    // A failed call puts each message back in its lane, in order.
    calls[1]!.reject(new Error("socket hang up"));
    await Bun.sleep(30);
    calls[2]!.resolve(); // the probe
    await settle();
    expect(labels(calls[3]!.request)).toEqual(["h1", "g-0@0", "g-0@1", "g-0@6"]);
  });
});
