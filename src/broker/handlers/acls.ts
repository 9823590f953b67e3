// CreateAcls, DescribeAcls and DeleteAcls v0–3 (APIs 30, 29, 31): the cluster's ACLs, kept in the metadata log.
// As Kafka: without an authorizer configured each answers SECURITY_DISABLED; creating and deleting need ALTER on
// the cluster and describing needs DESCRIBE, else CLUSTER_AUTHORIZATION_FAILED.

import { planCreateAcls, planDeleteAcls } from "../../cluster/acls/acl-commands.ts";
import {
  type AclBinding,
  type AclBindingFilter,
  AclOperation,
  clusterResourceName,
  filterMatches,
  filterProblem,
  ResourceType,
} from "../../cluster/acls/acl-model.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createCreateAclsResponse,
  createCreateAclsResponseAclCreationResult,
} from "../../protocol/messages/create-acls.ts";
import {
  createDeleteAclsResponse,
  createDeleteAclsResponseDeleteAclsFilterResult,
  createDeleteAclsResponseDeleteAclsMatchingAcl,
} from "../../protocol/messages/delete-acls.ts";
import {
  createDescribeAclsResponse,
  createDescribeAclsResponseAclDescription,
  createDescribeAclsResponseDescribeAclsResource,
} from "../../protocol/messages/describe-acls.ts";
import { ApiKey, type ApiMessages } from "../../protocol/messages/registry.ts";
import { defineHandler, type RequestContext } from "../api-handler.ts";
import type { RequestAuthorizer } from "../authorization/request-authorizer.ts";
import type { BrokerContext } from "../broker-context.ts";

const securityDisabledMessage = "No Authorizer is configured on the broker";
const clusterDeniedMessage = "Cluster authorization failed.";

type DescribeRequest = ApiMessages[29]["request"];
type DeleteFilter = ApiMessages[31]["request"]["filters"][number];

function mayOnCluster(authorizer: RequestAuthorizer, context: RequestContext, operation: number): boolean {
  return authorizer.authorize(context.connection, operation, ResourceType.cluster, clusterResourceName);
}

function filterOf(request: DescribeRequest | DeleteFilter): AclBindingFilter {
  return {
    resourceType: request.resourceTypeFilter,
    resourceName: request.resourceNameFilter,
    patternType: request.patternTypeFilter,
    principal: request.principalFilter,
    host: request.hostFilter,
    operation: request.operation,
    permission: request.permissionType,
  };
}

/** A refusal of the whole request, as the error of each result. */
function refusal(authorizer: RequestAuthorizer, context: RequestContext, operation: number) {
  if (!authorizer.enabled)
    return { errorCode: ErrorCode.SecurityDisabled, errorMessage: securityDisabledMessage };
  if (!mayOnCluster(authorizer, context, operation))
    return { errorCode: ErrorCode.ClusterAuthorizationFailed, errorMessage: clusterDeniedMessage };
  return null;
}

export function createAclsHandler(context: BrokerContext, authorizer: RequestAuthorizer) {
  return defineHandler({
    apiKey: ApiKey.CreateAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(request, requestContext) {
      const refused = refusal(authorizer, requestContext, AclOperation.alter);
      if (refused) {
        return {
          ...createCreateAclsResponse(),
          results: request.creations.map(() => ({
            ...createCreateAclsResponseAclCreationResult(),
            ...refused,
          })),
        };
      }
      const bindings: AclBinding[] = request.creations.map((creation) => ({
        resourceType: creation.resourceType,
        resourceName: creation.resourceName,
        patternType: creation.resourcePatternType,
        principal: creation.principal,
        host: creation.host,
        operation: creation.operation,
        permission: creation.permissionType,
      }));
      // The plan may run again when a forwarded change was stale: the last run's outcomes are the ones committed.
      let outcomes = planCreateAcls(context.metadata.state, bindings).outcomes;
      await context.metadata.execute((state) => {
        const plan = planCreateAcls(state, bindings);
        outcomes = plan.outcomes;
        return { ok: true, records: plan.records };
      });
      return {
        ...createCreateAclsResponse(),
        results: outcomes.map((outcome) => ({
          ...createCreateAclsResponseAclCreationResult(),
          errorCode: outcome.ok ? 0 : ErrorCode.InvalidRequest,
          errorMessage: outcome.ok ? null : outcome.message,
        })),
      };
    },
  });
}

export function describeAclsHandler(context: BrokerContext, authorizer: RequestAuthorizer) {
  return defineHandler({
    apiKey: ApiKey.DescribeAcls,
    minVersion: 0,
    maxVersion: 3,
    handle(request, requestContext) {
      const refused = refusal(authorizer, requestContext, AclOperation.describe);
      if (refused) return { ...createDescribeAclsResponse(), ...refused };
      const filter = filterOf(request);
      const problem = filterProblem(filter);
      if (problem !== null)
        return {
          ...createDescribeAclsResponse(),
          errorCode: ErrorCode.InvalidRequest,
          errorMessage: problem,
        };
      // One entry per resource pattern, its ACLs beneath, as Kafka groups them.
      const resources = new Map<string, ApiMessages[29]["response"]["resources"][number]>();
      for (const binding of context.metadata.state.acls.all()) {
        if (!filterMatches(filter, binding)) continue;
        const key = JSON.stringify([binding.resourceType, binding.resourceName, binding.patternType]);
        let resource = resources.get(key);
        if (resource === undefined) {
          resource = {
            ...createDescribeAclsResponseDescribeAclsResource(),
            resourceType: binding.resourceType,
            resourceName: binding.resourceName,
            patternType: binding.patternType,
            acls: [],
          };
          resources.set(key, resource);
        }
        resource.acls.push({
          ...createDescribeAclsResponseAclDescription(),
          principal: binding.principal,
          host: binding.host,
          operation: binding.operation,
          permissionType: binding.permission,
        });
      }
      return { ...createDescribeAclsResponse(), errorMessage: null, resources: [...resources.values()] };
    },
  });
}

export function deleteAclsHandler(context: BrokerContext, authorizer: RequestAuthorizer) {
  return defineHandler({
    apiKey: ApiKey.DeleteAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(request, requestContext) {
      const refused = refusal(authorizer, requestContext, AclOperation.alter);
      if (refused) {
        return {
          ...createDeleteAclsResponse(),
          filterResults: request.filters.map(() => ({
            ...createDeleteAclsResponseDeleteAclsFilterResult(),
            ...refused,
          })),
        };
      }
      const filters = request.filters.map(filterOf);
      let outcomes = planDeleteAcls(context.metadata.state, filters).outcomes;
      await context.metadata.execute((state) => {
        const plan = planDeleteAcls(state, filters);
        outcomes = plan.outcomes;
        return { ok: true, records: plan.records };
      });
      return {
        ...createDeleteAclsResponse(),
        filterResults: outcomes.map((outcome) => ({
          ...createDeleteAclsResponseDeleteAclsFilterResult(),
          errorCode: outcome.ok ? 0 : ErrorCode.InvalidRequest,
          errorMessage: outcome.ok ? null : outcome.message,
          matchingAcls: outcome.ok
            ? outcome.deleted.map((binding) => ({
                ...createDeleteAclsResponseDeleteAclsMatchingAcl(),
                errorMessage: null,
                resourceType: binding.resourceType,
                resourceName: binding.resourceName,
                patternType: binding.patternType,
                principal: binding.principal,
                host: binding.host,
                operation: binding.operation,
                permissionType: binding.permission,
              }))
            : [],
        })),
      };
    },
  });
}

/** The three ACL APIs. */
export function aclHandlers(context: BrokerContext, authorizer: RequestAuthorizer) {
  return [
    createAclsHandler(context, authorizer),
    describeAclsHandler(context, authorizer),
    deleteAclsHandler(context, authorizer),
  ];
}
