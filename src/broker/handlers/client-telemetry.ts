// The client telemetry APIs (KIP-714) as a Kafka broker with no metrics plugin answers them: ApiVersions leaves
// GetTelemetrySubscriptions and PushTelemetry out (so clients never push), a client that calls them anyway gets a
// subscription to no metrics and its pushes are accepted and dropped; ListClientMetricsResources lists the
// client-metrics config resources, of which Chronik has none.

import { zeroUuid } from "../../protocol/codec-runtime.ts";
import { crc32c } from "../../protocol/crc32c.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { createGetTelemetrySubscriptionsResponse } from "../../protocol/messages/get-telemetry-subscriptions.ts";
import { createListClientMetricsResourcesResponse } from "../../protocol/messages/list-client-metrics-resources.ts";
import { createPushTelemetryResponse } from "../../protocol/messages/push-telemetry.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

/** Kafka's ClientMetricsConfigs.INTERVAL_MS_DEFAULT: the push interval when no subscription matches. */
export const telemetryPushIntervalMs = 300_000;
/** Kafka's telemetry.max.bytes default. */
export const telemetryBytesMax = 1_048_576;
/** ClientMetricsManager.SUPPORTED_COMPRESSION_TYPES: zstd, lz4, gzip, snappy (CompressionType ids). */
const acceptedCompressionTypes = [4, 3, 1, 2];
/** Uuid.RESERVED: the zero id and the metadata topic's sentinel id (0, 1). */
const metadataTopicUuid = "AAAAAAAAAAAAAAAAAAAAAQ";

function uuidBytes(id: string): Uint8Array {
  return Uint8Array.from(Buffer.from(id, "base64url"));
}

/** Java's (and Kafka's Uuid's) hashCode: the 64-bit halves xored, then folded to 32 bits. */
function uuidHash(id: string): number {
  const view = new DataView(uuidBytes(id).buffer);
  const hilo = view.getBigUint64(0) ^ view.getBigUint64(8);
  return Number(BigInt.asIntN(32, hilo >> 32n) ^ BigInt.asIntN(32, hilo));
}

/**
 * ClientMetricsManager.computeSubscriptionId for the empty subscription: CRC32C of "[]" and the push interval,
 * xored with the instance id's hash — the id a client must echo in PushTelemetry.
 */
export function subscriptionIdFor(clientInstanceId: string): number {
  const bytes = new TextEncoder().encode(`[]${telemetryPushIntervalMs}`);
  return (crc32c(bytes) | 0) ^ uuidHash(clientInstanceId);
}

/** GetTelemetrySubscriptions v0, unadvertised; `newInstanceId` gives a client without one its id. */
export function getTelemetrySubscriptionsHandler(newInstanceId: () => string) {
  return defineHandler({
    apiKey: ApiKey.GetTelemetrySubscriptions,
    minVersion: 0,
    maxVersion: 0,
    advertised: false,
    handle(request) {
      const clientInstanceId =
        request.clientInstanceId === zeroUuid ? newInstanceId() : request.clientInstanceId;
      return {
        ...createGetTelemetrySubscriptionsResponse(),
        clientInstanceId,
        subscriptionId: subscriptionIdFor(clientInstanceId),
        acceptedCompressionTypes: [...acceptedCompressionTypes],
        pushIntervalMs: telemetryPushIntervalMs,
        telemetryMaxBytes: telemetryBytesMax,
        deltaTemporality: true,
        requestedMetrics: [],
      };
    },
  });
}

/** PushTelemetry v0, unadvertised: validated as ClientMetricsManager validates; the metrics go nowhere. */
export function pushTelemetryHandler() {
  return defineHandler({
    apiKey: ApiKey.PushTelemetry,
    minVersion: 0,
    maxVersion: 0,
    advertised: false,
    handle(request) {
      const id = request.clientInstanceId;
      const errorCode =
        id === zeroUuid || id === metadataTopicUuid
          ? ErrorCode.InvalidRequest
          : request.subscriptionId !== subscriptionIdFor(id)
            ? ErrorCode.UnknownSubscriptionId
            : request.metrics.length > telemetryBytesMax
              ? ErrorCode.TelemetryTooLarge
              : request.metrics.length > 0 &&
                  !acceptedCompressionTypes.concat(0).includes(request.compressionType)
                ? ErrorCode.UnsupportedCompressionType
                : 0;
      return { ...createPushTelemetryResponse(), errorCode };
    },
  });
}

/** ListClientMetricsResources v0: the client-metrics subscriptions configured — none in Chronik. */
export function listClientMetricsResourcesHandler() {
  return defineHandler({
    apiKey: ApiKey.ListClientMetricsResources,
    minVersion: 0,
    maxVersion: 0,
    handle() {
      return { ...createListClientMetricsResourcesResponse(), clientMetricsResources: [] };
    },
  });
}
