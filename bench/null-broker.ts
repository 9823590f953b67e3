// A Kafka broker with nothing behind its listener: the real Bun.listen listener, frame splitter, dispatcher and
// generated codec, serving just ApiVersions, Metadata (one broker, every asked-for topic with one partition led
// by it) and Produce, which answers at once with made-up offsets — no validation, no log, no Raft, no fsync.
// It is the latency ceiling for broker.bench.ts: what the client, loopback and the runtime cost on this machine
// before the broker does any work of its own.
//
// With --sync-dir it also keeps the one promise a broker must: each Produce is answered only after its records
// are written to a file in that directory and fdatasynced, by the broker's own GroupCommit (one sync at a time
// covering everything written before it started), with zeros kept ahead as a segment keeps them
// (disk-ceilings.ts). That is the ceiling for acks=all latency: the client, the runtime and the disk, with no
// validation, log or Raft.
//
//   node_modules/.bin/bun bench/null-broker.ts PORT [--sync-dir DIR]   prints "ready PORT" once listening

import * as fs from "node:fs";
import { join } from "node:path";
import { exitOnBug } from "../src/app/exit-on-bug.ts";
import { systemClock, systemScheduler } from "../src/app/system-time.ts";
import { silentLogger } from "../src/base/logger.ts";
import { MetricsRegistry } from "../src/base/metrics.ts";
import { defineHandler } from "../src/broker/api-handler.ts";
import { HandlerRegistry } from "../src/broker/handler-registry.ts";
import { apiVersionsHandler } from "../src/broker/handlers/api-versions.ts";
import { type KafkaListener, startListener } from "../src/broker/listener.ts";
import { RequestDispatcher } from "../src/broker/request-dispatcher.ts";
import { ApiKey } from "../src/protocol/messages/registry.ts";
import { GroupCommit } from "../src/storage/group-commit.ts";
import { nodeStorageFs } from "../src/storage/storage-fs.ts";
import { keepZerosAhead } from "./disk-ceilings.ts";

const nodeId = 1;
/** Byte position of a record batch's lastOffsetDelta (int32): after baseOffset, length, epoch, magic, crc, attributes. */
const lastOffsetDeltaPosition = 23;

/** An append-only file whose `written()` settles once the group-committed fdatasync covering the bytes ends. */
function groupCommitFile(directory: string) {
  const fd = fs.openSync(join(directory, "null-broker.log"), "w");
  const file = { endBytes: 0, zeroedTo: 0 };
  const commit = new GroupCommit(
    0,
    () => ({ upTo: file.endBytes, done: nodeStorageFs.datasync(fd) }),
    (error) => (error instanceof Error ? error : new Error(String(error))),
  );
  return {
    written(bytes: Uint8Array): Promise<void> {
      nodeStorageFs.writeAll(fd, bytes, file.endBytes);
      file.endBytes += bytes.length;
      keepZerosAhead(fd, file, bytes.length);
      return commit.waitFor(file.endBytes);
    },
  };
}

export function startNullBroker(port: number, syncDirectory: string | null = null): KafkaListener {
  const log = syncDirectory === null ? null : groupCommitFile(syncDirectory);
  const nextOffsets = new Map<string, bigint>();
  const metadata = defineHandler({
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    handle(request) {
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId, host: "127.0.0.1", port: listener.port, rack: null, unknownTaggedFields: [] }],
        clusterId: "null-broker",
        controllerId: nodeId,
        topics: (request.topics ?? []).map((topic) => ({
          errorCode: 0,
          name: topic.name,
          topicId: topic.topicId,
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: nodeId,
              leaderEpoch: 0,
              replicaNodes: [nodeId],
              isrNodes: [nodeId],
              offlineReplicas: [],
              unknownTaggedFields: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
          unknownTaggedFields: [],
        })),
        clusterAuthorizedOperations: -2147483648,
        unknownTaggedFields: [],
      };
    },
  });
  const produce = defineHandler({
    apiKey: ApiKey.Produce,
    minVersion: 3,
    maxVersion: 11,
    async handle(request) {
      if (log !== null) {
        const written = request.topicData.flatMap((topic) =>
          topic.partitionData.map((partition) => log.written(partition.records ?? new Uint8Array(0))),
        );
        await Promise.all(written);
      }
      if (request.acks === 0) return null;
      return {
        responses: request.topicData.map((topic) => ({
          name: topic.name,
          partitionResponses: topic.partitionData.map((partition) => {
            const records = partition.records;
            const count =
              records === null || records.length <= lastOffsetDeltaPosition + 4
                ? 0
                : new DataView(records.buffer, records.byteOffset).getInt32(lastOffsetDeltaPosition) + 1;
            const key = `${topic.name}/${partition.index}`;
            const baseOffset = nextOffsets.get(key) ?? 0n;
            nextOffsets.set(key, baseOffset + BigInt(count));
            return {
              index: partition.index,
              errorCode: 0,
              baseOffset,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: -1, leaderEpoch: -1, unknownTaggedFields: [] },
              unknownTaggedFields: [],
            };
          }),
          unknownTaggedFields: [],
        })),
        throttleTimeMs: 0,
        nodeEndpoints: [],
        unknownTaggedFields: [],
      };
    },
  });
  const registry: HandlerRegistry = new HandlerRegistry([
    apiVersionsHandler(() => registry.servedApis()),
    metadata,
    produce,
  ]);
  const listener = startListener({
    hostname: "127.0.0.1",
    port,
    dispatcher: new RequestDispatcher({
      registry,
      logger: silentLogger,
      metrics: new MetricsRegistry(),
      clock: systemClock,
    }),
    logger: silentLogger,
    clock: systemClock,
    scheduler: systemScheduler,
    onBug: exitOnBug(silentLogger),
  });
  return listener;
}

if (import.meta.main) {
  const syncAt = process.argv.indexOf("--sync-dir");
  const syncDirectory = syncAt === -1 ? null : (process.argv[syncAt + 1] ?? null);
  const listener = startNullBroker(Number(process.argv[2] ?? 0), syncDirectory);
  console.log(`ready ${listener.port}`);
  process.on("SIGTERM", () => listener.stop().then(() => process.exit(0)));
}
