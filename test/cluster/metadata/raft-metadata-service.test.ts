// Proves metadata changes run one at a time against the applied state: two concurrent creations of one topic
// give one topic and one TOPIC_ALREADY_EXISTS (never two records for one name), proposals resolve only once
// applied, and committed batches handed over again are applied once.

import { expect, test } from "bun:test";
import { ManualClock } from "../../../src/base/manual-clock.ts";
import { planCreateTopic } from "../../../src/cluster/metadata/metadata-commands.ts";
import { RaftMetadataService } from "../../../src/cluster/metadata/raft-metadata-service.ts";
import type { Entry, Proposal } from "../../../src/raft/core/index.ts";

/** A metadata log that commits each proposal a little later and hands it back as a committed entry. */
function asyncLog() {
  const committed: Entry[] = [];
  let next = 0;
  let service: RaftMetadataService | null = null;
  const log = {
    isLeader: true,
    leaderId: 1,
    get lastOffset() {
      return next - 1;
    },
    propose(proposals: readonly Proposal[]) {
      const proposal = proposals[0]!;
      const entry: Entry = {
        baseOffset: next,
        lastOffset: next + proposal.recordCount - 1,
        epoch: 1,
        kind: "data",
        byteSize: proposal.byteSize,
        payload: proposal.payload,
      };
      next = entry.lastOffset + 1;
      setTimeout(() => {
        committed.push(entry);
        service!.applyCommitted([entry]);
      }, 5);
      return { ok: true as const, lastOffset: entry.lastOffset };
    },
    waitForCommit: (offset: number) =>
      new Promise<void>((resolve) => {
        const poll = () =>
          offset < 0 || committed.some((entry) => entry.lastOffset >= offset)
            ? resolve()
            : setTimeout(poll, 1);
        poll();
      }),
  };
  service = new RaftMetadataService({ log, clock: new ManualClock({ wallMs: 1000 }) });
  return { service, committed };
}

function createOrders(service: RaftMetadataService) {
  return service.execute((state) =>
    planCreateTopic(
      {
        state,
        defaults: { numPartitions: 1, replicationFactor: 1 },
        newTopicId: () => crypto.randomUUID().slice(0, 22),
        randomIndex: () => 0,
      },
      { name: "orders", numPartitions: 2, replicationFactor: 1, assignments: [], configs: new Map() },
    ),
  );
}

test("concurrent creations of one topic: one wins, the other is told it exists", async () => {
  const { service, committed } = asyncLog();
  await service.execute(() => ({
    ok: true,
    records: [{ type: "broker", nodeId: 1, host: "h", port: 1, rack: null }],
  }));
  const [first, second] = await Promise.all([createOrders(service), createOrders(service)]);
  expect(first.ok).toBe(true);
  expect(second).toMatchObject({ ok: false, error: "TOPIC_ALREADY_EXISTS" });
  expect(service.state.topicByName("orders")!.partitions).toHaveLength(2);
  expect(committed).toHaveLength(2);

  // Entries handed over again are applied once.
  service.applyCommitted(committed);
  expect([...service.state.topics()]).toHaveLength(1);
});
