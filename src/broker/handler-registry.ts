// The set of API handlers a broker serves, checked once at start-up against the codec's version ranges.

import { assert } from "../base/assert.ts";
import { apiDefinition } from "../protocol/messages/registry.ts";
import type { AnyApiHandler, ApiHandler } from "./api-handler.ts";

export interface ServedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class HandlerRegistry {
  private readonly handlers = new Map<number, ApiHandler>();

  constructor(handlers: readonly AnyApiHandler[]) {
    // Each handler is typed for its own API; the registry routes by key, so it holds them untyped.
    for (const handler of handlers) this.add(handler as unknown as ApiHandler);
  }

  private add(handler: ApiHandler): void {
    const api = apiDefinition(handler.apiKey);
    assert(api !== undefined, `no codec for api key ${handler.apiKey}`);
    assert(!this.handlers.has(handler.apiKey), `two handlers for ${api.name}`);
    assert(
      handler.minVersion >= api.request.minVersion && handler.maxVersion <= api.request.maxVersion,
      `${api.name} handler serves v${handler.minVersion}-${handler.maxVersion}, codec knows v${api.request.minVersion}-${api.request.maxVersion}`,
    );
    assert(handler.minVersion <= handler.maxVersion, `${api.name} handler has an empty version range`);
    this.handlers.set(handler.apiKey, handler);
  }

  handler(apiKey: number): ApiHandler | undefined {
    return this.handlers.get(apiKey);
  }

  serves(apiKey: number, apiVersion: number): boolean {
    const handler = this.handlers.get(apiKey);
    return handler !== undefined && apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion;
  }

  /** What ApiVersions advertises, by ascending key. */
  servedApis(): ServedApi[] {
    return [...this.handlers.values()]
      .filter((handler) => handler.advertised !== false)
      .map((handler) => ({
        apiKey: handler.apiKey,
        minVersion: handler.minVersion,
        maxVersion: handler.maxVersion,
      }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
