// UpdateFeatures v0–2 (KIP-584, KIP-778): validated as Kafka's FeatureControlManager validates, and answered as
// Kafka 3.9 answers — the first refusal is the whole request's error, the per-feature results (v0–1) are NONE.
// Chronik has one level per feature (cluster/features.ts), so the only update that passes keeps it as it is.

import { featureUpdateRefusal, UpgradeType } from "../../cluster/features.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import {
  createUpdateFeaturesResponse,
  createUpdateFeaturesResponseUpdatableFeatureResult,
} from "../../protocol/messages/update-features.ts";
import { defineHandler } from "../api-handler.ts";

/** UpdateFeatures v1 replaced AllowDowngrade with UpgradeType (KIP-778). */
const upgradeTypeVersionMin = 1;

export function updateFeaturesHandler() {
  return defineHandler({
    apiKey: ApiKey.UpdateFeatures,
    minVersion: 0,
    maxVersion: 2,
    handle(request, { apiVersion }) {
      let refusal: string | null = null;
      for (const update of request.featureUpdates) {
        const upgradeType =
          apiVersion >= upgradeTypeVersionMin
            ? update.upgradeType
            : update.allowDowngrade
              ? UpgradeType.safeDowngrade
              : UpgradeType.upgrade;
        refusal = featureUpdateRefusal(update.feature, update.maxVersionLevel, upgradeType);
        if (refusal !== null) break;
      }
      return {
        ...createUpdateFeaturesResponse(),
        errorCode: refusal === null ? 0 : ErrorCode.InvalidUpdateVersion,
        errorMessage: refusal,
        results: request.featureUpdates.map((update) => ({
          ...createUpdateFeaturesResponseUpdatableFeatureResult(),
          feature: update.feature,
          errorMessage: null,
        })),
      };
    },
  });
}
