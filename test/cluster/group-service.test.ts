// Proves the group service over in-memory __consumer_offsets replicas: a deleted topic's offsets are deleted
// as tombstones on every partition led here — loaded or not yet, or not yet caught up — while commits to a
// topic created again under the name right after are kept; a record that does not decode is skipped with one
// warning and the rest loads; a load that fails answers retryable errors instead of throwing; and a log that
// outgrows its state is compacted, a reload then finding every group and offset as before.

import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/base/logger.ts";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { GroupService, type GroupServiceOptions, offsetsTopicName } from "../../src/cluster/group-service.ts";
import { groupPartition } from "../../src/cluster/groups/index.ts";
import { encodePartitionRecord } from "../../src/cluster/partition-groups.ts";
import { buildBatch } from "../../src/protocol/records/batch-builder.ts";
import { readBatchHeader } from "../../src/protocol/records/batch-header.ts";
import { InMemoryReplica } from "../support/in-memory-replica.ts";
import { fullHeartbeatInput } from "./consumer-groups/consumer-group-harness.ts";

const offsetsPartitions = 4;
/** A topic id as the metadata hands them out (consumer group records hold its 16 bytes). */
const topicId = "AAAAAAAAAAAAAAAAAAAAAQ";

/** The __consumer_offsets replicas, all led here, outliving the services started over them. */
class Node {
  readonly replicas = Array.from(
    { length: offsetsPartitions },
    (_, partition) => new InMemoryReplica("offsets-id", offsetsTopicName, partition),
  );
  readonly logLines: string[] = [];
  readonly clock = new ManualClock({ wallMs: 1_000_000 });

  service(options: Partial<GroupServiceOptions> = {}): GroupService {
    return new GroupService({
      offsetsPartitions,
      replicaOf: (partition) => this.replicas[partition],
      topics: () => ({ topicId, partitionCount: 4 }),
      newUuid: () => crypto.randomUUID(),
      clock: this.clock,
      scheduler: this.clock,
      logger: createLogger({
        level: "warn",
        format: "text",
        sink: (line) => this.logLines.push(line),
        now: () => new Date(0),
      }),
      ...options,
    });
  }

  replicaOf(groupId: string): InMemoryReplica {
    return this.replicas[groupPartition(groupId, offsetsPartitions)]!;
  }

  /** Appends records as they are, as a bug or an older version might have written them. */
  appendRaw(groupId: string, records: { key: Uint8Array | null; value: Uint8Array | null }[]): void {
    const bytes = buildBatch(records.map((record) => ({ ...record, timestamp: this.clock.wallMs() })));
    this.replicaOf(groupId).append({ bytes, header: readBatchHeader(bytes) }, { acks: -1 });
  }
}

async function commit(
  service: GroupService,
  groupId: string,
  topic: string,
  partition: number,
  offset: number,
) {
  const result = await service.step(groupId, (coordinator, nowMs) =>
    coordinator.commitOffsets(
      {
        apiVersion: 8,
        groupId,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [{ name: topic, partitions: [{ partition, offset, leaderEpoch: -1, metadata: null }] }],
      },
      nowMs,
    ),
  );
  if (result === "NOT_COORDINATOR") throw new Error("not the coordinator");
  expect(result.topics[0]?.partitions[0]?.error).toBe("NONE");
}

function offsetsOf(service: GroupService, groupId: string) {
  const found = service.lookup(groupId);
  if (!found.ok) throw new Error(found.error);
  return found.coordinator
    .fetchOffsets({ groupId, topics: null })
    .topics.map((topic) => [topic.name, topic.partitions.map((partition) => partition.offset)]);
}

/** Lets every queued append reach the in-memory log (its high watermark moves a microtask later). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("offsets of deleted topics", () => {
  test("a coordinator not loaded yet is loaded to delete them; the tombstones outlive the service", async () => {
    const node = new Node();
    const first = node.service();
    await commit(first, "g", "dt", 0, 8);
    await commit(first, "g", "kept", 0, 3);
    first.close();
    const second = node.service();
    second.onPartitionsDeleted([{ topic: "dt", partitions: [0, 1, 2, 3] }]);
    await settle();
    second.close();
    expect(offsetsOf(node.service(), "g")).toEqual([["kept", [3]]]);
  });

  test("a commit to the topic created again, right after the deletion, is kept", async () => {
    const node = new Node();
    const service = node.service();
    await commit(service, "g", "dt", 0, 8);
    service.onPartitionsDeleted([{ topic: "dt", partitions: [0] }]);
    await commit(service, "g", "dt", 0, 2);
    await settle();
    expect(offsetsOf(service, "g")).toEqual([["dt", [2]]]);
    expect(offsetsOf(node.service(), "g")).toEqual([["dt", [2]]]);
  });

  test("a partition led here but not caught up gets the deletion when it loads", async () => {
    const node = new Node();
    const first = node.service();
    await commit(first, "g", "dt", 0, 8);
    first.close();
    // An append not committed yet: the partition cannot load until its high watermark catches up.
    const other = encodePartitionRecord({
      kind: "offset-commit",
      key: { groupId: "g", topic: "kept", partition: 0 },
      value: {
        offset: 3,
        leaderEpoch: -1,
        metadata: "",
        commitTimestampMs: node.clock.wallMs(),
        expireTimestampMs: -1,
      },
    });
    node.appendRaw("g", [other]);
    const second = node.service();
    second.onPartitionsDeleted([{ topic: "dt", partitions: [0] }]);
    expect(second.lookup("g")).toEqual({ ok: false, error: "NOT_COORDINATOR" });
    await settle();
    expect(offsetsOf(second, "g")).toEqual([["kept", [3]]]);
    await settle();
    expect(offsetsOf(node.service(), "g")).toEqual([["kept", [3]]]);
  });
});

describe("loading", () => {
  test("records that do not decode are skipped with one warning each; the rest loads", async () => {
    const node = new Node();
    const first = node.service();
    await commit(first, "g", "t", 0, 5);
    const badOffset = node.replicaOf("g").logEndOffset();
    // The repro's record: key type 1 (offset commit) for group "abc", cut off where the topic should be.
    node.appendRaw("g", [
      { key: new Uint8Array([0, 1, 0, 3, 97, 98, 99]), value: new Uint8Array([0]) },
      { key: new Uint8Array([0, 99, 0, 1, 103]), value: null },
    ]);
    await settle();
    await commit(first, "g", "t", 1, 6);
    first.close();
    const partition = groupPartition("g", offsetsPartitions);
    expect(offsetsOf(node.service(), "g")).toEqual([["t", [5, 6]]]);
    expect(node.logLines).toEqual([
      `1970-01-01T00:00:00.000Z WARN  skipping a __consumer_offsets record that does not decode partition=${partition} offset=${badOffset} reason="key.topic: needs 2 bytes, 0 remain"`,
      `1970-01-01T00:00:00.000Z WARN  skipping a __consumer_offsets record that does not decode partition=${partition} offset=${badOffset + 1} reason="unknown key type 99"`,
    ]);
  });

  test("leadership that left and came back reloads: what another leader wrote meanwhile is seen", async () => {
    const node = new Node();
    const a = node.service();
    await commit(a, "g", "t", 0, 5);
    expect(offsetsOf(a, "g")).toEqual([["t", [5]]]);
    // B leads a while (a new epoch) and commits offset 9 through its own coordinator; then A leads again.
    const replica = node.replicaOf("g");
    replica.beginEpoch(replica.leaderEpoch() + 1);
    const b = node.service();
    await commit(b, "g", "t", 0, 9);
    b.close();
    replica.beginEpoch(replica.leaderEpoch() + 1);
    await settle();
    expect(offsetsOf(a, "g")).toEqual([["t", [9]]]);
  });

  test("a load that fails answers COORDINATOR_NOT_AVAILABLE, logs once, and is tried again after a backoff", async () => {
    const node = new Node();
    const first = node.service();
    await commit(first, "g", "t", 0, 5);
    first.close();
    const replica = node.replicaOf("g");
    const read = replica.read.bind(replica);
    replica.read = () => ({ errorCode: 56, errorMessage: "disk unreadable" });
    const second = node.service();
    expect(second.lookup("g")).toEqual({ ok: false, error: "COORDINATOR_NOT_AVAILABLE" });
    expect(
      await second.step("g", (coordinator) => ({ response: coordinator, records: [], completions: [] })),
    ).toBe("NOT_COORDINATOR");
    expect(node.logLines).toHaveLength(1);
    expect(node.logLines[0]).toContain("ERROR loading groups failed");
    expect(node.logLines[0]).toContain("disk unreadable");
    replica.read = read;
    expect(second.lookup("g")).toEqual({ ok: false, error: "COORDINATOR_NOT_AVAILABLE" });
    node.clock.advance(5_000);
    expect(offsetsOf(second, "g")).toEqual([["t", [5]]]);
  });
});

describe("compaction", () => {
  test("a log that outgrows its state is restated and trimmed; a reload finds every group and offset", async () => {
    const node = new Node();
    const compaction = { replayBytesMin: 4096, growthFactor: 2 };
    const service = node.service({
      compaction,
      logger: createLogger({
        level: "info",
        format: "text",
        sink: (line) => node.logLines.push(line),
        now: () => new Date(0),
      }),
    });
    // An old commit of another group on the same partition, never repeated: it must survive every compaction.
    const samePartition = (ids: string[]) =>
      ids.find((id) => groupPartition(id, offsetsPartitions) === groupPartition("g", offsetsPartitions))!;
    const other = samePartition(["h", "i", "j", "k", "l", "m", "n"]);
    const consumerGroup = samePartition(["cg", "cg1", "cg2", "cg3", "cg4", "cg5", "cg6"]);
    await commit(service, other, "quiet", 0, 7);
    const joined = await service.step(consumerGroup, (coordinator, nowMs) =>
      coordinator.consumerGroupHeartbeat(fullHeartbeatInput({ groupId: consumerGroup }), nowMs),
    );
    if (joined === "NOT_COORDINATOR") throw new Error("not the coordinator");
    for (let round = 1; round <= 300; round++) await commit(service, "g", "busy", round % 4, round);
    await settle();
    const replica = node.replicaOf("g");
    expect(replica.logStartOffset()).toBeGreaterThan(0);
    expect(node.logLines.some((line) => line.includes("compacted group records"))).toBe(true);
    // 302 batches were appended; what is left is the restated state and the commits since.
    expect(replica.sizeBytes()).toBeLessThan(3 * 4096 + 2048);
    const reloaded = node.service();
    expect(offsetsOf(reloaded, "g")).toEqual([["busy", [300, 297, 298, 299]]]);
    expect(offsetsOf(reloaded, other)).toEqual([["quiet", [7]]]);
    const described = (from: GroupService) => {
      const found = from.lookup(consumerGroup);
      if (!found.ok) throw new Error(found.error);
      return found.coordinator.consumerGroupDescribe([consumerGroup]);
    };
    expect(described(reloaded)).toEqual(described(service));
  });
});
