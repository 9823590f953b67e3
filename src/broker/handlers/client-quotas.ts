// DescribeClientQuotas v0–1 and AlterClientQuotas v0–1 (KIP-546): client quotas kept in the metadata log, so
// every broker enforces the same ones (client-quota-enforcer.ts). Each AlterClientQuotas entry succeeds or fails
// on its own, as Kafka's controller answers it.

import {
  describeClientQuotas,
  planAlterClientQuotas,
  type QuotaEntityComponent,
} from "../../cluster/client-quotas.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createAlterClientQuotasResponse,
  createAlterClientQuotasResponseEntityData,
  createAlterClientQuotasResponseEntryData,
} from "../../protocol/messages/alter-client-quotas.ts";
import {
  createDescribeClientQuotasResponse,
  createDescribeClientQuotasResponseEntityData,
  createDescribeClientQuotasResponseEntryData,
  createDescribeClientQuotasResponseValueData,
} from "../../protocol/messages/describe-client-quotas.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

type AlterEntry = ApiMessages[49]["response"]["entries"][number];

export function describeClientQuotasHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeClientQuotas,
    minVersion: 0,
    maxVersion: 1,
    handle(request) {
      const found = describeClientQuotas(context.metadata.state, request.components, request.strict);
      if (!Array.isArray(found)) {
        return {
          ...createDescribeClientQuotasResponse(),
          errorCode: ErrorCode.InvalidRequest,
          errorMessage: found.error,
          entries: null,
        };
      }
      return {
        ...createDescribeClientQuotasResponse(),
        errorMessage: null,
        entries: found.map(({ entity, quotas }) => ({
          ...createDescribeClientQuotasResponseEntryData(),
          entity: Object.entries(entity).map(([entityType, entityName]) => ({
            ...createDescribeClientQuotasResponseEntityData(),
            entityType,
            entityName,
          })),
          values: [...quotas].map(([key, value]) => ({
            ...createDescribeClientQuotasResponseValueData(),
            key,
            value,
          })),
        })),
      };
    },
  });
}

export function alterClientQuotasHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterClientQuotas,
    minVersion: 0,
    maxVersion: 1,
    async handle(request) {
      const entries: AlterEntry[] = [];
      for (const entry of request.entries) {
        const components: QuotaEntityComponent[] = entry.entity.map(({ entityType, entityName }) => ({
          entityType,
          entityName,
        }));
        const plan = () => planAlterClientQuotas(components, entry.ops);
        const result = request.validateOnly ? plan() : await context.metadata.execute(plan);
        entries.push({
          ...createAlterClientQuotasResponseEntryData(),
          errorCode: result.ok ? 0 : errorCodeByName(result.error),
          errorMessage: result.ok ? null : result.message,
          entity: entry.entity.map(({ entityType, entityName }) => ({
            ...createAlterClientQuotasResponseEntityData(),
            entityType,
            entityName,
          })),
        });
      }
      return { ...createAlterClientQuotasResponse(), entries };
    },
  });
}
