// Measures the generated Kafka codec on its hot paths: Produce requests (v9 flexible, v3 classic) and a Fetch
// response carrying ~1 MiB of record batches of 1 KiB records, and produce validation (decode the request,
// then walk every partition's batches checking CRC-32C). Prints MB/s of frame bytes and ops/s.
// Run: node_modules/.bin/bun bench/codec.bench.ts

import { noTaggedFields } from "../src/protocol/codec-runtime.ts";
import { crc32c } from "../src/protocol/crc32c.ts";
import {
  decodeRequestPayload,
  decodeResponsePayload,
  encodeRequestFrame,
  encodeResponseFrame,
} from "../src/protocol/frame.ts";
import { requestHeader } from "../src/protocol/headers.ts";
import { createFetchResponse, type FetchResponse } from "../src/protocol/messages/fetch.ts";
import type { ProduceRequest } from "../src/protocol/messages/produce.ts";
import { ApiKey } from "../src/protocol/messages/registry.ts";
import {
  batchHeaderBytes,
  batchOffsets,
  scanBatches,
  writeBatchCrc,
} from "../src/protocol/records/batch-header.ts";

const recordBytes = 1024;
const recordsPerBatch = 16;
const batchesPerPartition = 4;
const topicCount = 4;
const partitionsPerTopic = 4;
const secondsPerCase = 1.5;

/** A magic-2 batch of `recordsPerBatch` fake 1 KiB records, with a correct length and CRC. */
function buildBatch(seed: number): Uint8Array {
  const size = batchHeaderBytes + recordBytes * recordsPerBatch;
  const batch = new Uint8Array(size);
  const view = new DataView(batch.buffer);
  view.setInt32(batchOffsets.batchLength, size - 12);
  view.setInt8(batchOffsets.magic, 2);
  view.setInt32(batchOffsets.lastOffsetDelta, recordsPerBatch - 1);
  view.setBigInt64(batchOffsets.producerId, -1n);
  view.setInt32(batchOffsets.recordCount, recordsPerBatch);
  for (let index = batchHeaderBytes; index < size; index++) batch[index] = (index * 31 + seed) & 0xff;
  writeBatchCrc(batch, 0, size);
  return batch;
}

function partitionRecords(seed: number): Uint8Array {
  const batches = Array.from({ length: batchesPerPartition }, (_, index) => buildBatch(seed + index));
  const joined = new Uint8Array(batches.reduce((sum, batch) => sum + batch.length, 0));
  let offset = 0;
  for (const batch of batches) {
    joined.set(batch, offset);
    offset += batch.length;
  }
  return joined;
}

function produceRequest(): ProduceRequest {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: Array.from({ length: topicCount }, (_, topic) => ({
      name: `topic-${topic}`,
      partitionData: Array.from({ length: partitionsPerTopic }, (_, index) => ({
        index,
        records: partitionRecords(topic * 100 + index),
        unknownTaggedFields: noTaggedFields,
      })),
      unknownTaggedFields: noTaggedFields,
    })),
    unknownTaggedFields: noTaggedFields,
  };
}

function fetchResponse(request: ProduceRequest): FetchResponse {
  const response = createFetchResponse();
  response.responses = request.topicData.map((topic) => ({
    topic: topic.name,
    topicId: "AAAAAAAAAAAAAAAAAAAAAA",
    partitions: topic.partitionData.map((partition) => ({
      ...createFetchResponse().responses[0]!,
      partitionIndex: partition.index,
      errorCode: 0,
      highWatermark: 1000n,
      lastStableOffset: 1000n,
      logStartOffset: 0n,
      divergingEpoch: { partition: -1, epoch: -1, endOffset: -1n, unknownTaggedFields: noTaggedFields },
      currentLeader: { leaderId: -1, leaderEpoch: -1, unknownTaggedFields: noTaggedFields },
      snapshotId: { endOffset: -1n, epoch: -1, unknownTaggedFields: noTaggedFields },
      abortedTransactions: [],
      preferredReadReplica: -1,
      records: partition.records,
      unknownTaggedFields: noTaggedFields,
    })),
    unknownTaggedFields: noTaggedFields,
  }));
  return response;
}

interface Row {
  name: string;
  frameBytes: number;
  opsPerSecond: number;
}

function measure(name: string, frameBytes: number, run: () => void): Row {
  for (let warm = 0; warm < 20; warm++) run();
  const started = performance.now();
  const deadline = started + secondsPerCase * 1000;
  let ops = 0;
  while (performance.now() < deadline) {
    for (let batch = 0; batch < 10; batch++) run();
    ops += 10;
  }
  const seconds = (performance.now() - started) / 1000;
  return { name, frameBytes, opsPerSecond: ops / seconds };
}

function validateProduce(payload: Uint8Array): number {
  const decoded = decodeRequestPayload(payload);
  if (decoded.kind !== "request") throw new Error("not a request");
  let batches = 0;
  for (const topic of (decoded.body as ProduceRequest).topicData) {
    for (const partition of topic.partitionData) {
      if (partition.records === null) continue;
      const scan = scanBatches(partition.records, { verifyCrc: true });
      if (scan.problem !== null) throw new Error(scan.problem.reason);
      batches += scan.spans.length;
    }
  }
  return batches;
}

function produceRows(request: ProduceRequest, version: number): Row[] {
  const header = requestHeader({
    apiKey: ApiKey.Produce,
    apiVersion: version,
    correlationId: 1,
    clientId: "bench",
  });
  const frame = encodeRequestFrame(header, request, 1 << 21);
  const payload = frame.subarray(4);
  return [
    measure(`Produce v${version} request encode`, frame.length, () =>
      encodeRequestFrame(header, request, 1 << 21),
    ),
    measure(`Produce v${version} request decode`, frame.length, () => decodeRequestPayload(payload)),
    measure(`Produce v${version} validate (decode + CRC)`, frame.length, () => validateProduce(payload)),
  ];
}

function fetchRows(response: FetchResponse, version: number): Row[] {
  const request = { apiKey: ApiKey.Fetch, apiVersion: version, correlationId: 1 };
  const frame = encodeResponseFrame(request, response, 1 << 21);
  const payload = frame.subarray(4);
  return [
    measure(`Fetch v${version} response encode`, frame.length, () =>
      encodeResponseFrame(request, response, 1 << 21),
    ),
    measure(`Fetch v${version} response decode`, frame.length, () =>
      decodeResponsePayload(payload, ApiKey.Fetch, version),
    ),
  ];
}

function printTable(rows: Row[]): void {
  console.log("case                                   frame KiB      ops/s       MB/s");
  for (const row of rows) {
    const megabytesPerSecond = (row.frameBytes * row.opsPerSecond) / 1e6;
    console.log(
      `${row.name.padEnd(38)} ${(row.frameBytes / 1024).toFixed(0).padStart(9)} ${row.opsPerSecond.toFixed(0).padStart(10)} ${megabytesPerSecond.toFixed(0).padStart(10)}`,
    );
  }
}

/** What the hot paths cannot beat on this machine now: copying and checksumming the same bytes. */
function ceilingRows(request: ProduceRequest): Row[] {
  const records = request.topicData.flatMap((topic) =>
    topic.partitionData.map((partition) => partition.records!),
  );
  const total = records.reduce((sum, bytes) => sum + bytes.length, 0);
  const target = new Uint8Array(total);
  const copy = () => {
    let offset = 0;
    for (const bytes of records) {
      target.set(bytes, offset);
      offset += bytes.length;
    }
  };
  const checksum = () => {
    for (const bytes of records) crc32c(bytes);
  };
  return [
    measure("ceiling: copy the batches", total, copy),
    measure("ceiling: CRC-32C of the batches", total, checksum),
  ];
}

const request = produceRequest();
const rows = [
  ...ceilingRows(request),
  ...produceRows(request, 9),
  ...produceRows(request, 3),
  ...fetchRows(fetchResponse(request), 12),
];
printTable(rows);
