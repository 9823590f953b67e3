// One Kafka connection's pipeline: bytes in → frames → dispatcher → responses out, in request order.
// Many requests are in flight at once (up to inflightRequestsPerConnectionMax); handlers may finish in any
// order; the responses ready in one event-loop turn leave in one socket write. Reading stops while the
// window is full or too many response bytes wait for the kernel, and resumes as they drain, so a client
// that does not read its responses cannot make the broker buffer without bound.

import { assert, isBug } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import { writeInt32 } from "../protocol/primitives/big-endian.ts";
import type { BrokerLogFields, BrokerLogger } from "./broker-logger.ts";
import type { ConnectionMetrics } from "./connection-metrics.ts";
import type { ConnectionInfo, Dispatcher, DispatchResult, KafkaRequest } from "./dispatcher.ts";
import { isCloseConnection } from "./dispatcher.ts";
import { FrameRejection, FrameSplitter, sizePrefixBytes } from "./frame-splitter.ts";
import type { ListenerLimits } from "./listener-limits.ts";
import { ResponseQueue } from "./response-queue.ts";

/** apiKey int16, apiVersion int16, correlationId int32: common to every request header version. */
export const requestHeaderPrefixBytes = 8;

/** What the pipeline needs of a socket (Bun's Socket has it); tests can pass a fake. */
export interface ConnectionSocket {
  /** Returns how many bytes the kernel accepted; the rest is not buffered by the socket. */
  write(data: Uint8Array): number;
  pause(): void;
  resume(): void;
  end(): void;
}

/**
 * Told of a bug met while serving a request (isBug: a failed assertion, a TypeError): the composition root
 * stops the process, since state the bug touched can no longer be trusted; tests record it.
 */
export type OnBug = (error: unknown, fields: BrokerLogFields) => void;

export interface ConnectionOptions {
  /** Who is connected; the connection adds the `closed` signal. */
  peer: Omit<ConnectionInfo, "closed">;
  socket: ConnectionSocket;
  dispatcher: Dispatcher;
  limits: ListenerLimits;
  logger: BrokerLogger;
  metrics: ConnectionMetrics;
  /** Its monotonic half times idleness and request latency. */
  clock: Clock;
  onBug: OnBug;
}

export class Connection {
  readonly info: ConnectionInfo;
  readonly #options: ConnectionOptions;
  readonly #closedController = new AbortController();
  readonly #splitter: FrameSplitter;
  readonly #responses: ResponseQueue;
  /** Responses taken from the queue, in order, not yet framed. */
  #unframed: Uint8Array[] = [];
  #unframedBytes = 0;
  /** Framed bytes for the kernel, in order; the first may be the rest of a partial write. */
  #segments: Uint8Array[] = [];
  #segmentsBytes = 0;
  #writeBlocked = false;
  #readPaused = false;
  #closed = false;
  #draining = false;
  #servicing = false;
  #serviceScheduled = false;
  #lastActivityMs: number;
  /** The clock, read once per service pass: a read costs ~50 ns, a quarter of a small request's cost. */
  #passMs: number;
  /** Per ticket slot (ticket % capacity): the request's apiKey and when its pass began, for metrics. */
  readonly #ticketApiKeys: Int16Array;
  readonly #ticketStartMs: Float64Array;
  #drainedWaiters: Array<() => void> = [];
  /** A quota throttle (KIP-219): no new request is read or dispatched before this monotonic time. */
  #mutedUntilMs = 0;
  #unmuteTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ConnectionOptions) {
    this.info = {
      ...options.peer,
      closed: this.#closedController.signal,
      muteFor: (ms) => this.#muteFor(ms),
    };
    this.#options = options;
    this.#splitter = new FrameSplitter({ frameBytesMax: options.limits.requestBytesMax });
    this.#responses = new ResponseQueue({ capacity: options.limits.inflightRequestsPerConnectionMax });
    this.#lastActivityMs = options.clock.monotonicMs();
    this.#passMs = this.#lastActivityMs;
    this.#ticketApiKeys = new Int16Array(options.limits.inflightRequestsPerConnectionMax);
    this.#ticketStartMs = new Float64Array(options.limits.inflightRequestsPerConnectionMax);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Requests dispatched and not yet answered, plus answers waiting behind an earlier one. */
  get inflightRequests(): number {
    return this.#responses.size;
  }

  /** Response bytes completed and not yet accepted by the kernel. */
  get pendingResponseBytes(): number {
    return this.#responses.completedBytes + this.#unframedBytes + this.#segmentsBytes;
  }

  get isReadPaused(): boolean {
    return this.#readPaused;
  }

  onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    const nowMs = this.#options.clock.monotonicMs();
    this.#lastActivityMs = nowMs;
    this.#options.metrics.bytesReceived(chunk.length);
    // While draining for a stop, requests not yet dispatched are dropped, not buffered.
    if (this.#draining) return;
    this.#splitter.push(chunk);
    this.#service(nowMs);
  }

  onDrain(): void {
    if (this.#closed) return;
    this.#writeBlocked = false;
    this.#service();
  }

  /** The socket closed (by the peer, by us, or by an error); releases everything this connection holds. */
  onSocketClosed(): void {
    this.#markClosed();
  }

  /** When this connection last sent or received a byte, or null if it is busy (work in flight or unsent). */
  idleSinceMs(): number | null {
    if (this.#responses.size > 0 || this.pendingResponseBytes > 0) return null;
    return this.#lastActivityMs;
  }

  close(reason: string, options: { level: keyof BrokerLogger; fields?: BrokerLogFields }): void {
    if (this.#closed) return;
    this.#options.logger[options.level]("closing connection", {
      connectionId: this.info.id,
      remote: `${this.info.remoteAddress}:${this.info.remotePort}`,
      reason,
      ...options.fields,
    });
    // Answers already complete for earlier requests go out first (best effort: no waiting for drain).
    this.#collectReady();
    this.#writeOut();
    this.#markClosed();
    this.#options.socket.end();
  }

  /** Stops dispatching new requests; resolves once every dispatched request has been answered and written. */
  beginDrain(): Promise<void> {
    this.#draining = true;
    this.#updateReadPause();
    if (this.#closed || this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.#drainedWaiters.push(resolve));
  }

  #isDrained(): boolean {
    return this.#responses.size === 0 && this.pendingResponseBytes === 0;
  }

  /**
   * Mutes the connection for `ms` from now, as Kafka mutes a throttled channel after sending the response that
   * carries the throttle time: requests already dispatched finish; new ones wait (in the socket) until it ends.
   */
  #muteFor(ms: number): void {
    if (this.#closed || ms <= 0) return;
    const untilMs = this.#options.clock.monotonicMs() + ms;
    if (untilMs <= this.#mutedUntilMs) return;
    this.#mutedUntilMs = untilMs;
    clearTimeout(this.#unmuteTimer);
    this.#unmuteTimer = setTimeout(() => {
      this.#unmuteTimer = undefined;
      this.#service();
    }, ms);
    this.#updateReadPause();
  }

  #isMuted(): boolean {
    return this.#mutedUntilMs > this.#options.clock.monotonicMs();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#unmuteTimer);
    this.#unframed = [];
    this.#unframedBytes = 0;
    this.#segments = [];
    this.#segmentsBytes = 0;
    this.#resolveDrainedWaiters();
    this.#closedController.abort(new Error(`connection ${this.info.id} closed`));
  }

  #resolveDrainedWaiters(): void {
    const waiters = this.#drainedWaiters;
    this.#drainedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Moves everything that can move: dispatches frames while the window allows, collects the answered
   * prefix, writes it in one go. Loops only while a step frees room for another (every turn consumes a
   * frame or response bytes, so it ends).
   */
  #service(passMs = this.#options.clock.monotonicMs()): void {
    if (this.#servicing || this.#closed) return;
    this.#servicing = true;
    this.#passMs = passMs;
    try {
      for (;;) {
        const limited = this.#dispatchFrames();
        if (this.#closed) return;
        const taken = this.#collectReady();
        if (!limited) break;
        if (this.pendingResponseBytes > this.#options.limits.pendingResponseBytesMax) {
          const written = this.#writeOut();
          if (written === 0 || this.#writeBlocked) break;
        } else if (taken === 0) {
          break;
        }
      }
      this.#writeOut();
      if (this.#closed) return;
      this.#updateReadPause();
      if (this.#draining && this.#isDrained()) this.#resolveDrainedWaiters();
    } finally {
      this.#servicing = false;
    }
  }

  #scheduleService(): void {
    if (this.#serviceScheduled || this.#servicing) return;
    this.#serviceScheduled = true;
    // setImmediate runs after the current turn's I/O callbacks and promise jobs, so every response
    // completed in this turn is written together.
    setImmediate(() => {
      this.#serviceScheduled = false;
      this.#service();
    });
  }

  #isWindowFull(): boolean {
    return this.#responses.isFull || this.pendingResponseBytes > this.#options.limits.pendingResponseBytesMax;
  }

  /** Dispatches buffered frames; returns true if it stopped because the window is full. */
  #dispatchFrames(): boolean {
    while (!this.#closed && !this.#draining) {
      if (this.#isWindowFull()) return true;
      if (this.#isMuted()) return false;
      const frame = this.#splitter.next();
      if (frame === null) return false;
      if (frame instanceof FrameRejection) {
        this.close(frame.reason, { level: "warn", fields: { sizeBytes: frame.sizeBytes } });
        return false;
      }
      this.#dispatch(frame);
    }
    return false;
  }

  #dispatch(frame: Uint8Array): void {
    if (frame.length < requestHeaderPrefixBytes) {
      this.close(`frame of ${frame.length} bytes is shorter than a request header`, { level: "warn" });
      return;
    }
    const request: KafkaRequest = {
      frame,
      apiKey: ((frame[0]! << 24) | (frame[1]! << 16)) >> 16,
      apiVersion: ((frame[2]! << 24) | (frame[3]! << 16)) >> 16,
      correlationId: (frame[4]! << 24) | (frame[5]! << 16) | (frame[6]! << 8) | frame[7]!,
      connection: this.info,
    };
    const ticket = this.#responses.enqueue();
    this.#ticketApiKeys[ticket % this.#ticketApiKeys.length] = request.apiKey;
    this.#ticketStartMs[ticket % this.#ticketStartMs.length] = this.#passMs;
    this.#options.metrics.requestStarted(request.apiKey);
    let result: DispatchResult | Promise<DispatchResult>;
    try {
      result = this.#options.dispatcher.handle(request);
    } catch (error) {
      this.#fail(error, request);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (settled) => this.#complete(ticket, settled, request),
        (error: unknown) => this.#fail(error, request),
      );
    } else {
      this.#complete(ticket, result, request);
    }
  }

  #complete(ticket: number, result: DispatchResult, request: KafkaRequest): void {
    if (this.#closed) return;
    if (isCloseConnection(result)) {
      if (result.finalResponse !== undefined) this.#responses.complete(ticket, result.finalResponse);
      this.close(result.close, { level: result.level ?? "warn", fields: requestFields(request) });
      return;
    }
    if (result !== null && !(result instanceof Uint8Array)) {
      // Only a dispatcher bug gets here (types forbid it); isolate it like a thrown error.
      this.#fail(new TypeError(`dispatcher returned ${typeof result}, not bytes or null`), request);
      return;
    }
    this.#responses.complete(ticket, result);
    this.#scheduleService();
  }

  /**
   * A handler threw or rejected. A bug (isBug) goes to onBug even when the connection is gone — the state it
   * left behind is shared; anything else (a refusal thrown as an Error, bad bytes deep in a request) closes
   * only this connection, as bad input must.
   */
  #fail(error: unknown, request: KafkaRequest): void {
    if (isBug(error)) this.#options.onBug(error, { connectionId: this.info.id, ...requestFields(request) });
    if (this.#closed) return;
    this.close("dispatcher failed", { level: "error", fields: { ...requestFields(request), error } });
  }

  /**
   * Moves the answered prefix to the unframed list and reports each request as completed, its latency
   * running from the pass that dispatched it to the one that releases it (the wait behind earlier
   * answers included, as the client sees it).
   */
  #collectReady(): number {
    let doneMs = -1;
    return this.#responses.takeReady((ticket, response) => {
      if (doneMs < 0) doneMs = this.#options.clock.monotonicMs();
      const slot = ticket % this.#ticketStartMs.length;
      this.#options.metrics.requestCompleted(
        this.#ticketApiKeys[slot]!,
        doneMs - this.#ticketStartMs[slot]!,
        response !== null,
      );
      if (response === null) return;
      this.#unframed.push(response);
      this.#unframedBytes += response.length;
    });
  }

  /** Hands the kernel what it will take; keeps the rest for `drain`. Returns the bytes written. */
  #writeOut(): number {
    if (this.#writeBlocked || this.#closed) return 0;
    if (this.#unframed.length > 0) {
      for (const segment of frameResponses(this.#unframed, this.#unframedBytes)) {
        this.#segments.push(segment);
        this.#segmentsBytes += segment.length;
      }
      this.#unframed = [];
      this.#unframedBytes = 0;
    }
    let written = 0;
    while (this.#segments.length > 0) {
      const segment = this.#segments[0]!;
      const count = Math.max(0, this.#options.socket.write(segment));
      // A failing write may close the socket from inside write(); everything held is released then.
      if (this.#closed) break;
      written += count;
      this.#segmentsBytes -= count;
      if (count < segment.length) {
        this.#segments[0] = segment.subarray(count);
        this.#writeBlocked = true;
        break;
      }
      this.#segments.shift();
    }
    if (written > 0) {
      this.#lastActivityMs = this.#passMs;
      this.#options.metrics.bytesSent(written);
    }
    return written;
  }

  #updateReadPause(): void {
    const shouldPause = this.#draining || this.#isWindowFull() || this.#isMuted();
    if (shouldPause === this.#readPaused) return;
    this.#readPaused = shouldPause;
    if (shouldPause) this.#options.socket.pause();
    else this.#options.socket.resume();
  }
}

function requestFields(request: KafkaRequest): BrokerLogFields {
  return {
    apiKey: request.apiKey,
    apiVersion: request.apiVersion,
    correlationId: request.correlationId,
  };
}

/** Responses at least this large are written from their own buffer instead of being copied. */
export const responseCopyBytesMax = 64 * 1024;

/**
 * The bytes to write for `responses`, each behind its int32 size prefix: small responses are copied
 * together into one buffer (one write for many); a large one is written as it is, its size prefix
 * riding at the end of the buffer before it, so large responses are never copied.
 */
export function frameResponses(responses: readonly Uint8Array[], bodyBytes: number): Uint8Array[] {
  const segments: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let runBytes = 0;
  for (const response of responses) {
    if (response.length < responseCopyBytesMax) {
      run.push(response);
      runBytes += response.length;
      continue;
    }
    segments.push(copyFramed(run, runBytes, response.length), response);
    bodyBytes -= runBytes + response.length;
    run = [];
    runBytes = 0;
  }
  if (run.length > 0) segments.push(copyFramed(run, runBytes, null));
  assert(bodyBytes === runBytes, "framed every response");
  return segments;
}

/** `run` framed into one buffer, followed by the size prefix of the large response written after it. */
function copyFramed(run: readonly Uint8Array[], runBytes: number, nextSizeBytes: number | null): Uint8Array {
  const trailerBytes = nextSizeBytes === null ? 0 : sizePrefixBytes;
  const out = new Uint8Array(runBytes + run.length * sizePrefixBytes + trailerBytes);
  let at = 0;
  for (const response of run) {
    writeInt32(out, at, response.length);
    out.set(response, at + sizePrefixBytes);
    at += sizePrefixBytes + response.length;
  }
  if (nextSizeBytes !== null) writeInt32(out, at, nextSizeBytes);
  assert(at + trailerBytes === out.length, "copied every byte");
  return out;
}
