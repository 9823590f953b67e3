// Proves the codec reads the exact bytes real clients (kcat and confluent-kafka on librdkafka 2.0, kafka-python
// 2.0, kafkajs 2.2) sent, that re-encoding gives the same bytes, and that the fields carry what the clients
// meant: their software name, topics, every compression codec's records with keys, values and headers, groups
// and committed offsets. Fixtures were recorded by scripts/capture-client-fixtures.ts.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
} from "../../src/protocol/frame.ts";
import { ApiKey, type ApiMessages } from "../../src/protocol/messages/registry.ts";
import {
  CompressionCodec,
  compressionOf,
  readBatchHeader,
  scanBatches,
} from "../../src/protocol/records/batch-header.ts";
import { readAllRecords } from "../../src/protocol/records/batch-records.ts";

interface FixtureEntry {
  stem: string;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  hasResponse: boolean;
}

const fixturesRoot = join(import.meta.dir, "..", "fixtures", "clients");
const clients = readdirSync(fixturesRoot).sort();
const decoder = new TextDecoder();
const decompressedBytesMax = 16 * 1024 * 1024;

function load(client: string): Array<FixtureEntry & { request: Uint8Array; response: Uint8Array | null }> {
  const dir = join(fixturesRoot, client);
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as FixtureEntry[];
  return index.map((entry) => ({
    ...entry,
    request: new Uint8Array(readFileSync(join(dir, `${entry.stem}.request.bin`))),
    response: entry.hasResponse
      ? new Uint8Array(readFileSync(join(dir, `${entry.stem}.response.bin`)))
      : null,
  }));
}

function requestOf<K extends keyof ApiMessages>(frame: Uint8Array, _apiKey: K): ApiMessages[K]["request"] {
  const decoded = decodeRequestFrame(frame);
  if (decoded.kind !== "request") throw new Error(`unsupported: ${decoded.reason}`);
  return decoded.body as ApiMessages[K]["request"];
}

const codecOfTopic: Record<string, CompressionCodec> = {
  none: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
  zstd: CompressionCodec.Zstd,
};

type TextRecord = { key: string | null; value: string | null; headers: string[] };

/** Every record of every batch in a records field, as text, after checking each batch's CRC. */
function recordsOf(records: Uint8Array): { records: TextRecord[]; codecs: CompressionCodec[] } {
  const { spans, problem } = scanBatches(records, { verifyCrc: true });
  expect(problem).toBeNull();
  const batches = spans.map((span) => records.subarray(span.position, span.position + span.size));
  return {
    codecs: batches.map((batch) => compressionOf(readBatchHeader(batch).attributes)),
    records: batches.flatMap((batch) =>
      readAllRecords(batch, { decompressedBytesMax }).map((record) => ({
        key: record.key ? decoder.decode(record.key) : null,
        value: record.value ? decoder.decode(record.value) : null,
        headers: record.headers.map(
          (header) => `${header.key}=${header.value ? decoder.decode(header.value) : null}`,
        ),
      })),
    ),
  };
}

describe.each(clients)("fixtures of %s", (client) => {
  const exchanges = load(client);

  test("every request and response decodes and re-encodes to the same bytes", () => {
    expect(exchanges.length).toBeGreaterThan(10);
    for (const exchange of exchanges) {
      const decoded = decodeRequestFrame(exchange.request);
      expect(decoded.kind).toBe("request");
      if (decoded.kind !== "request") continue;
      expect(decoded.trailingBytes).toBe(0);
      expect(encodeRequestFrame(decoded.header, decoded.body)).toEqual(exchange.request);
      if (!exchange.response) continue;
      const response = decodeResponseFrame(exchange.response, exchange.apiKey, exchange.apiVersion);
      const request = {
        apiKey: exchange.apiKey,
        apiVersion: exchange.apiVersion,
        correlationId: response.correlationId,
      };
      expect(response.correlationId).toBe(decoded.header.correlationId);
      expect(encodeResponseFrame(request, response.body)).toEqual(exchange.response);
    }
  });

  test("produce requests carry every codec's records with keys, values and headers", () => {
    const produced = new Map<string, { records: TextRecord[]; codecs: Set<CompressionCodec> }>();
    for (const exchange of exchanges.filter((entry) => entry.apiKey === ApiKey.Produce)) {
      const request = requestOf(exchange.request, ApiKey.Produce);
      expect(request.acks === -1 || request.acks === 1).toBe(true);
      for (const topic of request.topicData) {
        const seen = produced.get(topic.name) ?? { records: [], codecs: new Set() };
        for (const partition of topic.partitionData) {
          const { records, codecs } = recordsOf(partition.records!);
          seen.records.push(...records);
          for (const codec of codecs) seen.codecs.add(codec);
        }
        produced.set(topic.name, seen);
      }
    }
    expect(produced.size).toBeGreaterThanOrEqual(2);
    for (const [topic, { records, codecs }] of produced) {
      expect(topic.startsWith(`${client}-`)).toBe(true);
      // librdkafka sends a topic's first record alone and uncompressed when compressing would not shrink it.
      const expected = codecOfTopic[topic.slice(topic.lastIndexOf("-") + 1)]!;
      expect(codecs.has(expected)).toBe(true);
      for (const codec of codecs) expect([expected, CompressionCodec.None]).toContain(codec);
      expect(records.map((record) => record.key)).toEqual(Array.from({ length: 10 }, (_, i) => `key-${i}`));
      expect(records.map((record) => record.value)).toEqual(
        Array.from({ length: 10 }, (_, i) => `value-${i}`),
      );
      for (const record of records) expect(record.headers).toEqual(["trace=abc"]);
    }
  });

  test("fetch responses hand the produced batches back intact", () => {
    const fetches = exchanges.filter((entry) => entry.apiKey === ApiKey.Fetch && entry.response);
    expect(fetches.length).toBeGreaterThan(0);
    let recordCount = 0;
    for (const exchange of fetches) {
      const response = decodeResponseFrame(exchange.response!, exchange.apiKey, exchange.apiVersion)
        .body as ApiMessages[1]["response"];
      for (const partition of response.responses.flatMap((topic) => topic.partitions)) {
        if (partition.records && partition.records.length > 0) {
          recordCount += recordsOf(partition.records).records.length;
        }
      }
    }
    expect(recordCount).toBeGreaterThanOrEqual(10);
  });

  test("group requests name the group and commit what was consumed", () => {
    const joins = exchanges.filter((entry) => entry.apiKey === ApiKey.JoinGroup);
    expect(joins.length).toBeGreaterThan(0);
    for (const exchange of joins) {
      const request = requestOf(exchange.request, ApiKey.JoinGroup);
      expect(request.groupId).toBe(`${client}-group`);
      expect(request.protocolType).toBe("consumer");
      expect(request.protocols.length).toBeGreaterThan(0);
    }
    const commits = exchanges.filter((entry) => entry.apiKey === ApiKey.OffsetCommit);
    if (client === "kcat") return; // kcat -G -e exits at end of partition before its first commit interval
    expect(commits.length).toBe(1);
    const commit = requestOf(commits[0]!.request, ApiKey.OffsetCommit);
    expect(commit.groupId).toBe(`${client}-group`);
    expect(
      commit.topics.map((topic) => [topic.name, topic.partitions.map((p) => p.committedOffset)]),
    ).toEqual([[`${client}-gzip`, [10n]]]);
  });
});

test("clients introduce themselves as they do: ApiVersions v3 software name and version, or older versions", () => {
  const first = (client: string) => load(client).find((entry) => entry.apiKey === ApiKey.ApiVersions)!;
  const introductions = [
    ["kcat", "librdkafka", "2.0.2"],
    ["confluent", "confluent-kafka-python", "1.7.0-rdkafka-2.0.2"],
  ] as const;
  for (const [client, name, version] of introductions) {
    const request = requestOf(first(client).request, ApiKey.ApiVersions);
    expect(first(client).apiVersion).toBe(3);
    expect([request.clientSoftwareName, request.clientSoftwareVersion]).toEqual([name, version]);
  }
  expect(first("kafka-python").apiVersion).toBe(0);
  expect(first("kafkajs").apiVersion).toBe(2);
});
