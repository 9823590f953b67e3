// The Raft peer transport (ConnectRaftTransport → startRaftServer) against its ceiling, raw Connect over
// HTTP/1.1 in Bun carrying the same request bytes (a pre-encoded DeliverRequest, a handler that decodes
// nothing), measured in the same run. The receiver runs in a child process, so each side has its own event loop
// and its own CPU figure (as between two nodes); one call in flight, as the transport keeps per peer.
//
// Cases: appends of one 1 MiB entry (one per call, and up to eight merged into a call), 10,000 appends of one
// 100 B entry over 100 groups per call (one flush of a busy node), and one heartbeat per call (the per-call cost).
// A second table gives the codec alone, in CPU per message, beside protobuf-es over the generated schema (the
// oracle of the codec's tests), which the codec replaced.
//
//   node_modules/.bin/bun bench/raft-transport.bench.ts [secondsPerCase=3] [rounds=2]

import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { createClient, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { createConnectTransport } from "@connectrpc/connect-node";
import { silentLogger } from "../src/base/logger.ts";
import {
  DeliverRequestSchema,
  DeliverResponseSchema,
  RaftService,
} from "../src/gen/chronik/raft/v1/raft_pb.ts";
import type { Message, NodeId } from "../src/raft/core/index.ts";
import type { GroupMessage } from "../src/raft/node/transport.ts";
import { decodeRaftBatch, encodeRaftBatch } from "../src/raft/transport/codec.ts";
import { ConnectRaftTransport } from "../src/raft/transport/connect-transport.ts";
import { startRaftServer } from "../src/raft/transport/raft-server.ts";
import { referenceDecode, referenceEncode } from "../test/raft/transport/reference-codec.ts";

const host = "127.0.0.1";
const sender: NodeId = 1;
const receiverId: NodeId = 2;

// ---------------------------------------------------------------- receiver (child process)

function serve(): void {
  let messages = 0;
  const raft = startRaftServer({
    host,
    port: 0,
    logger: silentLogger,
    receiver: {
      nodeId: receiverId,
      clusterId: () => "bench",
      isPeer: (nodeId) => nodeId === sender,
      deliver: (_from, batch) => {
        messages += batch.length;
      },
    },
  });
  const router = createConnectRouter({ readMaxBytes: 64 * 1024 * 1024, acceptCompression: [] });
  router.service(RaftService, { deliver: () => create(DeliverResponseSchema) });
  const handler = createFetchHandler(router.handlers[0]!, { httpVersion: "1.1" });
  const raw = Bun.serve({
    hostname: host,
    port: 0,
    maxRequestBodySize: 65 * 1024 * 1024,
    fetch: (request) => handler(request),
  });
  console.log(JSON.stringify({ raftPort: raft.port, rawPort: raw.port }));
  // Stays up until the parent kills it; messages keeps the receiver's work from being optimised away.
  setInterval(() => void messages, 60_000);
}

// ---------------------------------------------------------------- load (parent process)

interface CaseResult {
  calls: number;
  messages: number;
  bytes: number;
  seconds: number;
  clientCpu: number;
  serverCpu: number;
}

interface Case {
  readonly name: string;
  /** What one send() hands the transport. */
  readonly batch: readonly GroupMessage[];
  /** Batches outstanding (sent, not yet acknowledged) the driver keeps. */
  readonly window: number;
}

function append(groupId: string, payloadBytes: number, offset: number): GroupMessage {
  const message: Message = {
    type: "append",
    from: sender,
    to: receiverId,
    term: 7,
    prevOffset: offset - 1,
    prevEpoch: 7,
    entries: [
      {
        baseOffset: offset,
        lastOffset: offset,
        epoch: 7,
        kind: "data",
        byteSize: payloadBytes,
        payload: new Uint8Array(payloadBytes).fill(0x5a),
      },
    ],
    commitOffset: offset - 1,
  };
  return { groupId, message };
}

const heartbeat: GroupMessage = {
  groupId: "orders-0",
  message: {
    type: "heartbeat",
    from: sender,
    to: receiverId,
    term: 7,
    commitOffset: 123_456,
    readRequestId: -1,
  },
};

const cases: Case[] = [
  { name: "1 MiB append, 1 per call", batch: [append("orders-0", 1 << 20, 1000)], window: 1 },
  {
    name: "1 MiB appends, 8 outstanding (ceiling: one 8 MiB call)",
    batch: [append("orders-0", 1 << 20, 1000)],
    window: 8,
  },
  {
    name: "10,000 × 100 B appends (100 groups) per call",
    batch: Array.from({ length: 10_000 }, (_, index) =>
      append(`orders-${index % 100}`, 100, 1000 + index),
    ).sort((a, b) => a.groupId.localeCompare(b.groupId)),
    window: 1,
  },
  { name: "1 heartbeat per call", batch: [heartbeat], window: 1 },
];

/** CPU seconds (user + system) a process has used, from /proc (the child) or process.cpuUsage (this one). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  }
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(
  serverPid: number,
  seconds: number,
  run: (untilMs: number) => Promise<{ calls: number; messages: number; bytes: number }>,
): Promise<CaseResult> {
  const clientBefore = cpuSeconds(undefined);
  const serverBefore = cpuSeconds(serverPid);
  const started = performance.now();
  const counts = await run(started + seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  return {
    ...counts,
    seconds: elapsed,
    clientCpu: (cpuSeconds(undefined) - clientBefore) / elapsed,
    serverCpu: (cpuSeconds(serverPid) - serverBefore) / elapsed,
  };
}

async function runTransport(port: number, benchCase: Case, untilMs: number) {
  let waiter: (() => void) | undefined;
  const transport = new ConnectRaftTransport({
    nodeId: sender,
    peers: [{ nodeId: receiverId, host, port }],
    clusterId: () => "bench",
    logger: silentLogger,
    onCallCompleted: () => {
      waiter?.();
      waiter = undefined;
    },
  });
  const stats = transport.stats()[0]!;
  // Warm the connection up before counting.
  transport.send(receiverId, [heartbeat]);
  while (stats.calls < 1) await new Promise<void>((resolve) => (waiter = resolve));
  const base = { calls: stats.calls, messages: stats.messagesSent, bytes: stats.bytesSent };
  let enqueued = 0;
  while (performance.now() < untilMs) {
    const outstanding = enqueued - (stats.messagesSent - base.messages) - stats.messagesDropped;
    if (outstanding < benchCase.window * benchCase.batch.length) {
      transport.send(receiverId, benchCase.batch);
      enqueued += benchCase.batch.length;
      continue;
    }
    await new Promise<void>((resolve) => (waiter = resolve));
  }
  while (stats.inflightCalls > 0 || stats.queuedMessages > 0)
    await new Promise<void>((resolve) => (waiter = resolve));
  transport.stop();
  if (stats.messagesDropped > 0 || stats.callFailures > 0)
    throw new Error(`dropped or failed: ${JSON.stringify(stats)}`);
  return {
    calls: stats.calls - base.calls,
    messages: stats.messagesSent - base.messages,
    bytes: stats.bytesSent - base.bytes,
  };
}

async function runRaw(port: number, benchCase: Case, untilMs: number) {
  const client = createClient(
    RaftService,
    createConnectTransport({ httpVersion: "1.1", baseUrl: `http://${host}:${port}`, acceptCompression: [] }),
  );
  // The same bytes the transport sends for one call (a merged call for window > 1).
  const merged = Array.from({ length: benchCase.window }, () => benchCase.batch).flat();
  const request = create(DeliverRequestSchema, {
    fromNodeId: sender,
    toNodeId: receiverId,
    clusterId: "bench",
    batch: encodeRaftBatch(merged, sender, receiverId),
  });
  const bytes = request.batch.byteLength;
  await client.deliver(request);
  let calls = 0;
  while (performance.now() < untilMs) {
    await client.deliver(request);
    calls += 1;
  }
  return { calls, messages: calls * merged.length, bytes: calls * bytes };
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const rounds = Number(process.argv[3] ?? 2);
  const child = Bun.spawn([process.execPath, import.meta.path, "--serve"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const ports = JSON.parse(new TextDecoder().decode(value).split("\n")[0]!) as {
    raftPort: number;
    rawPort: number;
  };
  const rows: string[][] = [];
  try {
    for (const benchCase of cases) {
      for (let round = 1; round <= rounds; round++) {
        // Alternate, so both paths see the same background load.
        const raw = await measure(child.pid, seconds, (until) => runRaw(ports.rawPort, benchCase, until));
        const ours = await measure(child.pid, seconds, (until) =>
          runTransport(ports.raftPort, benchCase, until),
        );
        for (const [path, result] of [
          ["raw Connect (ceiling)", raw],
          ["transport", ours],
        ] as const) {
          rows.push([
            benchCase.name,
            path,
            fmt(result.calls / result.seconds),
            fmt(result.messages / result.seconds),
            fmt(result.bytes / result.seconds / 1e6, 1),
            `${fmt(result.clientCpu * 100)}%`,
            `${fmt(result.serverCpu * 100)}%`,
          ]);
        }
      }
    }
  } finally {
    child.kill();
  }
  const header = [
    "case",
    "path",
    "calls/s",
    "messages/s",
    "MB/s (request bodies)",
    "sender CPU",
    "receiver CPU",
  ];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map((_, index) => (index < 2 ? "---" : "---:")).join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

/** CPU microseconds per message to encode and to decode each case's batch, ours and protobuf-es's. */
function codecTable(): void {
  const cpuMicros = (work: () => void, repeats: number): number => {
    const before = process.cpuUsage();
    for (let index = 0; index < repeats; index++) work();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / repeats;
  };
  const header = [
    "batch",
    "encode µs/message",
    "decode µs/message",
    "protobuf-es encode",
    "protobuf-es decode",
  ];
  console.log(`\n| ${header.join(" | ")} |`);
  console.log(
    `|---|${header
      .slice(1)
      .map(() => "---:")
      .join("|")}|`,
  );
  const call = { from: sender, to: receiverId, messagesMax: 1_000_000 };
  for (const [label, batch] of [
    ["100 B append, 10,000 in a batch", cases[2]!.batch],
    ["1 MiB append", cases[0]!.batch],
    ["heartbeat", cases[3]!.batch],
  ] as const) {
    const bytes = encodeRaftBatch(batch, sender, receiverId);
    const repeats = Math.max(20, Math.round(200_000 / batch.length));
    const row = [
      cpuMicros(() => encodeRaftBatch(batch, sender, receiverId), repeats),
      cpuMicros(() => decodeRaftBatch(bytes, call), repeats),
      cpuMicros(() => referenceEncode(batch, sender, receiverId), repeats),
      cpuMicros(() => referenceDecode(bytes, call), repeats),
    ].map((micros) => fmt(micros / batch.length, 2));
    console.log(`| ${label} | ${row.join(" | ")} |`);
  }
}

if (process.argv.includes("--serve")) serve();
else {
  await main();
  codecTable();
}
