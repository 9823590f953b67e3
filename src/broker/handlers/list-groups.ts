// ListGroups v0–5: the groups coordinated here, filtered by state (v4+) and type (v5+).

import type { GroupService } from "../../cluster/group-service.ts";
import {
  createListGroupsResponse,
  createListGroupsResponseListedGroup,
} from "../../protocol/messages/list-groups.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";

export function listGroupsHandler(groups: GroupService) {
  return defineHandler({
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(request) {
      const listed = [];
      for (const coordinator of groups.coordinatorsLedHere()) {
        listed.push(...coordinator.listGroups({ states: request.statesFilter, types: request.typesFilter }));
      }
      return {
        ...createListGroupsResponse(),
        groups: listed.map((group) => ({
          ...createListGroupsResponseListedGroup(),
          groupId: group.groupId,
          protocolType: group.protocolType,
          groupState: group.state,
          groupType: group.groupType,
        })),
      };
    },
  });
}
