// TxnOffsetCommit v0–4 (sendOffsetsToTransaction's second half, KIP-98/KIP-447): the group's offsets are
// written to its __consumer_offsets partition in the producer's transaction and take effect only when the
// transaction's COMMIT marker reaches that partition. When this node also coordinates the transactional id,
// the producer must hold the current epoch and have added the group's partition (AddOffsetsToTxn), so a
// fenced zombie cannot leave offsets for a later commit to pick up.

import type { GroupService } from "../../cluster/group-service.ts";
import { offsetsTopicName } from "../../cluster/internal-topics.ts";
import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import {
  createTxnOffsetCommitResponse,
  createTxnOffsetCommitResponsePartition,
  createTxnOffsetCommitResponseTopic,
  type TxnOffsetCommitRequest,
} from "../../protocol/messages/txn-offset-commit.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { transactionErrorCode } from "./transaction-errors.ts";

/** TxnOffsetCommit v3 is the first whose clients know PRODUCER_FENCED. */
const producerFencedVersionMin = 3;

function respond(request: TxnOffsetCommitRequest, codeOf: (topic: string, partition: number) => number) {
  return {
    ...createTxnOffsetCommitResponse(),
    topics: request.topics.map((topic) => ({
      ...createTxnOffsetCommitResponseTopic(),
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({
        ...createTxnOffsetCommitResponsePartition(),
        partitionIndex: partition.partitionIndex,
        errorCode: codeOf(topic.name, partition.partitionIndex),
      })),
    })),
  };
}

/** The producer's standing with the transaction coordinator, when it is on this node; null when fine or unknown. */
function producerRefusal(
  transactions: TransactionService,
  request: TxnOffsetCommitRequest,
  apiVersion: number,
) {
  const coordinator = transactions.coordinatorOf(request.transactionalId);
  if (typeof coordinator === "string") return null;
  const offsetsPartition = {
    topic: offsetsTopicName,
    partition: transactions.offsetsPartitionOf(request.groupId),
  };
  const verified = coordinator.verifyPartitions({ ...request, partitions: [offsetsPartition] });
  if (typeof verified === "string") {
    return transactionErrorCode(verified, { producerFencedKnown: apiVersion >= producerFencedVersionMin });
  }
  return verified[0] === true ? null : ErrorCode.InvalidTxnState;
}

export function txnOffsetCommitHandler(
  context: BrokerContext,
  groups: GroupService,
  transactions: TransactionService,
) {
  return defineHandler({
    apiKey: ApiKey.TxnOffsetCommit,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, { apiVersion }) {
      const refusal = producerRefusal(transactions, request, apiVersion);
      if (refusal !== null) return respond(request, () => refusal);
      const state = context.metadata.state;
      const known = (topic: string, partition: number) => {
        const found = state.topicByName(topic);
        return found !== undefined && partition >= 0 && partition < found.partitions.length;
      };
      const offsets = request.topics.flatMap((topic) =>
        topic.partitions
          .filter((partition) => known(topic.name, partition.partitionIndex))
          .map((partition) => ({
            topic: topic.name,
            partition: partition.partitionIndex,
            offset: Number(partition.committedOffset),
            leaderEpoch: partition.committedLeaderEpoch,
            metadata: partition.committedMetadata ?? "",
          })),
      );
      const failed = await groups.txnOffsetCommit({ ...request, offsets });
      const failedCode = failed === null ? ErrorCode.None : ErrorCode.NotCoordinator;
      return respond(request, (topic, partition) =>
        known(topic, partition) ? failedCode : ErrorCode.UnknownTopicOrPartition,
      );
    },
  });
}
