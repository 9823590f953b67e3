// ApiVersions: the APIs and versions this broker serves, derived from the handler registry (never a fixed list),
// and (v3+) the supported and finalized features (KIP-584) of cluster/features.ts.

import { features, finalizedFeaturesEpoch } from "../../cluster/features.ts";
import {
  createApiVersionsResponse,
  createApiVersionsResponseApiVersion,
  createApiVersionsResponseFinalizedFeatureKey,
  createApiVersionsResponseSupportedFeatureKey,
} from "../../protocol/messages/api-versions.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { ServedApi } from "../handler-registry.ts";

/** ApiVersions v4 is the first whose clients accept a supported feature with minimum version 0 (KAFKA-17011). */
const featureLevelZeroVersionMin = 4;

/** v0–v4; v3+ carries the client's software name and version, which the broker may log but need not act on. */
export function apiVersionsHandler(servedApis: () => readonly ServedApi[]) {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(_request, { apiVersion }) {
      return {
        ...createApiVersionsResponse(),
        apiKeys: servedApis().map((api) => ({ ...createApiVersionsResponseApiVersion(), ...api })),
        supportedFeatures: features
          .filter((feature) => feature.minVersion > 0 || apiVersion >= featureLevelZeroVersionMin)
          .map(({ name, minVersion, maxVersion }) => ({
            ...createApiVersionsResponseSupportedFeatureKey(),
            name,
            minVersion,
            maxVersion,
          })),
        finalizedFeaturesEpoch: BigInt(finalizedFeaturesEpoch),
        finalizedFeatures: features.map(({ name, finalizedLevel }) => ({
          ...createApiVersionsResponseFinalizedFeatureKey(),
          name,
          maxVersionLevel: finalizedLevel,
          minVersionLevel: finalizedLevel,
        })),
      };
    },
  });
}
