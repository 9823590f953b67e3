// The authorizer as handlers use it: "may this connection do this to that resource?". With no authorizer
// configured everything is allowed, as in Kafka without authorizer.class.name. With one, decisions come from
// the ACLs in the metadata state and are cached per connection and resource until the ACLs change, so produce
// and fetch pay a map look-up per topic, not a scan of the ACLs.

import { supportedOperations } from "../../cluster/acls/acl-model.ts";
import type { AclTable } from "../../cluster/acls/acl-table.ts";
import {
  type AuthorizerConfig,
  authorize,
  authorizeByResourceType,
  authorizedOperations,
  type Requester,
} from "../../cluster/acls/authorizer.ts";
import type { ConnectionInfo } from "../dispatcher.ts";

/** Decisions one connection keeps; past this many the cache starts over (a client touching many resources). */
export const decisionsPerConnectionMax = 4096;

interface DecisionCache {
  acls: AclTable;
  version: number;
  principal: string;
  /** By operation and resource type (operationAndType), then by resource name. */
  decisions: Map<number, Map<string, boolean>>;
  size: number;
}

/** One number for an (operation, resource type) pair: no string is built on the hot path. */
function operationAndType(operation: number, resourceType: number): number {
  return operation * 16 + resourceType;
}

export interface RequestAuthorizerOptions {
  /** null: no authorizer configured, every request allowed. */
  config: AuthorizerConfig | null;
  /** The ACLs as last applied on this node. */
  acls(): AclTable;
}

/** Kafka names a client's host by its IP address; an IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d. */
export function clientHost(remoteAddress: string): string {
  return remoteAddress.startsWith("::ffff:") && remoteAddress.includes(".")
    ? remoteAddress.slice("::ffff:".length)
    : remoteAddress;
}

function requester(connection: ConnectionInfo): Requester {
  return { principal: connection.principal, host: clientHost(connection.remoteAddress) };
}

export class RequestAuthorizer {
  private readonly config: AuthorizerConfig | null;
  private readonly acls: () => AclTable;
  private readonly caches = new WeakMap<ConnectionInfo, DecisionCache>();

  constructor(options: RequestAuthorizerOptions) {
    this.config = options.config;
    this.acls = options.acls;
  }

  /** Whether ACLs are enforced (an authorizer is configured). */
  get enabled(): boolean {
    return this.config !== null;
  }

  authorize(
    connection: ConnectionInfo,
    operation: number,
    resourceType: number,
    resourceName: string,
  ): boolean {
    const config = this.config;
    if (config === null) return true;
    const cache = this.cacheFor(connection);
    const kind = operationAndType(operation, resourceType);
    let byName = cache.decisions.get(kind);
    const cached = byName?.get(resourceName);
    if (cached !== undefined) return cached;
    const decision = authorize(
      config,
      cache.acls,
      requester(connection),
      operation,
      resourceType,
      resourceName,
    );
    if (cache.size >= decisionsPerConnectionMax) {
      cache.decisions.clear();
      cache.size = 0;
      byName = undefined;
    }
    if (byName === undefined) {
      byName = new Map();
      cache.decisions.set(kind, byName);
    }
    byName.set(resourceName, decision);
    cache.size++;
    return decision;
  }

  /** Kafka's authorizeByResourceType: `operation` allowed on some resource of the type. */
  authorizeAny(connection: ConnectionInfo, operation: number, resourceType: number): boolean {
    if (this.config === null) return true;
    return authorizeByResourceType(this.config, this.acls(), requester(connection), operation, resourceType);
  }

  /** The bitfield of operations allowed on the resource (every supported one without an authorizer). */
  authorizedOperations(connection: ConnectionInfo, resourceType: number, resourceName: string): number {
    if (this.config === null) {
      return (supportedOperations.get(resourceType) ?? []).reduce(
        (bits, operation) => bits | (1 << operation),
        0,
      );
    }
    return authorizedOperations(this.config, this.acls(), requester(connection), resourceType, resourceName);
  }

  private cacheFor(connection: ConnectionInfo): DecisionCache {
    const acls = this.acls();
    let cache = this.caches.get(connection);
    if (
      cache === undefined ||
      cache.acls !== acls ||
      cache.version !== acls.version ||
      cache.principal !== connection.principal
    ) {
      cache = { acls, version: acls.version, principal: connection.principal, decisions: new Map(), size: 0 };
      this.caches.set(connection, cache);
    }
    return cache;
  }
}

/** An authorizer that allows everything: what a broker without --authorizer runs. */
export function allowAllAuthorizer(acls: () => AclTable): RequestAuthorizer {
  return new RequestAuthorizer({ config: null, acls });
}
