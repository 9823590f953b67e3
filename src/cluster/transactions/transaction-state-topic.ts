// Plans the creation of `__transaction_state`, which Kafka creates on the first FindCoordinator for a
// transactional id: transaction.state.log.num.partitions partitions over the live brokers, as many replicas as
// the default replication factor allows. Its records are each transactional id's latest metadata; retention
// (7 days, Kafka's transactional.id.expiration.ms) forgets ids silent for longer. Pure.

import { assignReplicas } from "../assignment-policy.ts";
import { transactionStateTopicName } from "../internal-topics.ts";
import { defaultReplicationFactor } from "../metadata/metadata-commands.ts";
import type { MetadataRecord } from "../metadata/metadata-records.ts";
import type { MetadataState } from "../metadata/metadata-state.ts";

/** transactional.id.expiration.ms, Kafka's default. */
export const transactionalIdExpirationMs = 7 * 24 * 60 * 60 * 1000;

export function transactionStateTopicRecords(
  state: MetadataState,
  input: { partitions: number; newTopicId(): string; randomIndex(bound: number): number },
): MetadataRecord[] {
  if (state.topicByName(transactionStateTopicName) !== undefined) return [];
  const brokerIds = state.liveBrokers().map((broker) => broker.nodeId);
  if (brokerIds.length === 0) return [];
  const replicationFactor = defaultReplicationFactor(0, brokerIds.length);
  const assignments = assignReplicas({
    brokerIds,
    partitionCount: input.partitions,
    replicationFactor,
    firstPartitionIndex: 0,
    startIndex: input.randomIndex(brokerIds.length),
    replicaShift: input.randomIndex(brokerIds.length),
  });
  return [
    {
      type: "topic",
      name: transactionStateTopicName,
      topicId: input.newTopicId(),
      partitions: assignments.map((replicas) => ({ replicas })),
      configs: { "retention.ms": String(transactionalIdExpirationMs) },
    },
  ];
}
