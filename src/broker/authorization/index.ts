// Authorization of Kafka requests: the per-connection authorizer, and the guards that put Kafka's checks in
// front of each API's handler when an authorizer is configured.

import type { AclTable } from "../../cluster/acls/acl-table.ts";
import type { AnyApiHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { aclHandlers } from "../handlers/acls.ts";
import { clusterGuards } from "./cluster-guards.ts";
import { groupGuards } from "./group-guards.ts";
import { guardHandlers } from "./guard.ts";
import { RequestAuthorizer } from "./request-authorizer.ts";
import { topicGuards } from "./topic-guards.ts";

export { RequestAuthorizer } from "./request-authorizer.ts";

export interface AuthorizerSettings {
  /** false: no authorizer, as Kafka without authorizer.class.name: every request allowed. */
  enabled: boolean;
  superUsers: readonly string[];
  allowEveryoneIfNoAclFound: boolean;
}

export function requestAuthorizer(settings: AuthorizerSettings, acls: () => AclTable): RequestAuthorizer {
  const config = settings.enabled
    ? {
        superUsers: new Set(settings.superUsers),
        allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound,
      }
    : null;
  return new RequestAuthorizer({ config, acls });
}

/**
 * `handlers` plus the ACL APIs, each behind Kafka's authorization checks when the authorizer is enabled; without
 * one the handlers run unguarded and the ACL APIs answer SECURITY_DISABLED.
 */
export function securedHandlers(
  handlers: readonly AnyApiHandler[],
  deps: { authorizer: RequestAuthorizer; broker: BrokerContext },
): AnyApiHandler[] {
  const all = [...handlers, ...aclHandlers(deps.broker, deps.authorizer)];
  if (!deps.authorizer.enabled) return all;
  return guardHandlers(all, { ...topicGuards(deps), ...groupGuards(deps), ...clusterGuards(deps) });
}
