// InitProducerId v0–5 for idempotent producers (no transactional id): a fresh producer id, epoch 0. Producers
// with a transactional id are refused until transactions exist (TRANSACTIONAL_ID_AUTHORIZATION_FAILED would
// mislead; Kafka without a transaction coordinator answers COORDINATOR_NOT_AVAILABLE, which clients retry, so
// Chronik answers the non-retriable INVALID_REQUEST instead).

import type { ProducerIdAllocator } from "../../cluster/producer-ids.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { createInitProducerIdResponse } from "../../protocol/messages/init-producer-id.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

export function initProducerIdHandler(producerIds: ProducerIdAllocator) {
  return defineHandler({
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(request) {
      if (request.transactionalId !== null) {
        return { ...createInitProducerIdResponse(), errorCode: ErrorCode.InvalidRequest, producerEpoch: -1 };
      }
      return {
        ...createInitProducerIdResponse(),
        producerId: await producerIds.allocate(),
        producerEpoch: 0,
      };
    },
  });
}
