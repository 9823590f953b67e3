// Proves the Kafka listener over real sockets: pipelined requests answered strictly in order whatever order
// handlers finish, "no response" requests skipped, any chunking accepted, bad frames closing only their own
// connection, and the bounds (in-flight window, pending bytes, idle time, connection count) honoured. Idle
// time, the stop's drain deadline and latency run on a ManualClock; handlers' random delays are seeded.

import { afterEach, describe, expect, test } from "bun:test";
import { systemClock, systemScheduler } from "../../src/app/system-time.ts";
import type { Clock, Scheduler } from "../../src/base/clock.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { Prng } from "../../src/base/prng.ts";
import type { BrokerLogFields } from "../../src/broker/broker-logger.ts";
import type { Dispatcher, DispatchResult, KafkaRequest } from "../../src/broker/dispatcher.ts";
import { closeConnection } from "../../src/broker/dispatcher.ts";
import type { KafkaListener } from "../../src/broker/listener.ts";
import { startListener } from "../../src/broker/listener.ts";
import type { ListenerLimits } from "../../src/broker/listener-limits.ts";
import { waitUntil } from "../support/wait-until.ts";
import { concatBytes, readInt32, requestFrame, SocketTestClient, sizePrefix } from "./socket-test-client.ts";

type LogLine = { level: string; message: string; fields: BrokerLogFields };

/** Handlers' random delays: seeded, so a failure reproduces. */
const prng = new Prng(21);
const randomMs = (maxMs: number) => (prng.uint32() / 2 ** 32) * maxMs;

const running: KafkaListener[] = [];
const clients: SocketTestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.end();
  await Promise.all(running.splice(0).map((listener) => listener.stop({ drainMs: 100 })));
});

function recordingLogger(lines: LogLine[]) {
  const at =
    (level: string) =>
    (message: string, fields: BrokerLogFields = {}) => {
      lines.push({ level, message, fields });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function start(
  dispatcher: Dispatcher,
  limits: Partial<ListenerLimits> = {},
  time: { clock: Clock; scheduler: Scheduler } = { clock: systemClock, scheduler: systemScheduler },
) {
  const logs: LogLine[] = [];
  const bugs: unknown[] = [];
  const listener = startListener({
    hostname: "127.0.0.1",
    port: 0,
    dispatcher,
    logger: recordingLogger(logs),
    limits,
    ...time,
    onBug: (error) => bugs.push(error),
  });
  running.push(listener);
  return { listener, logs, bugs };
}

async function connect(listener: KafkaListener): Promise<SocketTestClient> {
  const client = await SocketTestClient.connect(listener.port);
  clients.push(client);
  return client;
}

/** Response = correlation id followed by the request body, so tests can check both order and content. */
function echo(request: KafkaRequest): Uint8Array {
  const response = new Uint8Array(4 + request.frame.length - 8);
  new DataView(response.buffer).setInt32(0, request.correlationId);
  response.set(request.frame.subarray(8), 4);
  return response;
}

const echoDispatcher: Dispatcher = { handle: echo };

function correlationIds(responses: readonly Uint8Array[]): number[] {
  return responses.map((response) => readInt32(response));
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

describe("listener ordering", () => {
  test("1,000 pipelined requests finishing in random order are answered in request order", async () => {
    const dispatcher: Dispatcher = {
      async handle(request) {
        await Bun.sleep(randomMs(5));
        return echo(request);
      },
    };
    const { listener } = start(dispatcher);
    const client = await connect(listener);
    const bodies = range(1000).map((i) => Uint8Array.from({ length: i % 17 }, (_, j) => (i + j) & 0xff));
    client.send(concatBytes(range(1000).map((i) => requestFrame({ correlationId: i, body: bodies[i] }))));
    const responses = await client.waitForResponses(1000);
    expect(correlationIds(responses)).toEqual(range(1000));
    for (const i of range(1000)) expect(responses[i]!.subarray(4)).toEqual(bodies[i]!);
  });

  test("null responses are skipped without blocking the requests behind them", async () => {
    const dispatcher: Dispatcher = {
      async handle(request) {
        // Nulls finish last, so an implementation that waited on them would stall the others.
        const silent = request.correlationId % 3 === 0;
        await Bun.sleep(silent ? 20 : randomMs(3));
        return silent ? null : echo(request);
      },
    };
    const { listener } = start(dispatcher, { inflightRequestsPerConnectionMax: 32 });
    const client = await connect(listener);
    client.send(concatBytes(range(300).map((i) => requestFrame({ correlationId: i }))));
    const expected = range(300).filter((i) => i % 3 !== 0);
    const responses = await client.waitForResponses(expected.length);
    await Bun.sleep(30);
    expect(correlationIds(responses)).toEqual(expected);
  });

  test("a stream cut at every byte boundary and one with many frames per write both work", async () => {
    const { listener } = start(echoDispatcher);
    const stream = concatBytes(
      range(40).map((i) => requestFrame({ correlationId: i, body: new Uint8Array(i) })),
    );
    const trickle = await connect(listener);
    for (let at = 0; at < stream.length; at += 1 + (at % 5)) {
      trickle.send(stream.subarray(at, at + 1 + (at % 5)));
      if (at % 7 === 0) await Bun.sleep(0);
    }
    const bulk = await connect(listener);
    bulk.send(concatBytes([stream, stream]));
    expect(correlationIds(await trickle.waitForResponses(40))).toEqual(range(40));
    expect(correlationIds(await bulk.waitForResponses(80))).toEqual([...range(40), ...range(40)]);
  });
});

describe("listener bad input", () => {
  const badPrefixes: Array<[string, Uint8Array]> = [
    ["one byte over requestBytesMax", sizePrefix(1_025)],
    ["negative", sizePrefix(0xffff_fffe)],
    ["2 GiB", sizePrefix(0x8000_0000)],
    ["int32 max", sizePrefix(0x7fff_ffff)],
    ["shorter than a request header", concatBytes([sizePrefix(3), new Uint8Array(3)])],
  ];
  for (const [name, bytes] of badPrefixes) {
    test(`a ${name} size prefix closes that connection only`, async () => {
      const { listener, logs } = start(echoDispatcher, { requestBytesMax: 1_024 });
      const good = await connect(listener);
      const bad = await connect(listener);
      good.send(requestFrame({ correlationId: 1 }));
      await good.waitForResponses(1);
      bad.send(concatBytes([requestFrame({ correlationId: 7 }), bytes]));
      await bad.waitForClose();
      expect(correlationIds(bad.responses)).toEqual([7]);
      expect(logs.some((line) => line.level === "warn" && line.message === "closing connection")).toBe(true);
      good.send(requestFrame({ correlationId: 2 }));
      expect(correlationIds(await good.waitForResponses(2))).toEqual([1, 2]);
      expect(good.closed).toBe(false);
      expect(listener.stats().connections).toBe(1);
    });
  }

  test("a close outcome, a throw or a bad result closes only that connection, and logs why; a bad result is a bug", async () => {
    const dispatcher: Dispatcher = {
      handle(request): DispatchResult | Promise<DispatchResult> {
        if (request.apiKey === 100) return closeConnection("unknown api key 100");
        if (request.apiKey === 101) throw new Error("handler bug");
        if (request.apiKey === 102) return Promise.reject(new Error("async handler bug"));
        if (request.apiKey === 103) return Promise.resolve(undefined as unknown as DispatchResult);
        return echo(request);
      },
    };
    const { listener, logs, bugs } = start(dispatcher);
    const good = await connect(listener);
    for (const apiKey of [100, 101, 102, 103]) {
      const bad = await connect(listener);
      bad.send(requestFrame({ apiKey, correlationId: apiKey }));
      await bad.waitForClose();
      good.send(requestFrame({ correlationId: apiKey }));
    }
    expect(correlationIds(await good.waitForResponses(4))).toEqual([100, 101, 102, 103]);
    const closes = logs.filter((line) => line.message === "closing connection");
    expect(closes.map((line) => [line.level, line.fields.apiKey])).toEqual([
      ["warn", 100],
      ["error", 101],
      ["error", 102],
      ["error", 103],
    ]);
    expect(closes[0]!.fields.reason).toBe("unknown api key 100");
    // Only the dispatcher's bad result is a bug; the Errors thrown stand for refusals and close the connection.
    expect(bugs.map((bug) => (bug as Error).name)).toEqual(["TypeError"]);
  });
  test("a client going away aborts its closed signal; late answers are dropped quietly", async () => {
    const aborted: number[] = [];
    const dispatcher: Dispatcher = {
      handle(request) {
        const { promise, resolve } = Promise.withResolvers<DispatchResult>();
        request.connection.closed.addEventListener("abort", () => {
          aborted.push(request.correlationId);
          setTimeout(() => resolve(echo(request)), 5);
        });
        return promise;
      },
    };
    const { listener, logs } = start(dispatcher);
    const client = await connect(listener);
    client.send(concatBytes([requestFrame({ correlationId: 1 }), requestFrame({ correlationId: 2 })]));
    await waitUntil(() => listener.stats().inflightRequests === 2, "two requests in flight");
    client.end();
    await waitUntil(() => aborted.length === 2, "both waits to be aborted");
    await Bun.sleep(20);
    expect(aborted).toEqual([1, 2]);
    expect(listener.stats()).toEqual({ connections: 0, inflightRequests: 0, pendingResponseBytes: 0 });
    expect(logs.filter((line) => line.level === "error")).toEqual([]);
  });
});

describe("listener bounds", () => {
  test("the dispatcher never sees more than inflightRequestsPerConnectionMax requests at once", async () => {
    let concurrent = 0;
    let concurrentMax = 0;
    const dispatcher: Dispatcher = {
      async handle(request) {
        concurrent += 1;
        concurrentMax = Math.max(concurrentMax, concurrent);
        await Bun.sleep(1 + randomMs(3));
        concurrent -= 1;
        return echo(request);
      },
    };
    const { listener } = start(dispatcher, { inflightRequestsPerConnectionMax: 8 });
    const client = await connect(listener);
    client.send(concatBytes(range(400).map((i) => requestFrame({ correlationId: i }))));
    expect(correlationIds(await client.waitForResponses(400))).toEqual(range(400));
    expect(concurrentMax).toBe(8);
  });

  test("a client that stops reading makes the server stop reading, not buffer without bound", async () => {
    const responseBytes = 128 * 1024;
    let dispatched = 0;
    const dispatcher: Dispatcher = {
      handle(request) {
        dispatched += 1;
        const response = new Uint8Array(responseBytes).fill(request.correlationId & 0xff);
        new DataView(response.buffer).setInt32(0, request.correlationId);
        return response;
      },
    };
    const pendingResponseBytesMax = 1024 * 1024;
    const { listener } = start(dispatcher, { pendingResponseBytesMax });
    const client = await connect(listener);
    client.pause();
    const count = 1000; // 128 MiB of responses if nothing pushed back
    client.send(concatBytes(range(count).map((i) => requestFrame({ correlationId: i }))));
    let pendingMax = 0;
    for (let i = 0; i < 50; i++) {
      await Bun.sleep(4);
      pendingMax = Math.max(pendingMax, listener.stats().pendingResponseBytes);
    }
    // Loopback socket buffers take some megabytes; beyond those the server must have stopped reading.
    expect(dispatched).toBeLessThan(300);
    expect(pendingMax).toBeLessThanOrEqual(pendingResponseBytesMax + responseBytes);
    expect(listener.stats().pendingResponseBytes).toBeGreaterThan(0);
    client.resume();
    const responses = await client.waitForResponses(count, 10_000);
    expect(correlationIds(responses)).toEqual(range(count));
    expect(dispatched).toBe(count);
  });

  test("idle connections close after connectionsMaxIdleMs; busy ones stay open", async () => {
    const clock = new ManualClock();
    const { listener, logs } = start(
      echoDispatcher,
      { connectionsMaxIdleMs: 150 },
      { clock, scheduler: clock },
    );
    const idle = await connect(listener);
    const chatty = await connect(listener);
    await waitUntil(() => listener.stats().connections === 2, "two connections");
    const idleCloses = () =>
      logs.filter((line) => line.message === "closing connection" && line.fields.reason === "idle");
    // The sweep runs every 37 ms (a quarter of the limit): at 148 ms the idle one is not yet past 150.
    for (let i = 0; i < 20; i++) {
      chatty.send(requestFrame({ correlationId: i }));
      await chatty.waitForResponses(i + 1);
      clock.advance(i < 4 ? 37 : 20);
      if (i === 3) expect(idleCloses()).toEqual([]);
    }
    await idle.waitForClose(2_000);
    expect(idleCloses().map((line) => line.fields.idleMs)).toEqual([185]);
    expect(chatty.closed).toBe(false);
    expect(correlationIds(chatty.responses)).toEqual(range(20));
  });

  test("connections beyond connectionsMax are closed at once; others are unaffected", async () => {
    const { listener } = start(echoDispatcher, { connectionsMax: 2 });
    const first = await connect(listener);
    const second = await connect(listener);
    await waitUntil(() => listener.stats().connections === 2, "two connections");
    const third = await connect(listener);
    await third.waitForClose();
    second.end();
    await waitUntil(() => listener.stats().connections === 1, "the second connection to go");
    const fourth = await connect(listener);
    fourth.send(requestFrame({ correlationId: 4 }));
    first.send(requestFrame({ correlationId: 1 }));
    expect(correlationIds(await fourth.waitForResponses(1))).toEqual([4]);
    expect(correlationIds(await first.waitForResponses(1))).toEqual([1]);
  });
});

describe("listener stop", () => {
  test("stop lets dispatched requests finish and flush, refuses new connections, then closes", async () => {
    const dispatcher: Dispatcher = {
      async handle(request) {
        await Bun.sleep(50 + (request.correlationId % 5) * 10);
        return echo(request);
      },
    };
    const { listener } = start(dispatcher);
    const client = await connect(listener);
    client.send(concatBytes(range(20).map((i) => requestFrame({ correlationId: i }))));
    await waitUntil(() => listener.stats().inflightRequests === 20, "20 requests in flight");
    const stopped = listener.stop({ drainMs: 2_000 });
    await stopped;
    await client.waitForClose();
    expect(correlationIds(client.responses)).toEqual(range(20));
    await expect(SocketTestClient.connect(listener.port)).rejects.toThrow();
  });

  test("stop closes connections whose requests do not finish within drainMs", async () => {
    const dispatcher: Dispatcher = {
      handle(request) {
        return request.correlationId === 0 ? echo(request) : new Promise<DispatchResult>(() => {});
      },
    };
    const clock = new ManualClock();
    const { listener, logs } = start(dispatcher, {}, { clock, scheduler: clock });
    const client = await connect(listener);
    client.send(concatBytes([requestFrame({ correlationId: 0 }), requestFrame({ correlationId: 1 })]));
    await client.waitForResponses(1);
    let stopped = false;
    const stopping = listener.stop({ drainMs: 100 }).then(() => {
      stopped = true;
    });
    clock.advance(99);
    await Bun.sleep(0);
    expect(stopped).toBe(false);
    clock.advance(1);
    await stopping;
    await client.waitForClose();
    expect(correlationIds(client.responses)).toEqual([0]);
    expect(
      logs.some((line) => line.message === "kafka listener stopped" && line.fields.outcome === "timeout"),
    ).toBe(true);
  });
});

describe("listener metrics", () => {
  test("the metrics hooks see connections, bytes and requests as they happen", async () => {
    const counts = {
      opened: 0,
      closed: 0,
      refused: 0,
      bytesIn: 0,
      bytesOut: 0,
      started: 0,
      completed: 0,
      silent: 0,
    };
    const apiKeys: number[] = [];
    const latenciesMs = new Map<number, number>();
    const clock = new ManualClock();
    const listener = startListener({
      hostname: "127.0.0.1",
      port: 0,
      logger: recordingLogger([]),
      limits: { connectionsMax: 1 },
      clock,
      scheduler: clock,
      onBug: (error) => {
        throw error;
      },
      dispatcher: {
        handle: (request) => {
          if (request.correlationId === 2) return null;
          if (request.correlationId === 3)
            return new Promise((resolve) => clock.setTimeout(() => resolve(echo(request)), 30));
          return echo(request);
        },
      },
      metrics: {
        connectionOpened: () => void counts.opened++,
        connectionClosed: () => void counts.closed++,
        connectionRefused: () => void counts.refused++,
        bytesReceived: (bytes) => {
          counts.bytesIn += bytes;
        },
        bytesSent: (bytes) => {
          counts.bytesOut += bytes;
        },
        requestStarted: (apiKey) => {
          counts.started++;
          apiKeys.push(apiKey);
        },
        requestCompleted: (apiKey, latencyMs, responded) => {
          latenciesMs.set(apiKey, latencyMs);
          counts.completed++;
          if (!responded) counts.silent++;
        },
      },
    });
    running.push(listener);
    const client = await connect(listener);
    const requests = [1, 2, 3].map((i) =>
      requestFrame({ apiKey: i, correlationId: i, body: new Uint8Array(i) }),
    );
    client.send(concatBytes(requests));
    await client.waitForResponses(1);
    clock.advance(30);
    await client.waitForResponses(2);
    const refused = await connect(listener);
    await refused.waitForClose();
    client.end();
    await waitUntil(() => counts.closed === 1, "the close to be counted");
    expect(counts).toEqual({
      opened: 1,
      closed: 1,
      refused: 1,
      bytesIn: requests.reduce((sum, request) => sum + request.length, 0),
      bytesOut: client.receivedBytes,
      started: 3,
      completed: 3,
      silent: 1,
    });
    expect(apiKeys).toEqual([1, 2, 3]);
    expect(latenciesMs.get(1)).toBe(0);
    expect(latenciesMs.get(3)).toBe(30);
    expect(client.receivedBytes).toBe(2 * (4 + 4) + 1 + 3);
  });
});
