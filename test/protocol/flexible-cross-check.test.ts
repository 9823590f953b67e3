// Proves flexible versions match an independent implementation: bodies built by @platformatic/kafka decode
// and re-encode to the same bytes, and bodies we encode parse with its response parsers.

import { describe, expect, test } from "bun:test";
import { apiVersionsV3, fetchV17, metadataV12, produceV9, Reader } from "@platformatic/kafka";
import type { MessageCodec } from "../../src/protocol/codec-runtime.ts";
import { noTaggedFields } from "../../src/protocol/codec-runtime.ts";
import type { ApiVersionsResponse } from "../../src/protocol/messages/api-versions.ts";
import { apiVersionsResponseCodec } from "../../src/protocol/messages/api-versions.ts";
import { fetchRequestCodec } from "../../src/protocol/messages/fetch.ts";
import {
  createMetadataResponse,
  metadataRequestCodec,
  metadataResponseCodec,
} from "../../src/protocol/messages/metadata.ts";
import { type ProduceRequest, produceRequestCodec } from "../../src/protocol/messages/produce.ts";
import { ByteReader } from "../../src/protocol/primitives/byte-reader.ts";
import { scanBatches } from "../../src/protocol/records/batch-header.ts";
import { encodeWith } from "./codec-cases.ts";

function bytesOf(writer: { buffer: Uint8Array }): Uint8Array {
  return new Uint8Array(writer.buffer);
}

function decodeExactly<T>(codec: MessageCodec<T>, bytes: Uint8Array, version: number): T {
  const reader = new ByteReader(bytes);
  const value = codec.decode(reader, version);
  expect(reader.remaining).toBe(0);
  return value;
}

describe("requests built by @platformatic/kafka", () => {
  test("Produce v9 (compact records, tagged fields)", () => {
    const messages = [{ topic: "orders", partition: 1, key: Buffer.from("k"), value: Buffer.from("héllo") }];
    const bytes = bytesOf(produceV9.createRequest(-1, 5000, messages, {}));
    const body: ProduceRequest = decodeExactly(produceRequestCodec, bytes, 9);
    expect(body.timeoutMs).toBe(5000);
    expect(body.topicData[0]?.name).toBe("orders");
    const records = body.topicData[0]?.partitionData[0]?.records ?? null;
    expect(scanBatches(records!, { verifyCrc: true }).problem).toBeNull();
    expect(encodeWith(produceRequestCodec, body, 9)).toEqual(bytes);
  });

  test("Metadata v12 and Fetch v17", () => {
    const metadata = bytesOf(metadataV12.createRequest(["a", "bé"], true, false));
    const metadataBody = decodeExactly(metadataRequestCodec, metadata, 12);
    expect(metadataBody.topics?.map((topic) => topic.name)).toEqual(["a", "bé"]);
    expect(encodeWith(metadataRequestCodec, metadataBody, 12)).toEqual(metadata);
    const partition = {
      partition: 3,
      currentLeaderEpoch: 7,
      fetchOffset: 42n,
      lastFetchedEpoch: 6,
      partitionMaxBytes: 1024,
    };
    const topics = [{ topicId: "01234567-89ab-cdef-0123-456789abcdef", partitions: [partition] }];
    const fetch = bytesOf(fetchV17.createRequest(500, 1, 1 << 20, 0, 0, -1, topics, [], "rack-1"));
    const fetchBody = decodeExactly(fetchRequestCodec, fetch, 17);
    expect(fetchBody.rackId).toBe("rack-1");
    expect(fetchBody.topics[0]?.partitions[0]?.fetchOffset).toBe(42n);
    expect(Uint8Array.fromBase64(fetchBody.topics[0]!.topicId, { alphabet: "base64url" }).toHex()).toBe(
      "0123456789abcdef0123456789abcdef",
    );
    expect(encodeWith(fetchRequestCodec, fetchBody, 17)).toEqual(fetch);
  });
});

describe("responses we encode, parsed by @platformatic/kafka", () => {
  test("Metadata v12 response", () => {
    const response = createMetadataResponse();
    response.clusterId = "cluster-ü";
    response.controllerId = 2;
    response.brokers = [
      { nodeId: 2, host: "broker-2", port: 9092, rack: null, unknownTaggedFields: noTaggedFields },
    ];
    const bytes = encodeWith(metadataResponseCodec, response, 12);
    const parsed = metadataV12.parseResponse(1, 3, 12, Reader.from(Buffer.from(bytes)));
    expect(parsed.clusterId).toBe("cluster-ü");
    expect(parsed.controllerId).toBe(2);
    expect(parsed.brokers).toEqual([{ nodeId: 2, host: "broker-2", port: 9092, rack: null }]);
  });

  test("ApiVersions v3 response with tagged fields", () => {
    const response: ApiVersionsResponse = {
      errorCode: 0,
      apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12, unknownTaggedFields: noTaggedFields }],
      throttleTimeMs: 0,
      supportedFeatures: [
        { name: "metadata.version", minVersion: 1, maxVersion: 20, unknownTaggedFields: noTaggedFields },
      ],
      finalizedFeaturesEpoch: 9n,
      finalizedFeatures: [],
      zkMigrationReady: false,
      unknownTaggedFields: noTaggedFields,
    };
    const bytes = encodeWith(apiVersionsResponseCodec, response, 3);
    const parsed = apiVersionsV3.parseResponse(1, 18, 3, Reader.from(Buffer.from(bytes)));
    expect(parsed.apiKeys).toEqual([{ apiKey: 3, name: "Metadata", minVersion: 0, maxVersion: 12 }]);
    expect(parsed.throttleTimeMs).toBe(0);
  });
});
