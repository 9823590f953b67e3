// WriteTxnMarkers v0–1 (API 27): a transaction coordinator asks this broker to append COMMIT or ABORT markers
// to the partitions it leads. Chronik's own coordinator appends them in-process; this serves coordinators that
// send the request (and tools). Each answer comes once the marker is committed.

import { ErrorCode } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import {
  createWriteTxnMarkersResponse,
  createWriteTxnMarkersResponseWritableTxnMarkerPartitionResult,
  createWriteTxnMarkersResponseWritableTxnMarkerResult,
  createWriteTxnMarkersResponseWritableTxnMarkerTopicResult,
} from "../../protocol/messages/write-txn-markers.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

export function writeTxnMarkersHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.WriteTxnMarkers,
    minVersion: 0,
    maxVersion: 1,
    async handle(request) {
      const markers = await Promise.all(
        request.markers.map(async (marker) => ({
          ...createWriteTxnMarkersResponseWritableTxnMarkerResult(),
          producerId: marker.producerId,
          topics: await Promise.all(
            marker.topics.map(async (topic) => ({
              ...createWriteTxnMarkersResponseWritableTxnMarkerTopicResult(),
              name: topic.name,
              partitions: await Promise.all(
                topic.partitionIndexes.map(async (partition) => {
                  const replica = context.replicas.byName(topic.name, partition);
                  const failure =
                    replica === undefined
                      ? { errorCode: ErrorCode.UnknownTopicOrPartition }
                      : await replica.appendMarker({
                          producerId: marker.producerId,
                          producerEpoch: marker.producerEpoch,
                          coordinatorEpoch: marker.coordinatorEpoch,
                          commit: marker.transactionResult,
                        });
                  return {
                    ...createWriteTxnMarkersResponseWritableTxnMarkerPartitionResult(),
                    partitionIndex: partition,
                    errorCode: failure?.errorCode ?? ErrorCode.None,
                  };
                }),
              ),
            })),
          ),
        })),
      );
      return { ...createWriteTxnMarkersResponse(), markers };
    },
  });
}
