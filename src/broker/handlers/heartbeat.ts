// Heartbeat v0–4: a classic group member keeps its session alive and learns of a rebalance.

import type { GroupService } from "../../cluster/group-service.ts";
import { ErrorCode, errorCodeByName } from "../../protocol/error-codes.ts";
import { createHeartbeatResponse } from "../../protocol/messages/heartbeat.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

export function heartbeatHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    async handle(request) {
      const result = await groups.step(request.groupId, (coordinator, nowMs) =>
        coordinator.heartbeat(request, nowMs),
      );
      const errorCode =
        result === "NOT_COORDINATOR" ? ErrorCode.NotCoordinator : errorCodeByName(result.error);
      return { ...createHeartbeatResponse(), errorCode };
    },
  });
}
