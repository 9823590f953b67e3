// AlterConfigs v0–2 (replace a resource's overrides wholesale) and IncrementalAlterConfigs v0–1 (set, delete,
// append, subtract), for topics, groups (KIP-848's GROUP resource) and brokers (this broker's id, or "" for the
// cluster default): the dynamic broker configs of dynamic-broker-configs.ts; static ones are refused as Kafka does.

import { planAlterBrokerConfigs } from "../../cluster/dynamic-broker-configs.ts";
import {
  type CommandResult,
  type ConfigChange,
  planAlterGroupConfigs,
  planAlterTopicConfigs,
} from "../../cluster/metadata/metadata-commands.ts";
import type { MetadataPlan } from "../../cluster/metadata/metadata-service.ts";
import type { MetadataState } from "../../cluster/metadata/metadata-state.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import {
  createAlterConfigsResponse,
  createAlterConfigsResponseAlterConfigsResourceResponse,
} from "../../protocol/messages/alter-configs.ts";
import { createIncrementalAlterConfigsResponse } from "../../protocol/messages/incremental-alter-configs.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import {
  ConfigResourceType,
  checkBrokerResource,
  checkGroupResource,
  findTopic,
  isResourceError,
  type ResourceError,
} from "./config-resources.ts";

type AlterResult = ApiMessages[33]["response"]["responses"][number];

/** IncrementalAlterConfigs operation numbers (AlterConfigOp.OpType). */
const operations = ["set", "delete", "append", "subtract"] as const;

/** The changes a request asks of one resource, given its overrides as they stand when the change runs. */
type ChangesFor = (current: ReadonlyMap<string, string>) => ConfigChange[] | ResourceError;

/**
 * How to alter one kind of resource: its current overrides in `state` (or why it cannot be altered), and the
 * plan that turns changes into metadata records.
 */
interface AlterableResource {
  current(state: MetadataState): ReadonlyMap<string, string> | ResourceError;
  plan(state: MetadataState, changes: ConfigChange[]): CommandResult;
}

function alterableResource(
  context: BrokerContext,
  resource: { resourceType: number; resourceName: string },
): AlterableResource | ResourceError {
  const name = resource.resourceName;
  switch (resource.resourceType) {
    case ConfigResourceType.Topic:
      return {
        current: (state) => {
          const topic = findTopic(context, name, state);
          return isResourceError(topic) ? topic : topic.configs;
        },
        plan: (state, changes) => planAlterTopicConfigs(state, name, changes),
      };
    case ConfigResourceType.Group:
      return (
        checkGroupResource(name) ?? {
          current: (state) => state.groupConfigs(name),
          plan: (state, changes) => planAlterGroupConfigs(state, name, changes, context.brokerStatic),
        }
      );
    case ConfigResourceType.Broker:
      return (
        checkBrokerResource(context, name) ?? {
          current: (state) => state.brokerConfigs(name),
          plan: (state, changes) => planAlterBrokerConfigs(state, name, changes),
        }
      );
    default:
      return {
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: `resource type ${resource.resourceType} is not supported`,
      };
  }
}

async function alterResource(
  context: BrokerContext,
  resource: { resourceType: number; resourceName: string },
  changesFor: ChangesFor,
  validateOnly: boolean,
): Promise<ResourceError | null> {
  const alterable = alterableResource(context, resource);
  if (isResourceError(alterable)) return alterable;
  let refusal: ResourceError | null = null;
  const plan: MetadataPlan = (state) => {
    const current = alterable.current(state);
    const changes = isResourceError(current) ? current : changesFor(current);
    if (isResourceError(changes)) {
      refusal = changes;
      return { ok: true, records: [] };
    }
    return alterable.plan(state, changes);
  };
  const result = validateOnly ? plan(context.metadata.state) : await context.metadata.execute(plan);
  if (refusal) return refusal;
  return result.ok ? null : { errorCode: errorCodeByName(result.error), errorMessage: result.message };
}

function answer(
  resource: { resourceType: number; resourceName: string },
  problem: ResourceError | null,
): AlterResult {
  return {
    ...createAlterConfigsResponseAlterConfigsResourceResponse(),
    errorCode: problem?.errorCode ?? 0,
    errorMessage: problem?.errorMessage ?? null,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
  };
}

interface ResourceShape {
  resourceType: number;
  resourceName: string;
  configs: readonly { name: string; value: string | null }[];
}

/**
 * The shape checks Kafka's ConfigAdminManager.preprocess runs before anything is applied, with its messages:
 * a resource named twice in one request (both refused), a key named twice within one resource (which value
 * would win?), a null value where the operation needs one (`needsValue`).
 */
function shapeRefusals<R extends ResourceShape>(
  resources: readonly R[],
  needsValue: (config: R["configs"][number]) => boolean,
): Map<R, ResourceError> {
  const refusals = new Map<R, ResourceError>();
  const byId = new Map<string, R>();
  for (const resource of resources) {
    const id = `${resource.resourceType}/${resource.resourceName}`;
    const earlier = byId.get(id);
    byId.set(id, resource);
    if (earlier === undefined) continue;
    const refusal = {
      errorCode: ErrorCode.InvalidRequest,
      errorMessage: "Each resource must appear at most once.",
    };
    refusals.set(earlier, refusal).set(resource, refusal);
  }
  for (const resource of resources) {
    if (refusals.has(resource)) continue;
    const names = resource.configs.map((config) => config.name);
    const nullUpdates = resource.configs.filter((config) => needsValue(config) && config.value === null);
    if (new Set(names).size !== names.length) {
      refusals.set(resource, {
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: "Error due to duplicate config keys",
      });
    } else if (nullUpdates.length > 0) {
      const listed = nullUpdates.map((config) => config.name).join(", ");
      refusals.set(resource, {
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: `Null value not supported for : ${listed}`,
      });
    }
  }
  return refusals;
}

/** Legacy AlterConfigs: the given configs become the resource's only overrides (values checked non-null). */
function replacementChanges(resource: ApiMessages[33]["request"]["resources"][number]): ChangesFor {
  return (current) => {
    const changes: ConfigChange[] = [...current.keys()]
      .filter((name) => !resource.configs.some((config) => config.name === name))
      .map((name) => ({ operation: "delete", name }));
    for (const config of resource.configs)
      changes.push({ operation: "set", name: config.name, value: config.value! });
    return changes;
  };
}

/** IncrementalAlterConfigs' operations as changes (values checked non-null for all but delete). */
function incrementalChanges(
  resource: ApiMessages[44]["request"]["resources"][number],
): ConfigChange[] | ResourceError {
  const changes: ConfigChange[] = [];
  for (const config of resource.configs) {
    const operation = operations[config.configOperation];
    if (operation === undefined) {
      return {
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: `unknown config operation ${config.configOperation}`,
      };
    }
    if (operation === "delete") changes.push({ operation, name: config.name });
    else changes.push({ operation, name: config.name, value: config.value! });
  }
  return changes;
}

export function alterConfigsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      const responses: AlterResult[] = [];
      const refusals = shapeRefusals(request.resources, () => true);
      for (const resource of request.resources) {
        const refusal = refusals.get(resource);
        if (refusal) {
          responses.push(answer(resource, refusal));
          continue;
        }
        const changes = replacementChanges(resource);
        responses.push(
          answer(resource, await alterResource(context, resource, changes, request.validateOnly)),
        );
      }
      return { ...createAlterConfigsResponse(), responses };
    },
  });
}

export function incrementalAlterConfigsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(request) {
      const responses: AlterResult[] = [];
      const refusals = shapeRefusals(
        request.resources,
        (config) => operations[config.configOperation] !== "delete",
      );
      for (const resource of request.resources) {
        const refusal = refusals.get(resource);
        if (refusal) {
          responses.push(answer(resource, refusal));
          continue;
        }
        const changes = incrementalChanges(resource);
        responses.push(
          answer(resource, await alterResource(context, resource, () => changes, request.validateOnly)),
        );
      }
      return { ...createIncrementalAlterConfigsResponse(), responses };
    },
  });
}
