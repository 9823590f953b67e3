// DescribeCluster v0–1: the brokers, the cluster id, the controller and, when asked, the cluster operations
// allowed, for admin clients.

import { brokerEndpoint } from "../../cluster/metadata/broker-endpoints.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createDescribeClusterResponse,
  createDescribeClusterResponseDescribeClusterBroker,
} from "../../protocol/messages/describe-cluster.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import { allClusterOperations, authorizedOperations } from "../authorized-operations.ts";
import type { BrokerContext } from "../broker-context.ts";

/** DescribeCluster v1 endpoint types: 1 is the brokers' endpoints (2, controllers, Chronik does not expose). */
const brokerEndpointType = 1;

export function describeClusterHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    handle(request, { connection }) {
      const state = context.metadata.state;
      return {
        ...createDescribeClusterResponse(),
        errorCode: request.endpointType === brokerEndpointType ? 0 : ErrorCode.InvalidRequest,
        endpointType: brokerEndpointType,
        clusterId: state.clusterId ?? "",
        controllerId: context.controllerId(),
        brokers: state.liveBrokers().flatMap((broker) => {
          const endpoint = brokerEndpoint(broker, connection.listenerName);
          if (endpoint === undefined) return [];
          return [
            {
              ...createDescribeClusterResponseDescribeClusterBroker(),
              brokerId: broker.nodeId,
              ...endpoint,
              rack: broker.rack,
            },
          ];
        }),
        clusterAuthorizedOperations: authorizedOperations(
          request.includeClusterAuthorizedOperations,
          allClusterOperations,
        ),
      };
    },
  });
}
