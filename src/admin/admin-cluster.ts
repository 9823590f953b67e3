// DescribeCluster: every registered broker as the metadata has it (address, rack, fenced), its role in the
// metadata group as the answering node sees it, whether the answering node reaches it now, and its version.

import { create } from "@bufbuild/protobuf";
import {
  type ClusterNode,
  ClusterNodeSchema,
  type DescribeClusterResponse,
  DescribeClusterResponseSchema,
} from "../gen/chronik/admin/v1/admin_pb.ts";
import type { AdminNode } from "./admin-node.ts";

/** How long DescribeCluster waits for a peer to say who it is before calling it unreachable. */
const peerProbeTimeoutMs = 1_000;

export async function describeCluster(node: AdminNode): Promise<DescribeClusterResponse> {
  const { context } = node;
  const status = node.metadataStatus();
  const probes = new Map((await node.probePeers(peerProbeTimeoutMs)).map((probe) => [probe.nodeId, probe]));
  const state = context.metadata.state;
  const nodes: ClusterNode[] = [...state.brokers()]
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((broker) => {
      const self = broker.nodeId === context.nodeId;
      const probe = probes.get(broker.nodeId);
      return create(ClusterNodeSchema, {
        nodeId: broker.nodeId,
        host: broker.host,
        port: broker.port,
        rack: broker.rack ?? "",
        role: self ? status.role : roleOf(broker.nodeId, status.controllerId),
        fenced: broker.fenced,
        reachable: self || (probe?.reachable ?? false),
        version: self ? node.version : (probe?.version ?? ""),
      });
    });
  return create(DescribeClusterResponseSchema, {
    clusterId: state.clusterId ?? "",
    controllerId: status.controllerId,
    metadataTerm: BigInt(status.term),
    answeredBy: context.nodeId,
    nodes,
  });
}

function roleOf(nodeId: number, controllerId: number): string {
  if (controllerId < 0) return "unknown";
  return nodeId === controllerId ? "leader" : "follower";
}
