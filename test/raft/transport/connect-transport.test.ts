// Proves the Connect-RPC Raft transport over real HTTP on loopback: three GroupManagers elect leaders and
// commit through it, a stopped peer is reported unreachable while the others keep committing, a peer whose
// server returns catches up, calls from outside the cluster, to the wrong node, malformed or oversized are
// refused with nothing applied (logged once per peer), and calls to a peer arrive in order under load.
import { afterEach, describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { systemScheduler } from "../../../src/app/system-time.ts";
import type { Logger } from "../../../src/base/logger.ts";
import { createLogger, silentLogger } from "../../../src/base/logger.ts";
import { DeliverRequestSchema, RaftService } from "../../../src/gen/chronik/raft/v1/raft_pb.ts";
import type { Entry, NodeId } from "../../../src/raft/core/index.ts";
import { GroupManager } from "../../../src/raft/node/group-manager.ts";
import { MemoryLogStore } from "../../../src/raft/node/memory-log-store.ts";
import type { RaftGroup } from "../../../src/raft/node/raft-group.ts";
import type { GroupMessage } from "../../../src/raft/node/transport.ts";
import { encodeRaftBatch } from "../../../src/raft/transport/codec.ts";
import { ConnectRaftTransport } from "../../../src/raft/transport/connect-transport.ts";
import type { RaftReceiver, RaftServer } from "../../../src/raft/transport/raft-server.ts";
import { startRaftServer } from "../../../src/raft/transport/raft-server.ts";
import { FakeHardStateStore, payloadOf, payloadValue, testRaftConfig } from "../node/fakes.ts";

const host = "127.0.0.1";
const tickIntervalMs = 10;
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A receiver whose transport is bound after the server started (the transports need the servers' ports). */
class LateReceiver implements RaftReceiver {
  target: ConnectRaftTransport | undefined;
  constructor(readonly nodeId: NodeId) {}
  clusterId(): string {
    return this.target!.clusterId();
  }
  isPeer(nodeId: NodeId): boolean {
    return this.target!.isPeer(nodeId);
  }
  deliver(from: NodeId, batch: readonly GroupMessage[]): void {
    this.target!.deliver(from, batch);
  }
}

/** Records what it is handed; accepts the peers and cluster id it is given. */
class RecordingReceiver implements RaftReceiver {
  readonly delivered: Array<{ from: NodeId; batch: readonly GroupMessage[] }> = [];
  constructor(
    readonly nodeId: NodeId,
    private readonly peers: readonly NodeId[],
    private readonly cluster: string,
  ) {}
  clusterId(): string {
    return this.cluster;
  }
  isPeer(nodeId: NodeId): boolean {
    return this.peers.includes(nodeId);
  }
  deliver(from: NodeId, batch: readonly GroupMessage[]): void {
    this.delivered.push({ from, batch });
  }
}

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    format: "text",
    sink: (line) => lines.push(line),
    now: () => new Date(0),
  });
  return { logger, lines };
}

interface ClusterNode {
  readonly id: NodeId;
  readonly transport: ConnectRaftTransport;
  readonly manager: GroupManager;
  readonly applied: Map<string, Entry[]>;
  readonly unreachableReports: NodeId[];
  server: RaftServer;
  receiver: LateReceiver;
}

const groupIds = ["orders-0", "orders-1"];

function heartbeat(from: NodeId, to: NodeId): GroupMessage {
  return {
    groupId: "orders-0",
    message: { type: "heartbeat", from, to, term: 3, commitOffset: 5, readRequestId: -1 },
  };
}

function startCluster(nodeIds: readonly NodeId[] = [1, 2, 3]): ClusterNode[] {
  const receivers = nodeIds.map((id) => new LateReceiver(id));
  const servers = receivers.map((receiver) =>
    startRaftServer({ host, port: 0, receiver, logger: silentLogger }),
  );
  const membership = { voters: [...nodeIds], learners: [] };
  const nodes = nodeIds.map((id, index): ClusterNode => {
    const transport = new ConnectRaftTransport({
      nodeId: id,
      peers: nodeIds
        .map((peerId, peerIndex) => ({ nodeId: peerId, host, port: servers[peerIndex]!.port }))
        .filter((peer) => peer.nodeId !== id),
      clusterId: () => "",
      logger: silentLogger,
      limits: { retryBackoffMsMin: 5, retryBackoffMsMax: 50 },
    });
    receivers[index]!.target = transport;
    const manager = new GroupManager({
      nodeId: id,
      transport,
      tickIntervalMs,
      scheduler: systemScheduler,
      logger: silentLogger,
    });
    const unreachableReports: NodeId[] = [];
    const report = manager.reportUnreachable.bind(manager);
    manager.reportUnreachable = (peer) => {
      unreachableReports.push(peer);
      report(peer);
    };
    const applied = new Map<string, Entry[]>();
    for (const [groupIndex, groupId] of groupIds.entries()) {
      const entries: Entry[] = [];
      applied.set(groupId, entries);
      manager.addGroup({
        groupId,
        config: testRaftConfig(id, id * 100 + groupIndex, { heartbeatIntervalTicks: 2 }),
        store: new MemoryLogStore({ config: membership }),
        hardState: new FakeHardStateStore(membership),
        onCommitted: (committed) => entries.push(...committed),
      });
    }
    manager.start();
    return {
      id,
      transport,
      manager,
      applied,
      unreachableReports,
      server: servers[index]!,
      receiver: receivers[index]!,
    };
  });
  cleanups.push(async () => {
    for (const node of nodes) {
      node.manager.stop();
      node.transport.stop();
      await node.server.stop();
    }
  });
  return nodes;
}

async function waitFor(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

function leaderOf(nodes: readonly ClusterNode[], groupId: string): ClusterNode | undefined {
  const leaders = nodes.filter((node) => node.manager.group(groupId)?.role === "leader");
  return leaders.length === 1 ? leaders[0] : undefined;
}

function group(node: ClusterNode, groupId: string): RaftGroup {
  return node.manager.group(groupId)!;
}

function appliedValues(node: ClusterNode, groupId: string): number[] {
  return node.applied
    .get(groupId)!
    .filter((entry) => entry.kind === "data")
    .map(payloadValue);
}

/** Proposes values on each group's leader (re-finding it when it moves) and waits for each commit. */
async function commitOnLeaders(nodes: readonly ClusterNode[], values: readonly number[]): Promise<void> {
  for (const groupId of groupIds) {
    for (const value of values) {
      for (let attempt = 0; ; attempt++) {
        await waitFor(`a leader of ${groupId}`, () => leaderOf(nodes, groupId) !== undefined);
        const leader = group(leaderOf(nodes, groupId)!, groupId);
        const result = leader.propose([{ recordCount: 1, byteSize: 4, payload: payloadOf(value) }]);
        try {
          if (!result.ok) throw new Error(result.refusal);
          await leader.waitForCommit(result.lastOffset);
          break;
        } catch (error) {
          if (attempt >= 20) throw error;
          await Bun.sleep(20);
        }
      }
    }
  }
}

function everyNodeApplied(nodes: readonly ClusterNode[], values: readonly number[]): () => boolean {
  return () =>
    nodes.every((node) =>
      groupIds.every((groupId) => values.every((value) => appliedValues(node, groupId).includes(value))),
    );
}

describe("three nodes over real HTTP", () => {
  test("elect leaders and commit proposals on every node, in one order", async () => {
    const nodes = startCluster();
    const values = Array.from({ length: 20 }, (_, index) => index + 1);
    await commitOnLeaders(nodes, values);
    await waitFor("every node to apply", everyNodeApplied(nodes, values));
    for (const groupId of groupIds) {
      for (const node of nodes)
        expect(appliedValues(node, groupId)).toEqual(appliedValues(nodes[0]!, groupId));
    }
    for (const node of nodes) {
      // Every node calls someone; not necessarily every peer (two followers of the same leaders never talk).
      const sum = (pick: (stats: ReturnType<typeof node.transport.stats>[number]) => number) =>
        node.transport.stats().reduce((total, stats) => total + pick(stats), 0);
      expect(sum((stats) => stats.calls)).toBeGreaterThan(0);
      expect(sum((stats) => stats.messagesSent)).toBeGreaterThan(0);
      expect(sum((stats) => stats.bytesSent)).toBeGreaterThan(0);
      expect(sum((stats) => stats.latencyMsSum)).toBeGreaterThan(0);
      for (const stats of node.transport.stats()) expect(stats.callFailures).toBe(0);
      expect(node.server.stats.callsAccepted).toBeGreaterThan(0);
      expect(node.server.stats.callsRefused).toBe(0);
    }
  });

  test("a stopped peer is reported unreachable and the other two keep committing", async () => {
    const nodes = startCluster();
    await commitOnLeaders(nodes, [1]);
    const victim = nodes[2]!;
    victim.manager.stop();
    victim.transport.stop();
    await victim.server.stop();
    const survivors = nodes.slice(0, 2);
    const values = [2, 3, 4, 5];
    await commitOnLeaders(survivors, values);
    await waitFor("the survivors to apply", everyNodeApplied(survivors, [1, ...values]));
    // Followers send nothing to each other; each group's leader sends to the victim and finds it gone.
    for (const groupId of groupIds) {
      const leader = leaderOf(survivors, groupId)!;
      await waitFor("the victim reported unreachable", () => leader.unreachableReports.includes(victim.id));
      const stats = leader.transport.stats().find((peer) => peer.peerNodeId === victim.id)!;
      expect(stats.reachable).toBe(false);
      expect(stats.callFailures).toBeGreaterThan(0);
      expect(stats.queuedMessages).toBeLessThanOrEqual(leader.transport.limits.peerQueueMessagesMax);
    }
  });

  test("a follower whose server comes back is reachable again and catches up", async () => {
    const nodes = startCluster();
    await commitOnLeaders(nodes, [1]);
    const follower = nodes.find((node) =>
      groupIds.every((groupId) => group(node, groupId).role !== "leader"),
    );
    // Two groups on three nodes: some node leads neither, unless both moved since (then nothing to test here).
    if (follower === undefined) return;
    const leaders = groupIds.map((groupId) => leaderOf(nodes, groupId)!);
    const port = follower.server.port;
    await follower.server.stop();
    await commitOnLeaders(nodes, [2, 3]);
    for (const leader of leaders) {
      await waitFor("the follower reported unreachable", () =>
        leader.unreachableReports.includes(follower.id),
      );
    }
    expect(everyNodeApplied([follower], [2])()).toBe(false);
    follower.server = startRaftServer({ host, port, receiver: follower.receiver, logger: silentLogger });
    await waitFor("the follower to catch up", everyNodeApplied(nodes, [1, 2, 3]));
    for (const leader of leaders) {
      const stats = leader.transport.stats().find((peer) => peer.peerNodeId === follower.id)!;
      await waitFor("the follower reachable", () => stats.reachable);
    }
  });
});

describe("refusals", () => {
  function rawClient(port: number) {
    return createClient(
      RaftService,
      createConnectTransport({ httpVersion: "1.1", baseUrl: `http://${host}:${port}` }),
    );
  }

  async function refusalCode(call: Promise<unknown>): Promise<Code | "accepted"> {
    try {
      await call;
      return "accepted";
    } catch (error) {
      return ConnectError.from(error).code;
    }
  }

  test("an unknown sender, another cluster, another receiving node or a malformed batch: refused, nothing applied, logged once per peer", async () => {
    const receiver = new RecordingReceiver(2, [1, 3], "cluster-a");
    const { logger, lines } = capturingLogger();
    const server = startRaftServer({ host, port: 0, receiver, logger });
    cleanups.push(() => server.stop());
    const client = rawClient(server.port);
    const batch = (from: NodeId, to: NodeId) => encodeRaftBatch([heartbeat(from, to)], from, to);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(
        await refusalCode(
          client.deliver({ fromNodeId: 9, toNodeId: 2, clusterId: "cluster-a", batch: batch(9, 2) }),
        ),
      ).toBe(Code.PermissionDenied);
      expect(
        await refusalCode(
          client.deliver({ fromNodeId: 1, toNodeId: 2, clusterId: "cluster-b", batch: batch(1, 2) }),
        ),
      ).toBe(Code.FailedPrecondition);
    }
    expect(
      await refusalCode(
        client.deliver({ fromNodeId: 3, toNodeId: 4, clusterId: "cluster-a", batch: batch(3, 4) }),
      ),
    ).toBe(Code.FailedPrecondition);
    const malformed = new Uint8Array([0x0a, 0x03, 0x12, 0x01, 0x00]);
    expect(
      await refusalCode(client.deliver({ fromNodeId: 3, toNodeId: 2, clusterId: "", batch: malformed })),
    ).toBe(Code.InvalidArgument);
    expect(receiver.delivered).toEqual([]);
    expect(server.stats).toMatchObject({ callsAccepted: 0, callsRefused: 8 });
    const refusals = lines.filter((line) => line.includes("refusing raft calls"));
    expect(refusals.length).toBe(4); // node 9, node 1, node 3 (wrong receiver), node 3 again (a new reason)
    expect(refusals[0]).toContain("from=9");
    expect(refusals[1]).toContain("cluster-b");

    // A cluster id unknown on either side is accepted; an accepted call lets a refused peer be logged again.
    expect(
      await refusalCode(client.deliver({ fromNodeId: 1, toNodeId: 2, clusterId: "", batch: batch(1, 2) })),
    ).toBe("accepted");
    expect(receiver.delivered.map((call) => call.from)).toEqual([1]);
    expect(receiver.delivered[0]!.batch).toEqual([heartbeat(1, 2)]);
    const unknownCluster = new RecordingReceiver(2, [1], "");
    const second = startRaftServer({ host, port: 0, receiver: unknownCluster, logger: silentLogger });
    cleanups.push(() => second.stop());
    expect(
      await refusalCode(
        rawClient(second.port).deliver({
          fromNodeId: 1,
          toNodeId: 2,
          clusterId: "cluster-b",
          batch: batch(1, 2),
        }),
      ),
    ).toBe("accepted");
  });

  test("a transport of another cluster has its calls refused and counted, and stops retrying them", async () => {
    const receiver = new RecordingReceiver(2, [1], "cluster-a");
    const server = startRaftServer({ host, port: 0, receiver, logger: silentLogger });
    cleanups.push(() => server.stop());
    const { logger, lines } = capturingLogger();
    const transport = new ConnectRaftTransport({
      nodeId: 1,
      peers: [{ nodeId: 2, host, port: server.port }],
      clusterId: () => "cluster-b",
      logger,
      limits: { retryBackoffMsMin: 5, retryBackoffMsMax: 10 },
    });
    cleanups.push(() => transport.stop());
    for (let index = 0; index < 5; index++) {
      transport.send(2, [heartbeat(1, 2)]);
      await Bun.sleep(15);
    }
    const stats = transport.stats()[0]!;
    await waitFor("refusals", () => stats.callsRefused >= 2);
    expect(stats.messagesSent).toBe(0);
    expect(stats.reachable).toBe(false);
    expect(receiver.delivered).toEqual([]);
    expect(lines.filter((line) => line.includes("raft peer refuses")).length).toBe(1);
  });

  test("a body over callBytesMax is refused unread; a bad path or content type gets an HTTP error", async () => {
    const receiver = new RecordingReceiver(2, [1], "");
    const callBytesMax = 64 * 1024;
    const server = startRaftServer({
      host,
      port: 0,
      receiver,
      logger: silentLogger,
      limits: { callBytesMax },
    });
    cleanups.push(() => server.stop());
    const big: GroupMessage = {
      groupId: "orders-0",
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
            byteSize: 70_000,
            payload: new Uint8Array(70_000),
          },
        ],
        commitOffset: -1,
      },
    };
    const request = { fromNodeId: 1, toNodeId: 2, clusterId: "", batch: encodeRaftBatch([big], 1, 2) };
    expect(await refusalCode(rawClient(server.port).deliver(request))).toBe(Code.ResourceExhausted);
    // The same body sent by hand, to see the HTTP answer and that it is not read past its declared length.
    const body = toBinary(DeliverRequestSchema, create(DeliverRequestSchema, request));
    const response = await fetch(`http://${host}:${server.port}/chronik.raft.v1.RaftService/Deliver`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body,
    });
    expect(response.status).not.toBe(200);
    expect(await response.text()).toContain("resource_exhausted");
    expect(receiver.delivered).toEqual([]);

    expect((await fetch(`http://${host}:${server.port}/other`, { method: "POST" })).status).toBe(404);
    const wrongType = await fetch(`http://${host}:${server.port}/chronik.raft.v1.RaftService/Deliver`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    expect(wrongType.status).toBe(415);
    const garbage = await fetch(`http://${host}:${server.port}/chronik.raft.v1.RaftService/Deliver`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: new Uint8Array([0xff, 0xff, 0xff]),
    });
    // Connect itself answers a body that is not a DeliverRequest, before the handler: internal, "parse binary".
    expect(garbage.status).toBe(500);
    expect(await garbage.text()).toContain("parse binary");
    expect(receiver.delivered).toEqual([]);
  });
});

describe("a hung peer", () => {
  test("a call not answered within callTimeoutMs fails: the peer is reported, its messages kept for the retry", async () => {
    // Accepts connections and reads requests, never answers: a process stopped with SIGSTOP, say.
    const silent = Bun.listen({ hostname: host, port: 0, socket: { data() {} } });
    cleanups.push(() => silent.stop(true));
    const unreachable: NodeId[] = [];
    const transport = new ConnectRaftTransport({
      nodeId: 1,
      peers: [{ nodeId: 2, host, port: silent.port }],
      clusterId: () => "",
      logger: silentLogger,
      limits: { callTimeoutMs: 100, retryBackoffMsMin: 1_000, retryBackoffMsMax: 1_000 },
    });
    cleanups.push(() => transport.stop());
    transport.onUnreachable((peer) => unreachable.push(peer));
    const started = performance.now();
    transport.send(2, [heartbeat(1, 2)]);
    const stats = transport.stats()[0]!;
    await waitFor("the call to time out", () => stats.callFailures === 1, 5_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(unreachable).toEqual([2]);
    expect(stats).toMatchObject({ reachable: false, queuedMessages: 1, inflightCalls: 0 });
  });
});

describe("order under load", () => {
  test("20,000 messages in batches of random sizes arrive once each, in order, merged into fewer calls", async () => {
    const receiver = new RecordingReceiver(2, [1], "");
    const server = startRaftServer({ host, port: 0, receiver, logger: silentLogger });
    cleanups.push(() => server.stop());
    const transport = new ConnectRaftTransport({
      nodeId: 1,
      peers: [{ nodeId: 2, host, port: server.port }],
      clusterId: () => "",
      logger: silentLogger,
      limits: { callMessagesMax: 500 },
    });
    cleanups.push(() => transport.stop());
    const total = 20_000;
    let next = 0;
    let batches = 0;
    let seed = 17;
    while (next < total) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const size = Math.min(total - next, 1 + (seed % 300));
      const batch = Array.from(
        { length: size },
        (_, index): GroupMessage => ({
          groupId: `orders-${(next + index) % 7}`,
          message: {
            type: "heartbeat",
            from: 1,
            to: 2,
            term: 1,
            commitOffset: next + index,
            readRequestId: -1,
          },
        }),
      );
      transport.send(2, batch);
      batches += 1;
      next += size;
      if (seed % 3 === 0) await Bun.sleep(0);
    }
    const received = (): number[] =>
      receiver.delivered.flatMap((call) =>
        call.batch.map(({ message }) => (message.type === "heartbeat" ? message.commitOffset : -1)),
      );
    const stats = transport.stats()[0]!;
    await waitFor("every call answered", () => stats.messagesSent >= total, 30_000);
    expect(received()).toEqual(Array.from({ length: total }, (_, index) => index));
    expect(stats.messagesDropped).toBe(0);
    expect(stats.messagesSent).toBe(total);
    expect(receiver.delivered.length).toBe(stats.calls);
    expect(stats.calls).toBeLessThan(batches);
    expect(Math.max(...receiver.delivered.map((call) => call.batch.length))).toBeLessThanOrEqual(500);
  });
});
