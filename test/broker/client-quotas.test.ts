// Proves client quotas as Kafka keeps and applies them: AlterClientQuotas' refusals, DescribeClientQuotas'
// filters, the precedence of entity matches (DefaultQuotaCallback's order), and the throttle time of a client
// over its quota — (rate - quota) / quota × window over Kafka's sampled window — while another client is not
// throttled; over the wire, the throttle time rides in the response.

import { expect, test } from "bun:test";
import { ManualClock } from "../../src/base/manual-clock.ts";
import { ClientQuotaEnforcer } from "../../src/broker/client-quota-enforcer.ts";
import {
  alterClientQuotasHandler,
  describeClientQuotasHandler,
} from "../../src/broker/handlers/client-quotas.ts";
import {
  appliedQuota,
  describeClientQuotas,
  planAlterClientQuotas,
  type QuotaEntityComponent,
} from "../../src/cluster/client-quotas.ts";
import { MetadataState } from "../../src/cluster/metadata/metadata-state.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { handlerRequestContext, singleNodeContext } from "../support/in-memory-metadata.ts";

function setQuota(state: MetadataState, entity: QuotaEntityComponent[], key: string, value: number): void {
  const result = planAlterClientQuotas(entity, [{ key, value, remove: false }]);
  if (!result.ok) throw new Error(result.message);
  for (const record of result.records) state.apply(record);
}

const user = (name: string | null): QuotaEntityComponent => ({ entityType: "user", entityName: name });
const client = (name: string | null): QuotaEntityComponent => ({ entityType: "client-id", entityName: name });

test("AlterClientQuotas refuses what Kafka's controller refuses", () => {
  const refusal = (entity: QuotaEntityComponent[], key: string, value: number) => {
    const result = planAlterClientQuotas(entity, [{ key, value, remove: false }]);
    return result.ok ? "accepted" : `${result.error}: ${result.message}`;
  };
  expect(refusal([], "producer_byte_rate", 1)).toBe("INVALID_REQUEST: Invalid empty client quota entity");
  expect(refusal([client("a")], "no_such_quota", 1)).toBe(
    "INVALID_REQUEST: Invalid configuration key no_such_quota",
  );
  expect(refusal([client("a")], "producer_byte_rate", 1.5)).toBe(
    "INVALID_REQUEST: Configuration producer_byte_rate must be a Long value",
  );
  expect(refusal([client("a"), { entityType: "ip", entityName: null }], "producer_byte_rate", 1)).toContain(
    "IP quota entities cannot be combined",
  );
  expect(refusal([{ entityType: "group", entityName: "g" }], "producer_byte_rate", 1)).toContain(
    "Unhandled client quota entity type: group",
  );
  expect(refusal([{ entityType: "ip", entityName: null }], "producer_byte_rate", 1)).toContain(
    "Invalid configuration key",
  );
  expect(refusal([user("u"), client(null)], "request_percentage", 12.5)).toBe("accepted");
});

test("quotas apply in Kafka's order of precedence, counted per matched entity", () => {
  const state = new MetadataState();
  const rate = () => appliedQuota(state, "producer_byte_rate", "alice", "app");
  expect(rate()).toBeNull();
  setQuota(state, [client(null)], "producer_byte_rate", 8);
  expect(rate()).toEqual({ limit: 8, sensorKey: "\u0000app" });
  setQuota(state, [client("app")], "producer_byte_rate", 7);
  expect(rate()?.limit).toBe(7);
  setQuota(state, [user(null)], "producer_byte_rate", 6);
  expect(rate()).toEqual({ limit: 6, sensorKey: "alice\u0000" });
  setQuota(state, [user(null), client(null)], "producer_byte_rate", 5);
  expect(rate()?.limit).toBe(5);
  setQuota(state, [user(null), client("app")], "producer_byte_rate", 4);
  expect(rate()?.limit).toBe(4);
  setQuota(state, [user("alice")], "producer_byte_rate", 3);
  expect(rate()?.limit).toBe(3);
  setQuota(state, [user("alice"), client(null)], "producer_byte_rate", 2);
  expect(rate()?.limit).toBe(2);
  setQuota(state, [client("app"), user("alice")], "producer_byte_rate", 1);
  expect(rate()).toEqual({ limit: 1, sensorKey: "alice\u0000app" });
  // Another quota type is looked up on its own.
  expect(appliedQuota(state, "consumer_byte_rate", "alice", "app")).toBeNull();

  const described = (components: Parameters<typeof describeClientQuotas>[1], strict: boolean) => {
    const found = describeClientQuotas(state, components, strict);
    if (!Array.isArray(found)) return found.error;
    return found.map((entry) => entry.entity);
  };
  expect(described([{ entityType: "user", matchType: 0, match: "alice" }], true)).toEqual([
    { user: "alice" },
  ]);
  expect(described([{ entityType: "user", matchType: 0, match: "alice" }], false)).toHaveLength(3);
  expect(described([{ entityType: "client-id", matchType: 1, match: null }], true)).toEqual([
    { "client-id": null },
  ]);
  expect(described([], false)).toHaveLength(8);
  expect(
    described(
      [
        { entityType: "user", matchType: 2, match: null },
        { entityType: "user", matchType: 2, match: null },
      ],
      false,
    ),
  ).toBe("Entity type user cannot appear more than once in the filter.");
});

test("a client over its byte rate is throttled by Kafka's formula; a client under no quota is not", () => {
  const state = new MetadataState();
  setQuota(state, [client("slow")], "producer_byte_rate", 1000);
  const clock = new ManualClock();
  const enforcer = new ClientQuotaEnforcer({ clock, state: () => state });
  const produce = (clientId: string, bytes: number) =>
    enforcer.record({
      apiKey: ApiKey.Produce,
      principal: "User:ANONYMOUS",
      clientId,
      requestBytes: bytes,
      responseBytes: 0,
      handlerMs: 0,
    });
  // 10 s at 1000 B/s may arrive at once (the window's minimum is 10 of its 11 one-second samples).
  expect(produce("slow", 10_000)).toBe(0);
  // 20 000 B over a 10 s window is 2000 B/s: twice the quota, so a throttle of (2000 - 1000) / 1000 × 10 s.
  expect(produce("slow", 10_000)).toBe(10_000);
  expect(produce("fast", 1_000_000)).toBe(0);
  // After the window has passed, the old samples expire.
  clock.advance(11_000);
  expect(produce("slow", 5_000)).toBe(0);
});

test("the handlers store, describe and refuse quotas over the metadata", async () => {
  const context = singleNodeContext({ port: 9092 });
  const alter = alterClientQuotasHandler(context);
  const answer = await alter.handle(
    {
      entries: [
        {
          entity: [{ entityType: "client-id", entityName: "app", unknownTaggedFields: [] }],
          ops: [{ key: "consumer_byte_rate", value: 2048, remove: false, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
        {
          entity: [{ entityType: "client-id", entityName: "app", unknownTaggedFields: [] }],
          ops: [{ key: "bad", value: 1, remove: false, unknownTaggedFields: [] }],
          unknownTaggedFields: [],
        },
      ],
      validateOnly: false,
      unknownTaggedFields: [],
    },
    handlerRequestContext(1),
  );
  expect((answer as { entries: Array<{ errorCode: number }> }).entries.map((e) => e.errorCode)).toEqual([
    0,
    ErrorCode.InvalidRequest,
  ]);
  const described = (await describeClientQuotasHandler(context).handle(
    { components: [], strict: false, unknownTaggedFields: [] },
    handlerRequestContext(1),
  )) as { entries: Array<{ entity: unknown[]; values: Array<{ key: string; value: number }> }> };
  expect(described.entries.map((e) => e.values.map((v) => [v.key, v.value]))).toEqual([
    [["consumer_byte_rate", 2048]],
  ]);
});
