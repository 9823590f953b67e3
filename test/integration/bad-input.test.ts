// Proves hostile and malformed bytes on the Kafka port cost nothing but their own connection: truncated
// frames, size prefixes that are negative, tiny or 2 GiB, unknown API keys, unsupported versions and garbage
// after a valid request each get Kafka's answer or a closed connection, while a well-behaved client on another
// connection keeps producing and consuming, and the process stays up.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createConnection, type Socket } from "node:net";
import { encodeRequestFrame } from "../../src/protocol/frame.ts";
import { requestHeader } from "../../src/protocol/headers.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { runClient } from "../support/in-process-broker.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";

let server: ServerProcess;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

interface Exchange {
  /** Bytes the broker sent back before the connection ended (or the wait ran out). */
  received: Buffer;
  closedByBroker: boolean;
}

/** Sends raw bytes on a fresh connection; collects what comes back until the broker closes or waitMs passes. */
function exchange(bytes: Uint8Array, waitMs = 1500): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket: Socket = createConnection({ host: "127.0.0.1", port: server.kafkaPort });
    const finish = (closedByBroker: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByBroker });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    socket.write(bytes);
  });
}

function sizePrefix(size: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bytes = new Uint8Array(4 + body.length);
  new DataView(bytes.buffer).setInt32(0, size);
  bytes.set(body, 4);
  return bytes;
}

function apiVersionsFrame(version: number): Uint8Array {
  const header = requestHeader({
    apiKey: ApiKey.ApiVersions,
    apiVersion: 3,
    correlationId: 42,
    clientId: "t",
  });
  const frame = encodeRequestFrame(header, apiCodecs(ApiKey.ApiVersions).request.create()).slice();
  new DataView(frame.buffer).setInt16(6, version);
  return frame;
}

/** A well-behaved client still works: kcat produces and reads back one message. */
async function healthyClientWorks(topic: string): Promise<void> {
  const address = `127.0.0.1:${server.kafkaPort}`;
  await runClient(["kcat", "-b", address, "-P", "-t", topic], "still-here\n");
  const read = await runClient(["kcat", "-b", address, "-C", "-t", topic, "-o", "beginning", "-e", "-q"]);
  expect(read.trim()).toBe("still-here");
}

describe("malformed and hostile input", () => {
  test("size prefixes that are negative, 2 GiB, or too small for a header close the connection at once", async () => {
    for (const bytes of [
      sizePrefix(-1),
      sizePrefix(0x7fffffff),
      sizePrefix(0x80000000 | 0),
      sizePrefix(3, new Uint8Array(3)),
    ]) {
      const result = await exchange(bytes);
      expect(result.closedByBroker).toBe(true);
      expect(result.received.length).toBe(0);
    }
    await healthyClientWorks("after-sizes");
  });

  test("unknown API keys, unsupported versions and trailing garbage close the connection", async () => {
    const unknownKey = apiVersionsFrame(3);
    new DataView(unknownKey.buffer).setInt16(4, 999);
    const metadataV99 = encodeRequestFrame(
      requestHeader({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1, clientId: "t" }),
      apiCodecs(ApiKey.Metadata).request.create(),
    ).slice();
    new DataView(metadataV99.buffer).setInt16(6, 99);
    const valid = apiVersionsFrame(3);
    const withGarbage = new Uint8Array(valid.length + 5);
    withGarbage.set(valid);
    withGarbage.set([1, 2, 3, 4, 5], valid.length);
    new DataView(withGarbage.buffer).setInt32(0, valid.length + 5 - 4);
    for (const bytes of [unknownKey, metadataV99, withGarbage]) {
      const result = await exchange(bytes);
      expect(result.closedByBroker).toBe(true);
      expect(result.received.length).toBe(0);
    }
    await healthyClientWorks("after-unknown");
  });

  test("ApiVersions at a version the broker does not know is answered with UNSUPPORTED_VERSION in v0", async () => {
    const result = await exchange(apiVersionsFrame(99), 500);
    const view = new DataView(result.received.buffer, result.received.byteOffset);
    expect(result.received.length).toBeGreaterThan(10);
    expect(view.getInt32(4)).toBe(42); // correlation id
    expect(view.getInt16(8)).toBe(35); // UNSUPPORTED_VERSION
  });

  test("a truncated frame and a client that vanishes mid-frame leave the broker serving", async () => {
    const valid = apiVersionsFrame(3);
    const truncated = await exchange(valid.subarray(0, valid.length - 4), 300);
    expect(truncated.received.length).toBe(0);
    await healthyClientWorks("after-truncated");
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/health`)).status).toBe(200);
  });
});
