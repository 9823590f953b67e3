// A minimal Kafka client over one TCP connection, built on the codec: sends exact frames and decodes the
// responses, for tests that must control the bytes on the wire (the same Produce request twice, say).

import { createConnection, type Socket } from "node:net";
import { type ConnectionOptions, connect as connectTls } from "node:tls";
import { decodeResponseFrame, encodeRequestFrame } from "../../src/protocol/frame.ts";
import { requestHeader } from "../../src/protocol/headers.ts";
import type { ApiMessages } from "../../src/protocol/messages/registry.ts";

export class RawKafkaClient {
  private buffer = Buffer.alloc(0);
  private waiting: Array<(frame: Uint8Array) => void> = [];
  private nextCorrelationId = 1;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4) {
        const size = this.buffer.readInt32BE(0);
        if (this.buffer.length < 4 + size) break;
        const frame = new Uint8Array(this.buffer.subarray(0, 4 + size));
        this.buffer = this.buffer.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
  }

  static connect(port: number): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => resolve(new RawKafkaClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Over TLS: `options` give the CA to trust and, for mutual TLS, the client's certificate and key. */
  static connectTls(port: number, options: ConnectionOptions): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host: "127.0.0.1", port, servername: "localhost", ...options }, () =>
        resolve(new RawKafkaClient(socket)),
      );
      socket.once("error", reject);
    });
  }

  /** Resolves when the broker closes the connection (or it fails). */
  closed(): Promise<void> {
    if (this.socket.destroyed || this.socket.readyState === "closed") return Promise.resolve();
    return new Promise((resolve) => this.socket.once("close", () => resolve()));
  }

  /** Writes bytes as they are: a raw SASL token, a frame cut short. */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits for the next response frame (size prefix included) without decoding it. */
  nextFrame(): Promise<Uint8Array> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The socket, for its TLS session (the peer certificate). */
  get rawSocket(): Socket {
    return this.socket;
  }

  /** The request frame a call would send, so a test can send the very same bytes again. */
  frame<K extends keyof ApiMessages>(
    apiKey: K,
    apiVersion: number,
    body: ApiMessages[K]["request"],
  ): Uint8Array {
    const header = requestHeader({
      apiKey,
      apiVersion,
      correlationId: this.nextCorrelationId++,
      clientId: "raw",
    });
    return encodeRequestFrame(header, body).slice();
  }

  /** Sends `frame` and decodes the response as `apiKey` at `apiVersion`. */
  send<K extends keyof ApiMessages>(
    apiKey: K,
    apiVersion: number,
    frame: Uint8Array,
  ): Promise<ApiMessages[K]["response"]> {
    return new Promise((resolve) => {
      this.waiting.push((response) =>
        resolve(decodeResponseFrame(response, apiKey, apiVersion).body as ApiMessages[K]["response"]),
      );
      this.socket.write(frame);
    });
  }

  request<K extends keyof ApiMessages>(apiKey: K, apiVersion: number, body: ApiMessages[K]["request"]) {
    return this.send(apiKey, apiVersion, this.frame(apiKey, apiVersion, body));
  }

  close(): void {
    this.socket.destroy();
  }
}
