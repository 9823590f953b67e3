// Proves the dispatcher decodes requests, routes them to handlers, answers ApiVersions from the registry (and
// with UNSUPPORTED_VERSION in v0 for versions it does not serve), ignores bytes after a request's body as Kafka
// does, and closes the connection for frames that do not decode and APIs it does not serve.

import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/base/logger.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { MetricsRegistry } from "../../src/base/metrics.ts";
import { defineHandler } from "../../src/broker/api-handler.ts";
import type { KafkaRequest } from "../../src/broker/dispatcher.ts";
import { isCloseConnection } from "../../src/broker/dispatcher.ts";
import { HandlerRegistry } from "../../src/broker/handler-registry.ts";
import { apiVersionsHandler } from "../../src/broker/handlers/api-versions.ts";
import { RequestDispatcher } from "../../src/broker/request-dispatcher.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeResponsePayload, encodeRequestFrame, frameSizeBytes } from "../../src/protocol/frame.ts";
import { requestHeader } from "../../src/protocol/headers.ts";
import { ApiKey, type ApiMessages, apiCodecs, apiDefinition } from "../../src/protocol/messages/registry.ts";

function makeDispatcher() {
  const metrics = new MetricsRegistry();
  const heartbeat = defineHandler({
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    handle: async (request) => ({
      throttleTimeMs: 0,
      errorCode: request.groupId === "known" ? 0 : ErrorCode.GroupIdNotFound,
      unknownTaggedFields: [],
    }),
  });
  const registry: HandlerRegistry = new HandlerRegistry([
    apiVersionsHandler(() => registry.servedApis()),
    heartbeat,
  ]);
  const dispatcher = new RequestDispatcher({
    registry,
    logger: silentLogger,
    metrics,
    clock: new ManualClock(),
  });
  return { dispatcher, metrics };
}

const connection = {
  id: 1,
  remoteAddress: "127.0.0.1",
  remotePort: 5000,
  closed: new AbortController().signal,
  principal: "User:ANONYMOUS",
};

function requestFor(apiKey: number, apiVersion: number, body: unknown, correlationId = 7): KafkaRequest {
  const frame = encodeRequestFrame(
    requestHeader({ apiKey, apiVersion, correlationId, clientId: "test" }),
    body,
  );
  return { frame: frame.subarray(frameSizeBytes), apiKey, apiVersion, correlationId, connection };
}

async function answer(
  dispatcher: RequestDispatcher,
  request: KafkaRequest,
  responseVersion = request.apiVersion,
) {
  const result = await dispatcher.handle(request);
  if (result === null || isCloseConnection(result)) throw new Error(`no response: ${JSON.stringify(result)}`);
  return decodeResponsePayload(result, request.apiKey, responseVersion);
}

describe("request dispatcher", () => {
  test("ApiVersions lists exactly the registered handlers, at every version it serves", async () => {
    const { dispatcher } = makeDispatcher();
    for (let version = 0; version <= 4; version++) {
      const body = apiDefinition(ApiKey.ApiVersions)!.request.create();
      const response = await answer(dispatcher, requestFor(ApiKey.ApiVersions, version, body));
      const apiVersions = response.body as ApiMessages[18]["response"];
      expect(response.correlationId).toBe(7);
      expect(apiVersions.errorCode).toBe(0);
      expect(apiVersions.apiKeys.map((api) => [api.apiKey, api.minVersion, api.maxVersion])).toEqual([
        [ApiKey.Heartbeat, 0, 4],
        [ApiKey.ApiVersions, 0, 4],
      ]);
    }
  });

  test("an ApiVersions version beyond what is served gets UNSUPPORTED_VERSION in v0", async () => {
    const { dispatcher } = makeDispatcher();
    const frame = encodeRequestFrame(
      requestHeader({ apiKey: ApiKey.ApiVersions, apiVersion: 4, correlationId: 9, clientId: "x" }),
      apiDefinition(ApiKey.ApiVersions)!.request.create(),
    );
    const view = new DataView(frame.buffer);
    view.setInt16(frameSizeBytes + 2, 99);
    const request = {
      frame: frame.subarray(frameSizeBytes),
      apiKey: 18,
      apiVersion: 99,
      correlationId: 9,
      connection,
    };
    const response = await answer(dispatcher, request, 0);
    const body = response.body as ApiMessages[18]["response"];
    expect(body.errorCode).toBe(ErrorCode.UnsupportedVersion);
    expect(body.apiKeys.map((api) => api.apiKey)).toEqual([ApiKey.ApiVersions]);
  });

  test("handlers run with the decoded body and their answer is encoded at the request's version", async () => {
    const { dispatcher, metrics } = makeDispatcher();
    const body = { ...apiCodecs(ApiKey.Heartbeat).request.create(), groupId: "known" };
    const known = await answer(dispatcher, requestFor(ApiKey.Heartbeat, 4, body));
    expect((known.body as ApiMessages[12]["response"]).errorCode).toBe(0);
    const other = await answer(dispatcher, requestFor(ApiKey.Heartbeat, 0, { ...body, groupId: "other" }));
    expect((other.body as ApiMessages[12]["response"]).errorCode).toBe(ErrorCode.GroupIdNotFound);
    expect(metrics.render()).toContain('kafka_requests_total{api="Heartbeat",version="4"} 1');
  });

  test("bytes after a request's body are ignored: the body is decoded and answered", async () => {
    const { dispatcher } = makeDispatcher();
    const withTrailing = (request: KafkaRequest, extra: number[]): KafkaRequest => ({
      ...request,
      frame: new Uint8Array([...request.frame, ...extra]),
    });
    const body = { ...apiCodecs(ApiKey.Heartbeat).request.create(), groupId: "known" };
    for (const version of [0, 4]) {
      const heartbeat = withTrailing(requestFor(ApiKey.Heartbeat, version, body), [0, 0, 1]);
      const answered = await answer(dispatcher, heartbeat);
      expect((answered.body as ApiMessages[12]["response"]).errorCode).toBe(0);
    }
    const apiVersions = requestFor(ApiKey.ApiVersions, 3, apiCodecs(ApiKey.ApiVersions).request.create());
    const versions = await answer(dispatcher, withTrailing(apiVersions, [0xff, 0xff, 0xff, 0xff, 0xff]));
    expect((versions.body as ApiMessages[18]["response"]).errorCode).toBe(0);
  });

  test("unserved APIs and frames that do not decode close the connection", async () => {
    const { dispatcher } = makeDispatcher();
    const metadata = requestFor(ApiKey.Metadata, 12, apiDefinition(ApiKey.Metadata)!.request.create());
    expect(await dispatcher.handle(metadata)).toEqual({ close: "Metadata v12 is not supported" });
    const truncated = requestFor(ApiKey.Heartbeat, 4, apiCodecs(ApiKey.Heartbeat).request.create());
    const result = await dispatcher.handle({
      ...truncated,
      frame: truncated.frame.subarray(0, truncated.frame.length - 3),
    });
    expect(isCloseConnection(result)).toBe(true);
    expect((result as { close: string }).close).toContain("Heartbeat v4 request");
  });
});
