// Where a new partition's replicas go: Kafka's rack-unaware assignment (AdminUtils.assignReplicasToBrokers-
// RackUnaware), so leaders and followers spread evenly over the brokers. The random start and shift come in
// from the caller, keeping this pure and its tests exact.

import { assert } from "../base/assert.ts";

export interface AssignmentInput {
  /** Broker ids that can hold replicas. */
  brokerIds: readonly number[];
  partitionCount: number;
  replicationFactor: number;
  /** The first new partition's index (non-zero when adding partitions to a topic). */
  firstPartitionIndex: number;
  /** In [0, brokerIds.length): which broker leads partition 0. */
  startIndex: number;
  /** In [0, brokerIds.length): how far followers sit from their leader. */
  replicaShift: number;
}

/** Replica lists, one per new partition, preferred leader first. */
export function assignReplicas(input: AssignmentInput): number[][] {
  const brokers = [...input.brokerIds].sort((a, b) => a - b);
  const brokerCount = brokers.length;
  assert(brokerCount > 0, "no brokers to assign to");
  assert(input.replicationFactor >= 1 && input.replicationFactor <= brokerCount, "bad replication factor");
  const assignments: number[][] = [];
  let shift = input.replicaShift;
  for (let offset = 0; offset < input.partitionCount; offset++) {
    const partition = input.firstPartitionIndex + offset;
    if (partition > 0 && partition % brokerCount === 0) shift++;
    const first = (partition + input.startIndex) % brokerCount;
    const replicas = [brokers[first]!];
    for (let follower = 0; follower < input.replicationFactor - 1; follower++) {
      const distance = 1 + ((shift + follower) % (brokerCount - 1));
      replicas.push(brokers[(first + distance) % brokerCount]!);
    }
    assignments.push(replicas);
  }
  return assignments;
}
