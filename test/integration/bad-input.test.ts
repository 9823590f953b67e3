// Proves hostile and malformed bytes on the Kafka port cost nothing but their own connection: truncated
// frames and bodies, size prefixes that are negative, tiny or 2 GiB, unknown API keys and unsupported versions
// each get Kafka's answer or a closed connection, while a well-behaved client on another connection keeps
// producing and consuming, and the process stays up; bytes after a request's body are ignored, as Kafka does.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createConnection, type Socket } from "node:net";
import { zeroUuid } from "../../src/protocol/codec-runtime.ts";
import { encodeRequestFrame } from "../../src/protocol/frame.ts";
import { requestHeader } from "../../src/protocol/headers.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { runClient } from "../support/in-process-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";
import { type ServerProcess, startServer } from "../support/server-process.ts";
import { waitUntil } from "../support/wait-until.ts";

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

/** `frame` with `extra` bytes appended after its body, its size prefix grown to match. */
function withBytesAfterBody(frame: Uint8Array, extra: number[]): Uint8Array {
  const bytes = new Uint8Array([...frame, ...extra]);
  new DataView(bytes.buffer).setInt32(0, bytes.length - 4);
  return bytes;
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

  test("unknown API keys and unsupported versions close the connection", async () => {
    const unknownKey = apiVersionsFrame(3);
    new DataView(unknownKey.buffer).setInt16(4, 999);
    const metadataV99 = encodeRequestFrame(
      requestHeader({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1, clientId: "t" }),
      apiCodecs(ApiKey.Metadata).request.create(),
    ).slice();
    new DataView(metadataV99.buffer).setInt16(6, 99);
    for (const bytes of [unknownKey, metadataV99]) {
      const result = await exchange(bytes);
      expect(result.closedByBroker).toBe(true);
      expect(result.received.length).toBe(0);
    }
    await healthyClientWorks("after-unknown");
  });

  test("bytes after a body are ignored: Metadata v12 with 3 more, as librdkafka 2.14 sends, is answered", async () => {
    const client = await RawKafkaClient.connect(server.kafkaPort);
    try {
      // librdkafka #5049: its all-topics Metadata v12 request carries 3 bytes after the body.
      const allTopics = { ...apiCodecs(ApiKey.Metadata).request.create(), topics: null };
      const surplus = withBytesAfterBody(client.frame(ApiKey.Metadata, 12, allTopics), [0, 0, 0]);
      const first = await client.send(ApiKey.Metadata, 12, surplus);
      expect(first.brokers.map((broker) => broker.port)).toEqual([server.kafkaPort]);
      // The connection stays open: the next request on it is answered too, and so is one with bytes after it.
      const second = await client.request(ApiKey.Metadata, 12, allTopics);
      expect(second.clusterId).toBe(first.clusterId);
      const apiVersions = await client.send(
        ApiKey.ApiVersions,
        3,
        withBytesAfterBody(
          client.frame(ApiKey.ApiVersions, 3, apiCodecs(ApiKey.ApiVersions).request.create()),
          [1, 2, 3, 4, 5],
        ),
      );
      expect(apiVersions.errorCode).toBe(0);
    } finally {
      client.close();
    }
    expect(server.logs()).not.toContain("does not decode");
  });

  test("a body cut short still closes the connection, before the request behind it", async () => {
    const header = requestHeader({
      apiKey: ApiKey.Metadata,
      apiVersion: 12,
      correlationId: 7,
      clientId: "t",
    });
    const full = encodeRequestFrame(header, {
      ...apiCodecs(ApiKey.Metadata).request.create(),
      topics: [{ name: "some-topic", topicId: zeroUuid, unknownTaggedFields: [] }],
    });
    const short = full.slice(0, full.length - 3);
    new DataView(short.buffer).setInt32(0, short.length - 4);
    const result = await exchange(new Uint8Array([...short, ...apiVersionsFrame(3)]));
    expect(result.closedByBroker).toBe(true);
    expect(result.received.length).toBe(0);
    // The broker's line reaches its stderr pipe a moment after the close reaches the client.
    await waitUntil(() => server.logs().includes("does not decode"), "the refusal's log line");
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
