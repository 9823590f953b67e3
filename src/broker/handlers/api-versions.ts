// ApiVersions: the APIs and versions this broker serves, derived from the handler registry (never a fixed list).

import {
  createApiVersionsResponse,
  createApiVersionsResponseApiVersion,
} from "../../protocol/messages/api-versions.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { ServedApi } from "../handler-registry.ts";

/** v0–v4; v3+ carries the client's software name and version, which the broker may log but need not act on. */
export function apiVersionsHandler(servedApis: () => readonly ServedApi[]) {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle() {
      return {
        ...createApiVersionsResponse(),
        apiKeys: servedApis().map((api) => ({ ...createApiVersionsResponseApiVersion(), ...api })),
      };
    },
  });
}
