// Proves the fault-injecting proxy the fault tests stand on: it forwards both ways, a cut drops every byte
// (open connections and new ones) until heal closes what lost bytes, and a delay holds chunks in order.
import { afterAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { FaultProxy } from "../support/fault-proxy.ts";

// An echo server: what a connection sends comes back.
const echo = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: { data: (socket, bytes) => void socket.write(bytes) },
});
const proxy = FaultProxy.start(echo.port);

afterAll(() => {
  proxy.close();
  echo.stop(true);
});

interface Client {
  readonly socket: Socket<undefined>;
  received: () => string;
  closed: () => boolean;
}

async function connect(): Promise<Client> {
  let text = "";
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: proxy.port,
    socket: {
      data: (_socket, bytes) => {
        text += new TextDecoder().decode(bytes);
      },
      close: () => {
        closed = true;
      },
    },
  });
  return { socket, received: () => text, closed: () => closed };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${condition.toString()}`);
    await Bun.sleep(10);
  }
}

test("forwards, drops while cut, closes cut connections on heal, and delays in order", async () => {
  const first = await connect();
  first.socket.write("hello");
  await until(() => first.received() === "hello");

  proxy.cut();
  first.socket.write("lost");
  const during = await connect();
  during.socket.write("also lost");
  await Bun.sleep(200);
  expect(first.received()).toBe("hello");
  expect(during.received()).toBe("");
  expect(proxy.droppedBytes).toBeGreaterThanOrEqual("lost".length + "also lost".length);

  proxy.heal();
  await until(() => first.closed() && during.closed());
  const after = await connect();
  after.socket.write("back");
  await until(() => after.received() === "back");

  proxy.delay(150);
  const started = performance.now();
  for (const part of ["a", "b", "c", "d"]) after.socket.write(part);
  await Bun.sleep(50); // the proxy holds them now
  expect(after.received()).toBe("back");
  proxy.delay(0); // chunks sent after a shorter delay never overtake the held ones
  after.socket.write("e");
  await until(() => after.received() === "backabcde").catch((error) => {
    throw new Error(`${error} got ${after.received()}`);
  });
  expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  after.socket.end();
});
