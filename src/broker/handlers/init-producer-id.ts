// InitProducerId v0–5. Without a transactional id: a fresh idempotent producer id, epoch 0. With one: the
// transaction coordinator of the id bumps its epoch (fencing older instances of the producer), aborting any
// transaction an older instance left open; v3+ carries the producer id and epoch the client had (KIP-360), so a
// producer recovers from UNKNOWN_PRODUCER_ID or a fenced epoch without a restart.

import type { ProducerIdAllocator } from "../../cluster/producer-ids.ts";
import type { TransactionService } from "../../cluster/transactions/transaction-service.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { createInitProducerIdResponse } from "../../protocol/messages/init-producer-id.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { transactionErrorCode } from "./transaction-errors.ts";

/** InitProducerId v4 is the first whose clients know PRODUCER_FENCED. */
const producerFencedVersionMin = 4;

export function initProducerIdHandler(
  producerIds: ProducerIdAllocator,
  transactions: TransactionService | null = null,
) {
  return defineHandler({
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, { apiVersion }) {
      if (request.transactionalId === null) {
        return {
          ...createInitProducerIdResponse(),
          producerId: await producerIds.allocate(),
          producerEpoch: 0,
        };
      }
      const refused = { ...createInitProducerIdResponse(), producerEpoch: -1 };
      if (transactions === null) return { ...refused, errorCode: ErrorCode.InvalidRequest };
      const transactionalId = request.transactionalId;
      // Used only if the id is new or its epoch is exhausted; ids are plentiful (int64).
      const freshProducerId = await producerIds.allocate();
      const result = await transactions.step(transactionalId, (coordinator, nowMs) =>
        coordinator.initProducerId({
          transactionalId,
          timeoutMs: request.transactionTimeoutMs,
          expected: { producerId: request.producerId, producerEpoch: request.producerEpoch },
          freshProducerId,
          nowMs,
        }),
      );
      if (!result.ok) {
        const errorCode = transactionErrorCode(result.error, {
          producerFencedKnown: apiVersion >= producerFencedVersionMin,
        });
        return { ...refused, errorCode };
      }
      return { ...createInitProducerIdResponse(), ...result.value };
    },
  });
}
