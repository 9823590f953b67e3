// Turns a request frame into a response frame: decode with the generated codec, route to the API's handler,
// encode the answer at the request's version. Requests that do not decode, and APIs or versions the broker does
// not serve, close the connection as Kafka does — except ApiVersions, which always gets an answer so a client
// can learn what to speak (KIP-511). Bytes after a request's body are ignored, as Kafka ignores them.

import type { Clock } from "../base/clock.ts";
import type { Logger } from "../base/logger.ts";
import type { Counter, CounterChild, Histogram, HistogramChild, MetricsRegistry } from "../base/metrics.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { type DecodeOptions, decodeRequestPayload, encodeResponsePayload } from "../protocol/frame.ts";
import {
  createApiVersionsResponse,
  createApiVersionsResponseApiVersion,
} from "../protocol/messages/api-versions.ts";
import { ApiKey, apiDefinition } from "../protocol/messages/registry.ts";
import { ProtocolError } from "../protocol/protocol-error.ts";
import type { HandlerResult, RequestContext } from "./api-handler.ts";
import type { ClientQuotaEnforcer } from "./client-quota-enforcer.ts";
import {
  closeConnection,
  type Dispatcher,
  type DispatchResult,
  isCloseConnection,
  type KafkaRequest,
} from "./dispatcher.ts";
import type { HandlerRegistry } from "./handler-registry.ts";

/**
 * Kafka parses the body a request's version defines and never looks at what follows, and clients rely on it:
 * librdkafka 2.14's Metadata v12 request for all topics carries 3 bytes after its body (librdkafka #5049).
 * A body cut short still fails to decode and closes the connection.
 */
const requestDecodeOptions: DecodeOptions = { allowTrailingBytes: true };

/** throttleTimeMs is an int32 on the wire. */
const throttleTimeMsMax = 2147483647;

interface ApiMetrics {
  requests: CounterChild;
  latency: HistogramChild;
}

export interface RequestDispatcherOptions {
  registry: HandlerRegistry;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Its monotonic half times each request, for the latency metric. */
  clock: Clock;
  /** Client quotas to enforce (throttle and mute); absent: none. */
  quotas?: ClientQuotaEnforcer;
}

export class RequestDispatcher implements Dispatcher {
  private readonly registry: HandlerRegistry;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly quotas: ClientQuotaEnforcer | undefined;
  private readonly requestsTotal: Counter;
  private readonly latencySeconds: Histogram;
  /** Metric children by apiKey * 1000 + version, so the hot path does no label look-up. */
  private readonly apiMetrics = new Map<number, ApiMetrics>();

  constructor(options: RequestDispatcherOptions) {
    this.registry = options.registry;
    this.logger = options.logger;
    this.clock = options.clock;
    this.quotas = options.quotas;
    this.requestsTotal = options.metrics.counter("kafka_requests_total", "Kafka requests answered", [
      "api",
      "version",
    ]);
    this.latencySeconds = options.metrics.histogram(
      "kafka_request_latency_seconds",
      "Time from a request's arrival to its response",
      ["api", "version"],
    );
  }

  handle(request: KafkaRequest): DispatchResult | Promise<DispatchResult> {
    const startedMs = this.clock.monotonicMs();
    if (!this.registry.serves(request.apiKey, request.apiVersion)) return this.refuse(request);
    let decoded: ReturnType<typeof decodeRequestPayload>;
    try {
      decoded = decodeRequestPayload(request.frame, requestDecodeOptions);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.logger.warn("closing connection: request does not decode", {
        connection: request.connection.id,
        remote: request.connection.remoteAddress,
        error: error.message,
      });
      return closeConnection(error.message);
    }
    if (decoded.kind !== "request") return this.refuse(request);
    const handler = this.registry.handler(request.apiKey)!;
    const context: RequestContext = {
      apiVersion: request.apiVersion,
      correlationId: request.correlationId,
      clientId: decoded.header.clientId,
      connection: request.connection,
    };
    const result = handler.handle(decoded.body as never, context);
    // The time the handler held the event loop: what Kafka's request quota counts (thread time, not waits).
    const handlerMs = this.clock.monotonicMs() - startedMs;
    const clientId = decoded.header.clientId ?? "";
    if (result instanceof Promise)
      return result.then((body) => this.respond(request, body, { startedMs, handlerMs, clientId }));
    return this.respond(request, result, { startedMs, handlerMs, clientId });
  }

  private respond(
    request: KafkaRequest,
    body: HandlerResult<never> | unknown,
    timing: { startedMs: number; handlerMs: number; clientId: string },
  ): DispatchResult {
    const metrics = this.metricsFor(request.apiKey, request.apiVersion);
    metrics.requests.inc();
    metrics.latency.observe((this.clock.monotonicMs() - timing.startedMs) / 1000);
    if (body !== null && isCloseConnection(body as DispatchResult)) {
      const { close, level, response } = body as { close: string; level?: "debug"; response?: unknown };
      if (response === undefined) return body as DispatchResult;
      return { close, level, finalResponse: encodeResponsePayload(request, response) };
    }
    let bytes = body === null ? null : encodeResponsePayload(request, body);
    if (this.quotas === undefined) return bytes;
    const throttleMs = this.quotas.record({
      apiKey: request.apiKey,
      principal: request.connection.principal,
      clientId: timing.clientId,
      requestBytes: request.frame.length,
      responseBytes: bytes?.length ?? 0,
      handlerMs: timing.handlerMs,
    });
    if (throttleMs <= 0) return bytes;
    // KIP-219: the response goes out at once, carrying the throttle time; then the connection is muted for it.
    if (body !== null && typeof body === "object" && "throttleTimeMs" in body) {
      const throttled = body as { throttleTimeMs: number };
      throttled.throttleTimeMs = Math.min(throttleTimeMsMax, Math.max(throttled.throttleTimeMs, throttleMs));
      bytes = encodeResponsePayload(request, body);
    }
    request.connection.muteFor?.(throttleMs);
    return bytes;
  }

  /** An API or version not served: ApiVersions answers UNSUPPORTED_VERSION in v0; anything else closes. */
  private refuse(request: KafkaRequest): DispatchResult {
    if (request.apiKey === ApiKey.ApiVersions) return this.unsupportedApiVersions(request);
    const name = apiDefinition(request.apiKey)?.name ?? `api key ${request.apiKey}`;
    this.logger.warn("closing connection: unsupported request", {
      connection: request.connection.id,
      remote: request.connection.remoteAddress,
      api: name,
      version: request.apiVersion,
    });
    return closeConnection(`${name} v${request.apiVersion} is not supported`);
  }

  private unsupportedApiVersions(request: KafkaRequest): DispatchResult {
    const served = this.registry.servedApis().find((api) => api.apiKey === ApiKey.ApiVersions);
    const response = {
      ...createApiVersionsResponse(),
      errorCode: ErrorCode.UnsupportedVersion,
      apiKeys: served ? [{ ...createApiVersionsResponseApiVersion(), ...served }] : [],
    };
    const v0 = { apiKey: request.apiKey, apiVersion: 0, correlationId: request.correlationId };
    return encodeResponsePayload(v0, response);
  }

  private metricsFor(apiKey: number, apiVersion: number): ApiMetrics {
    const key = apiKey * 1000 + apiVersion;
    let metrics = this.apiMetrics.get(key);
    if (!metrics) {
      const labels = { api: apiDefinition(apiKey)?.name ?? String(apiKey), version: String(apiVersion) };
      metrics = { requests: this.requestsTotal.labels(labels), latency: this.latencySeconds.labels(labels) };
      this.apiMetrics.set(key, metrics);
    }
    return metrics;
  }
}
