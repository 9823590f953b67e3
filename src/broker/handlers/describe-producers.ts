// DescribeProducers v0 (KIP-664): the producers a partition leader knows, their epoch, last sequence and the
// first offset of the transaction each has open (kafka-transactions.sh describe-producers, and finding hanging
// transactions).

import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createDescribeProducersResponse,
  createDescribeProducersResponsePartitionResponse,
  createDescribeProducersResponseProducerState,
  createDescribeProducersResponseTopicResponse,
} from "../../protocol/messages/describe-producers.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { ledReplica } from "../leader-hints.ts";

export function describeProducersHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeProducers,
    minVersion: 0,
    maxVersion: 0,
    handle(request) {
      const topics = request.topics.map((topic) => ({
        ...createDescribeProducersResponseTopicResponse(),
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => {
          const answer = { ...createDescribeProducersResponsePartitionResponse(), partitionIndex };
          const replica = ledReplica(context, topic.name, partitionIndex);
          if ("errorCode" in replica) return { ...answer, errorCode: replica.errorCode };
          const activeProducers = replica.activeProducers().map((producer) => ({
            ...createDescribeProducersResponseProducerState(),
            producerId: BigInt(producer.producerId),
            producerEpoch: producer.producerEpoch,
            lastSequence: producer.batches.at(-1)?.lastSequence ?? -1,
            lastTimestamp: BigInt(producer.lastTimestampMs),
            coordinatorEpoch: -1,
            currentTxnStartOffset: BigInt(producer.currentTxnFirstOffset ?? -1),
          }));
          return { ...answer, errorCode: ErrorCode.None, activeProducers };
        }),
      }));
      return { ...createDescribeProducersResponse(), topics };
    },
  });
}
