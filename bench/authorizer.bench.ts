// Measures what ACL enforcement adds to a request: a Produce of 4 topics and a Fetch of 4 topics through their
// guards with decisions cached per connection (the steady state), the same with the cache dropped before every
// request (as after an ACL change), and the bare handlers without an authorizer; over 1,000 literal and 100
// prefixed topic ACLs. The handlers are stubs that answer at once, so the figures are the guards' own cost.
// Run: node_modules/.bin/bun bench/authorizer.bench.ts

import type { AnyApiHandler, RequestContext } from "../src/broker/api-handler.ts";
import { requestAuthorizer, securedHandlers } from "../src/broker/authorization/index.ts";
import type { BrokerContext } from "../src/broker/broker-context.ts";
import {
  type AclBinding,
  AclOperation,
  AclPermission,
  PatternType,
  ResourceType,
} from "../src/cluster/acls/acl-model.ts";
import { AclTable } from "../src/cluster/acls/acl-table.ts";
import { noTaggedFields } from "../src/protocol/codec-runtime.ts";
import { createFetchRequest, createFetchResponse } from "../src/protocol/messages/fetch.ts";
import { createProduceRequest, createProduceResponse } from "../src/protocol/messages/produce.ts";
import { ApiKey } from "../src/protocol/messages/registry.ts";

const literalAclCount = 1000;
const prefixedAclCount = 100;
const topicsPerRequest = 4;
const secondsPerCase = 1.5;

const principal = "User:client-7";
const topics = Array.from({ length: topicsPerRequest }, (_, index) => `topic-${index}`);
const acls = new AclTable();
const allow = (resourceName: string, patternType: number, operation: number): AclBinding => ({
  resourceType: ResourceType.topic,
  resourceName,
  patternType,
  principal,
  host: "*",
  operation,
  permission: AclPermission.allow,
});
for (let index = 0; index < literalAclCount; index++)
  acls.add(allow(`topic-${index}`, PatternType.literal, AclOperation.write));
for (let index = 0; index < prefixedAclCount; index++)
  acls.add(allow(`team-${index}-`, PatternType.prefixed, AclOperation.read));
acls.add(allow("topic-", PatternType.prefixed, AclOperation.read));

const connection = {
  id: 1,
  remoteAddress: "10.0.0.7",
  remotePort: 5000,
  listenerName: "PLAINTEXT",
  principal,
  closed: new AbortController().signal,
};
const context: RequestContext = { apiVersion: 9, correlationId: 1, clientId: "bench", connection };
const broker = { metadata: { state: { acls, topicById: () => undefined } } } as unknown as BrokerContext;

const produceRequest = {
  ...createProduceRequest(),
  acks: -1,
  topicData: topics.map((name) => ({
    name,
    partitionData: [{ index: 0, records: null, unknownTaggedFields: noTaggedFields }],
    unknownTaggedFields: noTaggedFields,
  })),
};
const fetchRequest = { ...createFetchRequest(), replicaId: -1 };
const stubs: AnyApiHandler[] = [
  { apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 11, handle: () => createProduceResponse() },
  {
    apiKey: ApiKey.Fetch,
    minVersion: 0,
    maxVersion: 17,
    handle: () => ({
      ...createFetchResponse(),
      responses: topics.map((topic) => ({
        topic,
        topicId: "",
        partitions: [],
        unknownTaggedFields: noTaggedFields,
      })),
    }),
  },
];

function handlersWith(enabled: boolean) {
  const authorizer = requestAuthorizer(
    { enabled, superUsers: [], allowEveryoneIfNoAclFound: false },
    () => acls,
  );
  const [produce, fetch] = securedHandlers(stubs, { authorizer, broker });
  return { produce: produce as AnyApiHandler, fetch: fetch as AnyApiHandler };
}

function measure(name: string, run: () => void): void {
  for (let warm = 0; warm < 1000; warm++) run();
  const started = performance.now();
  const deadline = started + secondsPerCase * 1000;
  let ops = 0;
  while (performance.now() < deadline) {
    for (let batch = 0; batch < 100; batch++) run();
    ops += 100;
  }
  const nsPerOp = ((performance.now() - started) * 1e6) / ops;
  console.log(`| ${name.padEnd(44)} | ${nsPerOp.toFixed(0).padStart(8)} |`);
}

const bare = handlersWith(false);
const guarded = handlersWith(true);
const call = (handler: AnyApiHandler, request: unknown) => handler.handle(request as never, context);

console.log(
  `${literalAclCount} literal + ${prefixedAclCount + 1} prefixed ACLs, ${topicsPerRequest} topics a request`,
);
console.log("| case | ns/request |\n|---|---|");
measure("produce, no authorizer", () => call(bare.produce, produceRequest));
measure("produce, ACLs, cached decisions", () => call(guarded.produce, produceRequest));
measure("produce, ACLs, cache dropped every request", () => {
  acls.version++;
  call(guarded.produce, produceRequest);
});
measure("fetch, no authorizer", () => call(bare.fetch, fetchRequest));
measure("fetch, ACLs, cached decisions", () => call(guarded.fetch, fetchRequest));
measure("fetch, ACLs, cache dropped every request", () => {
  acls.version++;
  call(guarded.fetch, fetchRequest);
});
