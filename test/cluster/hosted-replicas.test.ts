// Proves a node whose metadata holds a topic named like its own metadata group (written by a version that did
// not refuse `__cluster_metadata`) still reconciles: that partition is never opened, so it neither collides
// with the metadata group at start nor deletes the metadata log when the topic goes; one ERROR line says so.

import { expect, test } from "bun:test";
import type { Logger } from "../../src/base/logger.ts";
import { type HostedReplica, HostedReplicas } from "../../src/cluster/hosted-replicas.ts";
import { MetadataState } from "../../src/cluster/metadata/metadata-state.ts";

/** Records error lines; every other level is dropped. */
function errorRecorder(): { logger: Logger; errors: Array<{ message: string; fields: unknown }> } {
  const errors: Array<{ message: string; fields: unknown }> = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (message, fields) => errors.push({ message, fields }),
    with: () => logger,
  };
  return { logger, errors };
}

/**
 * Replicas opened as broker-node opens them: each takes the Raft group `${topic}-${partition}` on a node that
 * already hosts its metadata group, and a second group of one id fails as GroupManager.addGroup's assert does.
 */
function nodeWithMetadataGroup() {
  const groups = new Set(["__cluster_metadata-0"]);
  const deleted: string[] = [];
  const open = (topic: { name: string; topicId: string }, partition: number): HostedReplica => {
    const groupId = `${topic.name}-${partition}`;
    if (groups.has(groupId)) throw new Error(`group ${groupId} already hosted`);
    groups.add(groupId);
    const replica = { topicId: topic.topicId, topicName: topic.name, partition };
    return Object.assign(replica as unknown as HostedReplica, {
      stop: async () => {},
      delete: async () => {
        groups.delete(groupId);
        deleted.push(groupId);
      },
    });
  };
  return { groups, deleted, open };
}

function stateWith(topics: Array<{ name: string; topicId: string; partitionCount: number }>): MetadataState {
  const state = new MetadataState();
  for (const topic of topics) {
    state.apply({
      type: "topic",
      name: topic.name,
      topicId: topic.topicId,
      partitions: Array.from({ length: topic.partitionCount }, () => ({ replicas: [1] })),
      configs: {},
    });
  }
  return state;
}

test("a topic-partition whose raft group is the metadata group's is skipped, with one ERROR line", () => {
  const node = nodeWithMetadataGroup();
  const { logger, errors } = errorRecorder();
  const replicas = new HostedReplicas({ nodeId: 1, open: node.open, logger, monotonicMs: () => 0 });
  const state = stateWith([
    { name: "__cluster_metadata", topicId: "bad", partitionCount: 2 },
    { name: "orders", topicId: "orders-id", partitionCount: 1 },
  ]);

  replicas.reconcile(state);
  replicas.reconcile(state); // every metadata change reconciles again: still one line

  expect([...node.groups].sort()).toEqual(["__cluster_metadata-0", "__cluster_metadata-1", "orders-0"]);
  expect(replicas.byName("__cluster_metadata", 0)).toBeUndefined();
  expect(replicas.byName("__cluster_metadata", 1)).toBeDefined();
  expect(replicas.byName("orders", 0)).toBeDefined();
  expect(errors).toHaveLength(1);
  expect(errors[0]!.fields).toMatchObject({ topic: "__cluster_metadata", partition: 0 });
});

test("deleting that topic leaves the metadata group and its log alone", () => {
  const node = nodeWithMetadataGroup();
  const replicas = new HostedReplicas({
    nodeId: 1,
    open: node.open,
    logger: errorRecorder().logger,
    monotonicMs: () => 0,
  });
  replicas.reconcile(stateWith([{ name: "__cluster_metadata", topicId: "bad", partitionCount: 1 }]));
  replicas.reconcile(stateWith([]));
  expect(node.deleted).toEqual([]);
  expect(node.groups.has("__cluster_metadata-0")).toBe(true);
});
