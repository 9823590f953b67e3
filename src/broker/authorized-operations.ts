// The authorized operations a client may ask for in Metadata, DescribeCluster, DescribeGroups and
// ConsumerGroupDescribe: a bitfield with bit n set for Kafka's AclOperation code n (Utils.to32BitField).
// The handlers answer as Kafka without an authorizer does: every operation that applies to the resource type
// (Kafka's AclEntry.supportedOperations). With --authorizer acl, the guards in authorization/ replace these with
// the operations the ACLs allow.

import { authorizedOperationsNotRequested } from "./broker-context.ts";

/** Kafka's AclOperation codes (those of the resource types answered here). */
const AclOperation = {
  read: 3,
  write: 4,
  create: 5,
  delete: 6,
  alter: 7,
  describe: 8,
  clusterAction: 9,
  describeConfigs: 10,
  alterConfigs: 11,
  idempotentWrite: 12,
} as const;

function bitfield(operations: readonly number[]): number {
  return operations.reduce((bits, operation) => bits | (1 << operation), 0);
}

export const allTopicOperations = bitfield([
  AclOperation.read,
  AclOperation.write,
  AclOperation.create,
  AclOperation.describe,
  AclOperation.delete,
  AclOperation.alter,
  AclOperation.describeConfigs,
  AclOperation.alterConfigs,
]);

export const allClusterOperations = bitfield([
  AclOperation.create,
  AclOperation.clusterAction,
  AclOperation.describeConfigs,
  AclOperation.alterConfigs,
  AclOperation.idempotentWrite,
  AclOperation.alter,
  AclOperation.describe,
]);

/** DESCRIBE_CONFIGS and ALTER_CONFIGS apply to groups since KIP-848 gave them configs. */
export const allGroupOperations = bitfield([
  AclOperation.read,
  AclOperation.describe,
  AclOperation.delete,
  AclOperation.describeConfigs,
  AclOperation.alterConfigs,
]);

/** `operations` when the client asked for them; Kafka's "not requested" marker otherwise. */
export function authorizedOperations(requested: boolean, operations: number): number {
  return requested ? operations : authorizedOperationsNotRequested;
}
