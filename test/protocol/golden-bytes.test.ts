// Proves the codec matches Kafka's wire format, not just itself: hand-checked frames byte for byte, the
// header-version rules, and frames built by kafkajs (an independent encoder) decoding and re-encoding exactly.

import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { noTaggedFields } from "../../src/protocol/codec-runtime.ts";
import {
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  encodeResponsePayload,
} from "../../src/protocol/frame.ts";
import { requestHeader, requestHeaderVersion, responseHeaderVersion } from "../../src/protocol/headers.ts";
import type { ApiVersionsRequest, ApiVersionsResponse } from "../../src/protocol/messages/api-versions.ts";
import type { MetadataRequest } from "../../src/protocol/messages/metadata.ts";
import type { ProduceRequest } from "../../src/protocol/messages/produce.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { scanBatches } from "../../src/protocol/records/batch-header.ts";

function hex(text: string): Uint8Array {
  return Uint8Array.fromHex(text.replace(/\s+/g, ""));
}

describe("hand-checked frames", () => {
  test("ApiVersions v0 request: header v1, empty body", () => {
    const header = requestHeader({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 0,
      correlationId: 1,
      clientId: "ab",
    });
    const body: ApiVersionsRequest = {
      clientSoftwareName: "",
      clientSoftwareVersion: "",
      unknownTaggedFields: noTaggedFields,
    };
    // size 12 | apiKey 18 | version 0 | correlation 1 | clientId "ab" (int16 length)
    const expected = hex("0000000c 0012 0000 00000001 0002 6162");
    expect(encodeRequestFrame(header, body)).toEqual(expected);
    const decoded = decodeRequestFrame(expected);
    expect(decoded.kind).toBe("request");
    expect(decoded.header.clientId).toBe("ab");
  });

  test("ApiVersions v3 request: header v2 keeps clientId non-compact; body compact with tagged fields", () => {
    const header = requestHeader({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 3,
      correlationId: 7,
      clientId: "ab",
    });
    const body: ApiVersionsRequest = {
      clientSoftwareName: "x",
      clientSoftwareVersion: "1.0",
      unknownTaggedFields: noTaggedFields,
    };
    // size 20 | 0012 0003 00000007 | "ab" int16-length | header tags 00 | "x" compact | "1.0" compact | tags 00
    const expected = hex("00000014 0012 0003 00000007 0002 6162 00 02 78 04 312e30 00");
    expect(encodeRequestFrame(header, body)).toEqual(expected);
    const decoded = decodeRequestFrame(expected);
    if (decoded.kind !== "request") throw new Error("expected a request");
    expect(decoded.body).toEqual(body);
  });

  test("Metadata v1 request: nullable topic array, null client id", () => {
    const header = requestHeader({
      apiKey: ApiKey.Metadata,
      apiVersion: 1,
      correlationId: 42,
      clientId: null,
    });
    const topic = { topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: "t", unknownTaggedFields: noTaggedFields };
    const body: MetadataRequest = {
      topics: [topic],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
      unknownTaggedFields: noTaggedFields,
    };
    // size 17 | 0003 0001 0000002a | clientId null ffff | topics count 1 | "t"
    const expected = hex("00000011 0003 0001 0000002a ffff 00000001 0001 74");
    expect(encodeRequestFrame(header, body)).toEqual(expected);
    const all = { ...body, topics: null };
    expect(encodeRequestFrame(header, all)).toEqual(hex("0000000e 0003 0001 0000002a ffff ffffffff"));
  });

  test("ApiVersions v3 response: header v0 (no tagged fields), default tagged fields omitted", () => {
    const body: ApiVersionsResponse = {
      errorCode: 0,
      apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11, unknownTaggedFields: noTaggedFields }],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
      unknownTaggedFields: noTaggedFields,
    };
    const request = { apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 7 };
    // size 19 | correlation 7 | errorCode 0 | 1 key (compact 02): 0000 0000 000b tags 00 | throttle 0 | tags 00
    const expected = hex("00000013 00000007 0000 02 0000 0000 000b 00 00000000 00");
    expect(encodeResponseFrame(request, body)).toEqual(expected);
    // A non-default tagged field is written: tag 1, 8 bytes, epoch 5.
    const withEpoch = { ...body, finalizedFeaturesEpoch: 5n };
    const tagged = hex("0000001d 00000007 0000 02 0000 0000 000b 00 00000000 01 01 08 0000000000000005");
    expect(encodeResponseFrame(request, withEpoch)).toEqual(tagged);
    expect(decodeResponseFrame(tagged, ApiKey.ApiVersions, 3).body).toEqual(withEpoch);
  });

  test("ControlledShutdown v0 request uses header v0 (no client id)", () => {
    const header = requestHeader({
      apiKey: ApiKey.ControlledShutdown,
      apiVersion: 0,
      correlationId: 3,
      clientId: "c",
    });
    const body = { brokerId: 5, brokerEpoch: -1n, unknownTaggedFields: noTaggedFields };
    expect(encodeRequestFrame(header, body)).toEqual(hex("0000000c 0007 0000 00000003 00000005"));
  });
});

describe("header version rules", () => {
  test("flexible requests use header v2, others v1, ControlledShutdown v0 uses v0", () => {
    expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
  });

  test("flexible responses use header v1, ApiVersions always v0", () => {
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 4)).toBe(0);
  });

  test("a flexible response frame carries the header's tagged-field byte", () => {
    const request = { apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 9 };
    const body = { throttleTimeMs: 0, errorCode: 0, unknownTaggedFields: noTaggedFields };
    // size 12 | correlation 9 | header tags 00 | throttle 0 | error 0 | tags 00
    expect(encodeResponseFrame(request, body)).toEqual(hex("0000000c 00000009 00 00000000 0000 00"));
  });

  test("a response payload is its frame without the size prefix, small (copied) or large (a view)", () => {
    const request = { apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 9 };
    const body = { throttleTimeMs: 0, errorCode: 0, unknownTaggedFields: noTaggedFields };
    expect(encodeResponsePayload(request, body)).toEqual(hex("00000009 00 00000000 0000 00"));
    // Past the copy limit the payload is returned as a view of the encoder's buffer; the bytes are the same.
    const large = { ...body, unknownTaggedFields: [{ tag: 7, data: new Uint8Array(5000).fill(0xab) }] };
    const payload = encodeResponsePayload(request, large);
    expect(payload.length).toBeGreaterThan(5000);
    expect(payload).toEqual(encodeResponseFrame(request, large).subarray(4));
  });
});

// kafkajs ships its protocol encoders as CommonJS sources; they build frames with header v1.
const require = createRequire(import.meta.url);
const kafkajsRequest = require("kafkajs/src/protocol/request.js") as (
  args: unknown,
) => Promise<{ buffer: Buffer }>;

async function kafkajsFrame(path: string, args: unknown): Promise<Uint8Array> {
  const build = require(`kafkajs/src/protocol/requests/${path}/request.js`) as (args: unknown) => unknown;
  const encoder = await kafkajsRequest({
    correlationId: 11,
    clientId: "kafkajs-client",
    request: build(args),
  });
  return new Uint8Array(encoder.buffer);
}

describe("frames from kafkajs decode and re-encode to the same bytes", () => {
  test("Produce v3 with a record batch", async () => {
    const frame = await kafkajsFrame("produce/v3", {
      acks: -1,
      timeout: 30000,
      topicData: [
        { topic: "orders", partitions: [{ partition: 2, messages: [{ key: "k", value: "héllo" }] }] },
      ],
    });
    const decoded = decodeRequestFrame(frame);
    if (decoded.kind !== "request") throw new Error("expected a request");
    const body = decoded.body as ProduceRequest;
    expect(decoded.header.clientId).toBe("kafkajs-client");
    expect(body.acks).toBe(-1);
    expect(body.topicData[0]?.name).toBe("orders");
    const records = body.topicData[0]?.partitionData[0]?.records ?? null;
    expect(records).not.toBeNull();
    expect(scanBatches(records!, { verifyCrc: true }).problem).toBeNull();
    expect(encodeRequestFrame(decoded.header, body)).toEqual(frame);
  });

  test("Metadata v4 and v1", async () => {
    for (const path of ["metadata/v4", "metadata/v1"]) {
      const frame = await kafkajsFrame(path, { topics: ["a", "bé"], allowAutoTopicCreation: false });
      const decoded = decodeRequestFrame(frame);
      if (decoded.kind !== "request") throw new Error("expected a request");
      const body = decoded.body as MetadataRequest;
      expect(body.topics?.map((topic) => topic.name)).toEqual(["a", "bé"]);
      expect(encodeRequestFrame(decoded.header, body)).toEqual(frame);
    }
  });

  test("Fetch v4 and ListOffsets v1", async () => {
    const fetch = await kafkajsFrame("fetch/v4", {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1048576,
      topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: "12", maxBytes: 1024 }] }],
    });
    const listOffsets = await kafkajsFrame("listOffsets/v1", {
      replicaId: -1,
      topics: [{ topic: "t", partitions: [{ partition: 1, timestamp: -1 }] }],
    });
    for (const frame of [fetch, listOffsets]) {
      const decoded = decodeRequestFrame(frame);
      if (decoded.kind !== "request") throw new Error("expected a request");
      expect(encodeRequestFrame(decoded.header, decoded.body)).toEqual(frame);
    }
  });
});
