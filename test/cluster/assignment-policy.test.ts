// Proves replica assignment follows Kafka's rack-unaware algorithm: leaders spread round-robin, followers
// shifted, no broker twice in one partition, and the shift grows after each full round of brokers.

import { expect, test } from "bun:test";
import { assignReplicas } from "../../src/cluster/assignment-policy.ts";

test("matches Kafka's documented example for 5 brokers, 10 partitions, 3 replicas", () => {
  // From the AdminUtils scaladoc: broker-0..4, start index 0, shift 0.
  const assignments = assignReplicas({
    brokerIds: [0, 1, 2, 3, 4],
    partitionCount: 10,
    replicationFactor: 3,
    firstPartitionIndex: 0,
    startIndex: 0,
    replicaShift: 0,
  });
  expect(assignments).toEqual([
    [0, 1, 2],
    [1, 2, 3],
    [2, 3, 4],
    [3, 4, 0],
    [4, 0, 1],
    [0, 2, 3],
    [1, 3, 4],
    [2, 4, 0],
    [3, 0, 1],
    [4, 1, 2],
  ]);
});

test("every partition gets distinct brokers and leaders are balanced", () => {
  const assignments = assignReplicas({
    brokerIds: [7, 3, 5],
    partitionCount: 30,
    replicationFactor: 3,
    firstPartitionIndex: 0,
    startIndex: 2,
    replicaShift: 1,
  });
  const leaders = new Map<number, number>();
  for (const replicas of assignments) {
    expect(new Set(replicas).size).toBe(3);
    leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
  }
  expect([...leaders.values()]).toEqual([10, 10, 10]);
});

test("a single broker holds every replica of factor 1", () => {
  const assignments = assignReplicas({
    brokerIds: [1],
    partitionCount: 3,
    replicationFactor: 1,
    firstPartitionIndex: 0,
    startIndex: 0,
    replicaShift: 0,
  });
  expect(assignments).toEqual([[1], [1], [1]]);
});
