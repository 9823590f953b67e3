// Proves the connection pipeline against a fake socket that takes random byte counts per write: the bytes
// out are exactly the size-prefixed responses in request order (small ones coalesced, large ones uncopied),
// and reading pauses while the pending-bytes bound is exceeded and resumes once the kernel drains; a handler
// that fails an assertion (or throws a TypeError) is reported as a bug, one that throws anything else only
// closes its connection.

import { expect, test } from "bun:test";
import { AssertionError, assert } from "../../src/base/assert.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import type { ConnectionSocket } from "../../src/broker/connection.ts";
import { Connection, responseCopyBytesMax } from "../../src/broker/connection.ts";
import { noConnectionMetrics } from "../../src/broker/connection-metrics.ts";
import type { Dispatcher, DispatchResult, KafkaRequest } from "../../src/broker/dispatcher.ts";
import { type ListenerLimits, listenerLimits } from "../../src/broker/listener-limits.ts";
import { concatBytes, requestFrame } from "./socket-test-client.ts";

class FakeSocket implements ConnectionSocket {
  readonly written: Uint8Array[] = [];
  writeCalls = 0;
  paused = false;
  ended = false;
  /** Bytes the fake kernel accepts before it is full; refilled by `drainKernel`. */
  room = 0;
  seed = 12345;

  write(data: Uint8Array): number {
    this.writeCalls += 1;
    // xorshift32: deterministic, so a failure reproduces.
    this.seed ^= this.seed << 13;
    this.seed ^= this.seed >>> 17;
    this.seed ^= this.seed << 5;
    this.seed >>>= 0;
    const count = Math.min(data.length, this.room, this.seed % (data.length + 1));
    this.room -= count;
    this.written.push(data.slice(0, count));
    return count;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A connection over `socket`; the bugs it reports go to `bugs` instead of stopping the process. */
function newConnection(
  socket: ConnectionSocket,
  dispatcher: Dispatcher,
  limits: Partial<ListenerLimits>,
  bugs: unknown[] = [],
): Connection {
  return new Connection({
    peer: {
      id: 1,
      remoteAddress: "127.0.0.1",
      remotePort: 1,
      listenerName: "PLAINTEXT",
      principal: "User:ANONYMOUS",
    },
    socket,
    dispatcher,
    limits: listenerLimits(limits),
    logger: silent,
    metrics: noConnectionMetrics,
    clock: new ManualClock(),
    onBug: (error) => bugs.push(error),
  });
}

function responseFor(request: KafkaRequest): Uint8Array {
  // Every fourth response is large enough to take the uncopied path.
  const size =
    request.correlationId % 4 === 3
      ? responseCopyBytesMax + request.correlationId
      : 4 + request.correlationId;
  const response = new Uint8Array(size).fill(request.correlationId & 0xff);
  new DataView(response.buffer).setInt32(0, request.correlationId);
  return response;
}

function expectedStream(count: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let id = 0; id < count; id++) {
    const response = responseFor({ correlationId: id } as KafkaRequest);
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, response.length);
    parts.push(prefix, response);
  }
  return concatBytes(parts);
}

test("partial writes reproduce the exact response stream, pausing reads while over the bound", () => {
  const socket = new FakeSocket();
  const pendingResponseBytesMax = 3 * responseCopyBytesMax;
  const connection = newConnection(
    socket,
    { handle: responseFor },
    {
      pendingResponseBytesMax,
      inflightRequestsPerConnectionMax: 16,
    },
  );
  const count = 200;
  connection.onData(
    concatBytes(Array.from({ length: count }, (_, id) => requestFrame({ correlationId: id }))),
  );
  let drains = 0;
  let pausedSeen = false;
  while (connection.pendingResponseBytes > 0 || connection.inflightRequests > 0) {
    expect(connection.pendingResponseBytes).toBeLessThanOrEqual(
      pendingResponseBytesMax + 2 * responseCopyBytesMax,
    );
    pausedSeen ||= socket.paused;
    socket.room = 50_000;
    connection.onDrain();
    drains += 1;
    expect(drains).toBeLessThan(10_000);
  }
  expect(pausedSeen).toBe(true);
  expect(socket.paused).toBe(false);
  expect(concatBytes(socket.written)).toEqual(expectedStream(count));
});

/** A socket whose kernel takes every byte at once. */
function roomySocket(): FakeSocket {
  const socket = new FakeSocket();
  socket.write = (data) => {
    socket.writeCalls += 1;
    socket.written.push(data.slice());
    return data.length;
  };
  return socket;
}

test("small responses ready together leave in one write", () => {
  const socket = roomySocket();
  const connection = newConnection(
    socket,
    { handle: (request) => new Uint8Array([request.correlationId]) },
    { inflightRequestsPerConnectionMax: 100 },
  );
  connection.onData(concatBytes(Array.from({ length: 100 }, (_, id) => requestFrame({ correlationId: id }))));
  expect(socket.writeCalls).toBe(1);
  expect(socket.written[0]!.length).toBe(100 * 5);
});

test("responses completed asynchronously in one turn also leave in one write", async () => {
  const socket = roomySocket();
  const connection = newConnection(
    socket,
    { handle: async (request) => new Uint8Array([request.correlationId]) },
    { inflightRequestsPerConnectionMax: 100 },
  );
  connection.onData(concatBytes(Array.from({ length: 100 }, (_, id) => requestFrame({ correlationId: id }))));
  expect(socket.writeCalls).toBe(0);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(socket.writeCalls).toBe(1);
  expect(socket.written[0]!.length).toBe(100 * 5);
  expect(connection.inflightRequests).toBe(0);
});

test("a handler that fails an assertion, at once or later, is reported as a bug and its connection closes", async () => {
  const broken = (): DispatchResult => {
    assert(false, "group state corrupt");
  };
  for (const handle of [broken, async () => broken()]) {
    const socket = new FakeSocket();
    const bugs: unknown[] = [];
    const connection = newConnection(socket, { handle }, {}, bugs);
    connection.onData(requestFrame({ correlationId: 1 }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(bugs).toHaveLength(1);
    expect(bugs[0]).toBeInstanceOf(AssertionError);
    expect((bugs[0] as Error).message).toBe("group state corrupt");
    expect(connection.isClosed).toBe(true);
    expect(socket.ended).toBe(true);
  }
});

test("a TypeError is a bug too; a refusal thrown as a plain Error only closes the connection", async () => {
  const outcomes: Array<[string, number]> = [];
  for (const [name, error] of [
    ["TypeError", new TypeError("x is not a function")],
    ["Error", new Error("metadata change refused: not the leader")],
  ] as const) {
    const bugs: unknown[] = [];
    const connection = newConnection(new FakeSocket(), { handle: () => Promise.reject(error) }, {}, bugs);
    connection.onData(requestFrame({ correlationId: 1 }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.isClosed).toBe(true);
    outcomes.push([name, bugs.length]);
  }
  expect(outcomes).toEqual([
    ["TypeError", 1],
    ["Error", 0],
  ]);
});

test("a quota mute (KIP-219) holds the next requests and pauses reading until it ends", async () => {
  const socket = new FakeSocket();
  socket.room = 1 << 20;
  const clock = new ManualClock();
  const dispatched: number[] = [];
  const dispatcher: Dispatcher = {
    handle(request) {
      dispatched.push(request.correlationId);
      if (request.correlationId === 0) request.connection.muteFor?.(30);
      return responseFor(request);
    },
  };
  const connection = new Connection({
    peer: {
      id: 1,
      remoteAddress: "127.0.0.1",
      remotePort: 1,
      listenerName: "PLAINTEXT",
      principal: "User:ANONYMOUS",
    },
    socket,
    dispatcher,
    limits: listenerLimits({}),
    logger: silent,
    metrics: noConnectionMetrics,
    clock,
    onBug: () => {},
  });
  connection.onData(concatBytes([requestFrame({ correlationId: 0 }), requestFrame({ correlationId: 1 })]));
  expect(dispatched).toEqual([0]);
  expect(socket.paused).toBe(true);
  clock.advance(30);
  await Bun.sleep(60);
  expect(dispatched).toEqual([0, 1]);
  expect(socket.paused).toBe(false);
});
