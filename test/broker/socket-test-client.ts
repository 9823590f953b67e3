// A minimal Kafka-framed TCP client for the listener tests: writes raw bytes, collects size-prefixed
// response frames, and reports when the server closes. Deliberately independent of src/broker's splitter.

import net from "node:net";
import { waitUntil } from "../support/wait-until.ts";

export function requestFrame(options: {
  apiKey?: number;
  apiVersion?: number;
  correlationId: number;
  body?: Uint8Array;
}): Uint8Array {
  const body = options.body ?? new Uint8Array(0);
  const out = new Uint8Array(4 + 8 + body.length);
  const view = new DataView(out.buffer);
  view.setInt32(0, 8 + body.length);
  view.setInt16(4, options.apiKey ?? 18);
  view.setInt16(6, options.apiVersion ?? 3);
  view.setInt32(8, options.correlationId);
  out.set(body, 12);
  return out;
}

export function sizePrefix(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function readInt32(bytes: Uint8Array, at = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(at);
}

export class SocketTestClient {
  readonly responses: Uint8Array[] = [];
  receivedBytes = 0;
  closed = false;
  readonly #socket: net.Socket;
  #buffer: Uint8Array = new Uint8Array(0);

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("error", () => {});
  }

  static connect(port: number): Promise<SocketTestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
      socket.once("connect", () => resolve(new SocketTestClient(socket)));
      socket.once("error", reject);
    });
  }

  send(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    this.#socket.destroy();
  }

  async waitForResponses(count: number, timeoutMs = 5_000): Promise<Uint8Array[]> {
    await waitUntil(() => this.responses.length >= count || this.closed, `${count} responses`, { timeoutMs });
    return this.responses;
  }

  waitForClose(timeoutMs = 5_000): Promise<void> {
    return waitUntil(() => this.closed, "the server to close the connection", { timeoutMs });
  }

  #onData(chunk: Buffer): void {
    this.receivedBytes += chunk.length;
    this.#buffer = concatBytes([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const size = readInt32(this.#buffer);
      if (this.#buffer.length < 4 + size) break;
      this.responses.push(this.#buffer.slice(4, 4 + size));
      this.#buffer = this.#buffer.subarray(4 + size);
    }
  }
}
